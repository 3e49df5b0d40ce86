#!/usr/bin/env node
// `kestrel query` over a large NDJSON file, side by side in one run with Endgame's Python EQL
// engine (github.com/endgameinc/eql, on Debian's python3 + python3-lark) and with a baseline build
// of Kestrel: same file, same queries, same result count (checked). Each run is its own process,
// started by a small Python wrapper that reads the child's CPU-seconds and peak RSS (getrusage).
//
//   node bench/query.bench.mjs [--events N] [--seed S] [--endgame DIR] [--baseline REF|none]
//
// The events come from `kestrel synth` → `kestrel convert` (ECS NDJSON), with Endgame's
// `event_type` and `timestamp` added in front so its engine sees the same categories and times.
// --endgame DIR is a checkout of endgameinc/eql (default $ENDGAME_EQL); without one, that column
// is left out and the page says so.
import { execFileSync, spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdirSync, rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, baselineDist, cliNodeFlags, printTable, writeResults } from './lib.mjs';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '500000' },
    seed: { type: 'string', default: '11' },
    endgame: { type: 'string', default: process.env.ENDGAME_EQL ?? '' },
    baseline: { type: 'string', default: '16c5082' },
    python: { type: 'string', default: '/usr/bin/python3' },
  },
});

// A selective 2-step sequence (a shell, then a connection to an unusual port) and a broad one
// (any exec by a shell's child, then any connection): the line gate helps the first much more.
const QUERIES = [
  { label: 'selective', text: 'sequence by process.entity_id [process where process.name == "bash"] [network where destination.port == 4444]' },
  { label: 'broad', text: 'sequence by process.entity_id [process where process.parent.name == "bash"] [network where true]' },
];

const work = join(tmpdir(), `kestrel-query-bench-${values.events}-${values.seed}`);
mkdirSync(work, { recursive: true });
const ndjson = join(work, 'events.ndjson');
if (!existsSync(ndjson)) await makeInput(ndjson);

// Each build's kestrel with the node flags its command line runs with (cliNodeFlags).
const kestrelArgv = (root) => [...cliNodeFlags(root), join(root, 'bin/kestrel')];
// Kestrel keeps the schema inferred from a file's head in its disk cache (a query over the same
// file again skips that work): the first run of each query starts from an empty cache folder of
// this bench's own ("cold"), the runs after it find the schema there ("warm").
const cacheDir = join(work, `cache-${process.pid}`);
const cached = { KESTREL_CACHE_DIR: cacheDir };
const engines = [
  { name: 'kestrel (interp, cold cache)', env: cached, argv: (q) => [...kestrelArgv(ROOT), 'query', '--engine', 'interp', q, ndjson] },
  { name: 'kestrel (wasm, warm)', env: cached, argv: (q) => [...kestrelArgv(ROOT), 'query', '--engine', 'wasm', q, ndjson] },
  { name: 'kestrel (interp, default, warm)', env: cached, argv: (q) => [...kestrelArgv(ROOT), 'query', '--engine', 'interp', q, ndjson] },
  { name: 'kestrel --parse-all', env: cached, argv: (q) => [...kestrelArgv(ROOT), 'query', '--parse-all', q, ndjson] },
];
if (values.baseline !== 'none') {
  const dist = baselineDist(values.baseline);
  engines.push({ name: `baseline ${values.baseline}`, argv: (q) => [...kestrelArgv(join(dist, '..')), 'query', q, ndjson] });
}
const endgame = values.endgame && existsSync(join(values.endgame, 'eql/__init__.py')) ? values.endgame : undefined;
if (endgame) engines.push({ name: 'Endgame eql (Python)', python: true, argv: (q) => ['-m', 'eql', 'query', '-f', ndjson, '--format', 'jsonl', q] });

const rows = [];
for (const q of QUERIES) {
  rmSync(cacheDir, { recursive: true, force: true });
  let endgameSeconds;
  const qrows = [];
  for (const e of engines) {
    const r = measure(e, q.text);
    if (e.python) endgameSeconds = r.seconds;
    qrows.push({ query: q.label, engine: e.name, seconds: r.seconds, 'events/s': Math.round(Number(values.events) / r.seconds), 'CPU s': r.cpu, 'peak RSS MiB': r.rss, sequences: r.sequences });
  }
  const counts = new Set(qrows.map((r) => r.sequences));
  if (counts.size !== 1) throw new Error(`${q.label}: engines disagree on the number of sequences: ${qrows.map((r) => `${r.engine} ${r.sequences}`).join(', ')}`);
  for (const r of qrows) r['× Endgame'] = endgameSeconds ? Number((endgameSeconds / r.seconds).toFixed(2)) : 'n/a';
  rows.push(...qrows);
}
printTable(`kestrel query vs Endgame eql, ${values.events} NDJSON events (synth seed ${values.seed})`, rows);
rmSync(cacheDir, { recursive: true, force: true });
writeResults('query', {
  events: Number(values.events),
  bytes: Number(execFileSync('stat', ['-c', '%s', ndjson], { encoding: 'utf8' }).trim()),
  queries: QUERIES.map((q) => `${q.label}: ${q.text}`).join(' ; '),
  endgame: endgame ? `endgameinc/eql at ${gitHead(endgame)} on ${execFileSync(values.python, ['--version'], { encoding: 'utf8' }).trim()}` : 'not run (no checkout given)',
  sameResults: true,
  runs: rows,
});

/**
 * Runs one engine on one query in a child process; counts sequences from its output. The wrapper
 * is Python because getrusage(RUSAGE_CHILDREN) gives the child's own CPU-seconds and peak RSS.
 */
function measure(e, q) {
  const wrapper = [
    'import json, os, resource, subprocess, sys, time',
    'argv = json.loads(sys.argv[1])',
    't0 = time.monotonic()',
    'r = subprocess.run(argv, cwd=sys.argv[2], env=dict(os.environ, PYTHONPATH=sys.argv[2]), stdout=subprocess.PIPE)',
    'seconds = time.monotonic() - t0',
    'ru = resource.getrusage(resource.RUSAGE_CHILDREN)',
    'sys.exit(r.returncode) if r.returncode else None',
    'lines = sum(1 for l in r.stdout.split(b"\\n") if l.strip())',
    'print(json.dumps({"seconds": seconds, "lines": lines, "cpu": ru.ru_utime + ru.ru_stime, "rss": ru.ru_maxrss}))',
  ].join('\n');
  const exe = e.python ? values.python : process.execPath;
  const r = spawnSync(values.python, ['-c', wrapper, JSON.stringify([exe, ...e.argv(q)]), endgame ?? ROOT], { encoding: 'utf8', maxBuffer: 1 << 20, env: { ...process.env, ...e.env } });
  if (r.status !== 0) throw new Error(`${e.name}: exit ${r.status}: ${r.stderr}`);
  const m = JSON.parse(r.stdout);
  // Kestrel prints one line per sequence; Endgame's jsonl prints each sequence's 2 events.
  const sequences = e.python ? m.lines / 2 : m.lines;
  return { seconds: Number(m.seconds.toFixed(2)), cpu: Number(m.cpu.toFixed(2)), rss: Math.round(m.rss / 1024), sequences };
}

async function makeInput(out) {
  const capture = join(work, 'events.bin');
  process.stderr.write(`… generating ${values.events} events\n`);
  execFileSync(process.execPath, [join(ROOT, 'bin/kestrel'), 'synth', '--events', values.events, '--seed', values.seed, '-o', capture], { stdio: 'ignore' });
  const ecs = join(work, 'ecs.ndjson');
  execFileSync(process.execPath, [join(ROOT, 'bin/kestrel'), 'convert', capture, ecs], { stdio: 'ignore' });
  const w = createWriteStream(out);
  for await (const line of createInterface({ input: createReadStream(ecs), crlfDelay: Infinity })) {
    if (!line) continue;
    const e = JSON.parse(line);
    const shaped = { event_type: e.event.category[0], timestamp: Date.parse(e['@timestamp']), ...e };
    if (!w.write(JSON.stringify(shaped) + '\n')) await new Promise((r) => w.once('drain', r));
  }
  await new Promise((r) => w.end(r));
  rmSync(ecs);
  rmSync(capture);
}

function gitHead(dir) {
  const r = spawnSync('git', ['-C', dir, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : 'an exported tree';
}

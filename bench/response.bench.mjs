#!/usr/bin/env node
// Response latency (#15): how long after a matching exec `kill_process` has killed the process.
// A live `kestrel run --response enforce` (root, eBPF) watches with one Endpoint-layout rule that
// matches `sleep <marker>`; the bench starts N such processes one at a time and records, for each:
//   - kestrel's own figure, kestrel.response.latency_us: from the exec event's kernel timestamp to
//     the signal (sensor → ring → records → predicate and state stages → alert → pidfd signal);
//   - the wall time from spawn() returning to the child's death as Node sees it (adds Node's
//     spawn and wait handling on top).
// Two loads: an idle host, and a busy one (a background shell running an exec storm, so the
// sensor and the pipeline have other events to handle). Prints a table, writes
// bench/results/response.json.
//   KESTREL_BENCH_KILLS (200), KESTREL_BENCH_WORKERS (0,1: comma list)
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, percentile, printTable, writeResults } from './lib.mjs';

const KILLS = Number(process.env.KESTREL_BENCH_KILLS ?? 200);
const WORKERS = (process.env.KESTREL_BENCH_WORKERS ?? '0,1').split(',');
const dir = mkdtempSync(join(tmpdir(), 'kestrel-response-bench-'));
const marker = `${process.pid}.25`;
mkdirSync(join(dir, 'rules'));
writeFileSync(join(dir, 'rules', 'marked-sleep.toml'), `[rule]
id = "bbbbbbbb-2222-4000-8000-000000000001"
name = "Bench: marked sleep started"
description = "bench/response.bench.mjs"
os_list = ["linux"]
version = "1.0.0"
query = '''
process where event.type == "start" and event.action == "exec" and process.name == "sleep" and process.args == "${marker}"
'''
[[actions]]
action = "kill_process"
field = "process.entity_id"
state = 0
`);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function startRun(out, workers) {
  const run = spawn(process.execPath, [join(ROOT, 'bin/kestrel'), 'run', '--rules', join(dir, 'rules'), '--output', out, '--workers', workers,
    '--response', 'enforce', '--response-max-per-minute', String(KILLS * 4)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  run.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  for (const deadline = Date.now() + 60_000; !stderr.includes('watching this host'); await sleep(50)) {
    if (Date.now() > deadline || run.exitCode !== null) throw new Error(`kestrel run did not start: ${stderr}`);
  }
  return run;
}

async function measure(load, workers) {
  const out = join(dir, `alerts-${load}-${workers}.ndjson`);
  const run = await startRun(out, workers);
  const storm = load === 'busy' ? spawn('/bin/sh', ['-c', 'while :; do /bin/true; done'], { stdio: 'ignore' }) : undefined;
  const wall = [];
  let survived = 0;
  try {
    for (let i = 0; i < KILLS; i++) {
      const started = process.hrtime.bigint();
      const child = spawn('sleep', [marker], { stdio: 'ignore' });
      const signal = await new Promise((resolve) => {
        const t = setTimeout(() => resolve('timeout'), 5000);
        child.once('exit', (_c, s) => {
          clearTimeout(t);
          resolve(s);
        });
      });
      if (signal === 'SIGKILL') wall.push(Number(process.hrtime.bigint() - started) / 1e6);
      else {
        survived++;
        child.kill();
      }
      await sleep(10);
    }
    await sleep(500);
  } finally {
    storm?.kill();
    run.kill('SIGINT');
    await new Promise((r) => run.once('exit', r));
  }
  const alerts = existsSync(out) ? readFileSync(out, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
  const responses = alerts.flatMap((a) => a.kestrel.response ?? []);
  const killed = responses.filter((r) => r.result === 'killed');
  const lat = killed.map((r) => r.latency_us / 1000);
  return {
    load,
    workers: Number(workers),
    processes: KILLS,
    killed: killed.length,
    survived,
    otherResults: responses.length - killed.length,
    eventToSignalP50Ms: percentile(lat, 50),
    eventToSignalP99Ms: percentile(lat, 99),
    eventToSignalMaxMs: Math.max(...lat),
    spawnToDeathP50Ms: percentile(wall, 50),
    spawnToDeathP99Ms: percentile(wall, 99),
  };
}

const rows = [];
for (const workers of WORKERS) for (const load of ['idle', 'busy']) rows.push(await measure(load, workers));
rmSync(dir, { recursive: true, force: true });
printTable(`kill_process latency, ${KILLS} matching execs per load and worker count (aim: p99 < 20 ms)`, rows);
writeResults('response', { kills: KILLS, rows });

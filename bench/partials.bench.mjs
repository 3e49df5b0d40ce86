#!/usr/bin/env node
// What an idle sequence partial costs: N distinct join keys each start a 2-step sequence and wait;
// the heap grows by N × (partial bookkeeping + the event it keeps). The event's own cost is
// measured apart (the same events held in an array), so the table shows the engine's overhead per
// partial, the figure the issue asks to keep ≤ 300 bytes plus the events a partial must keep.
//
//   node --expose-gc bench/partials.bench.mjs [--keys N]   (each shape runs in a child process)
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DIST, printTable, writeResults } from './lib.mjs';

const { values } = parseArgs({ options: { keys: { type: 'string', default: '200000' }, shape: { type: 'string' } } });
const N = Number(values.keys);
const { parseQuery } = await import(join(DIST, 'shared/eql/parser.js'));
const { checkQuery } = await import(join(DIST, 'shared/eql/checker.js'));
const { compileQuery } = await import(join(DIST, 'shared/eql/compile.js'));
const { createEngine } = await import(join(DIST, 'shared/engine/engine.js'));
const { ecsLinuxSchema } = await import(join(DIST, 'shared/schema/ecs-linux.js'));

if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc');
const schema = ecsLinuxSchema();
const compile = (text) => compileQuery(checkQuery(parseQuery(text), { schema, categoryField: 'event.category' }), {});

function heap() {
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage().heapUsed;
}

function events() {
  const out = new Array(N);
  for (let i = 0; i < N; i++) out[i] = { view: { '@timestamp': i, event: { category: 'process' }, process: { entity_id: `e${i}`, name: 'bash' } }, time: i, seq: i };
  return out;
}

const SHAPES = [
  ['sequence by 1 key, no maxspan', 'sequence by process.entity_id [process where process.name == "bash"] [network where true]'],
  ['sequence by 1 key, maxspan', 'sequence by process.entity_id with maxspan=1h [process where process.name == "bash"] [network where true]'],
  ['sequence, 2 keys', 'sequence by process.entity_id, process.name [process where process.name == "bash"] [network where true]'],
];

// Each shape in its own process: one heap's leftovers never colour another's figure.
if (values.shape !== undefined) {
  const [shape, text] = SHAPES[Number(values.shape)];
  const evs = events();
  const before = heap();
  const engine = createEngine(compile(text), { onResult: () => {}, maxPartials: N + 1, maxPartialsPerKey: 64 });
  for (const ev of evs) engine.push(ev);
  const after = heap();
  const base = heap();
  const more = events();
  const eventBytes = (heap() - base) / N;
  process.stdout.write(JSON.stringify({ shape, partials: engine.stats.partialsLive, 'engine bytes/partial': Math.round((after - before) / N), 'event bytes (held by caller)': Math.round(eventBytes), kept: more.length + evs.length }) + '\n');
} else {
  const { spawnSync } = await import('node:child_process');
  const rows = SHAPES.map((_s, k) => {
    const r = spawnSync(process.execPath, ['--expose-gc', new URL(import.meta.url).pathname, '--keys', String(N), '--shape', String(k)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    const row = JSON.parse(r.stdout);
    delete row.kept;
    return row;
  });
  printTable(`Idle sequence partials: ${N} distinct keys (engine heap per partial; the event is the caller's)`, rows);
  writeResults('partials', { keys: N, rows });
}

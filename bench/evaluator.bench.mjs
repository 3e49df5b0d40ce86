#!/usr/bin/env node
// Evaluator throughput: EQL rules (parsed, checked and compiled like `kestrel query` does) run by
// the streaming engine over a generated 1M-event host-activity stream, one engine per rule, every
// event offered to every rule (no routing/prefilter yet). Scenarios: a loop with no rules
// (baseline), 100 single-event rules, 50 sequence rules with maxspan. Needs dist/ (npm run build).
import { join } from 'node:path';
import { DIST, machine, peakRssMiB, printTable, writeResults, nowNs } from './lib.mjs';

const { parseQuery } = await import(join(DIST, 'shared/eql/parser.js'));
const { checkQuery } = await import(join(DIST, 'shared/eql/checker.js'));
const { compileQuery } = await import(join(DIST, 'shared/eql/compile.js'));
const { createEngine } = await import(join(DIST, 'shared/engine/engine.js'));
const { ecsLinuxSchema } = await import(join(DIST, 'shared/schema/ecs-linux.js'));

const EVENTS = Number(process.env.KESTREL_BENCH_EVENTS ?? 1_000_000);
const DISTINCT = 100_000; // distinct event objects, cycled with fresh times

// Deterministic generator: a small LCG, so every run sees the same stream.
let seed = 12345;
const rnd = (n) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
const CATEGORIES = ['process', 'process', 'network', 'file', 'authentication'];

function makeEvent() {
  const category = CATEGORIES[rnd(CATEGORIES.length)];
  return {
    event: { category, type: [rnd(2) ? 'start' : 'end'] },
    host: { name: `host-${rnd(20)}` },
    user: { name: `user-${rnd(50)}` },
    process: {
      pid: 1000 + rnd(5000),
      name: `proc${rnd(200)}`,
      args: ['-c', `arg${rnd(1000)}`],
      parent: { name: `proc${rnd(200)}` },
      executable: `/usr/bin/proc${rnd(200)}`,
    },
    destination: category === 'network' ? { port: rnd(1024), ip: `10.0.${rnd(256)}.${rnd(256)}` } : undefined,
    file: category === 'file' ? { path: `/tmp/f${rnd(10000)}.sh` } : undefined,
  };
}

function eventRule(i) {
  switch (i % 4) {
    case 0:
      return `process where process.name == "proc${i}" and process.parent.name : "proc1*"`;
    case 1:
      return `network where destination.port == ${i} and not cidrMatch(destination.ip, "10.0.1.0/24")`;
    case 2:
      return `file where file.path : "/tmp/f${i}*.sh" and user.name != "root"`;
    default:
      return `process where process.args : "arg${i}*" and process.executable like~ "/usr/bin/*"`;
  }
}

function sequenceRule(i) {
  return `sequence by host.name, process.pid with maxspan=30s
    [process where process.name == "proc${i}"]
    [network where destination.port < ${100 + i}]
    [file where file.path : "/tmp/f${i}*"]`;
}

const schema = ecsLinuxSchema();
function compile(text) {
  return compileQuery(checkQuery(parseQuery(text), { schema, categoryField: 'event.category' }), {});
}

const views = Array.from({ length: DISTINCT }, makeEvent);

function run(name, rules) {
  const engines = rules.map((q) => createEngine(compile(q), { onResult: () => results++ }));
  let results = 0;
  globalThis.gc?.();
  const t0 = nowNs();
  for (let i = 0; i < EVENTS; i++) {
    // One carrier per event, shared by all rules (sequence partials keep it). Events are 1 ms
    // apart: 1M events span ~17 minutes, so maxspan=30s windows keep expiring.
    const e = { view: views[i % DISTINCT], time: i, seq: i };
    for (let r = 0; r < engines.length; r++) engines[r].push(e);
  }
  for (const en of engines) en.end();
  const seconds = Number(nowNs() - t0) / 1e9;
  const partials = engines.reduce((a, en) => a + en.stats.partialsLive, 0);
  return { scenario: name, rules: rules.length, events: EVENTS, seconds: Math.round(seconds * 100) / 100, eventsPerSec: Math.round(EVENTS / seconds), ruleEvalsPerSec: Math.round((EVENTS * Math.max(1, rules.length)) / seconds), results, partialsLive: partials, peakRssMiB: peakRssMiB() };
}

const EVT = Array.from({ length: 100 }, (_x, i) => eventRule(i));
const SEQ = Array.from({ length: 50 }, (_x, i) => sequenceRule(i));
const rows = [run('baseline (no rules)', []), run('100 event rules', EVT), run('50 sequence rules', SEQ)];
printTable(`Evaluator over ${EVENTS} generated events (${machine().cpu})`, rows);
writeResults('evaluator', { rows });

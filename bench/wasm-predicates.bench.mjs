#!/usr/bin/env node
// Predicate throughput: the Wasm back end (one module for the whole ruleset, one call per batch)
// versus the interpreter over the same records, side by side. Rules: the Elastic corpus (all EQL
// rules that check against the ECS Linux schema) plus the bundled rules/; events: synthetic host
// activity (`kestrel synth --scenario mixed`). Also: module build + compile time, per rule, and
// the compiled-module cache, and the way the detection pipeline builds it: once per ruleset in
// the predicate pool thread, then instantiated by each partition worker. Needs dist/ (npx tsc -p
// tsconfig.json).
import { join, resolve } from 'node:path';
import { DIST, ROOT, machine, nowNs, peakRssMiB, printTable, writeResults } from './lib.mjs';

const { loadRules } = await import(join(DIST, 'shared/rules/index.js'));
const { checkRule } = await import(join(DIST, 'shared/rules/compile-rule.js'));
const { ecsLinuxSchema } = await import(join(DIST, 'shared/schema/ecs-linux.js'));
const { buildLayout } = await import(join(DIST, 'shared/record/layout.js'));
const { synthesize } = await import(join(DIST, 'shared/synth/generate.js'));
const { compileFilter } = await import(join(DIST, 'shared/eql/compile.js'));
const { WasmPredicateSet, predicateCacheStats } = await import(join(DIST, 'shared/eql/codegen/evaluator.js'));
const { RecordEvent, recordFieldAccessor } = await import(join(DIST, 'shared/eql/codegen/record-access.js'));
const { PredicateModulePool } = await import(join(DIST, 'main/predicate-module-pool.js'));
const { checkSchemaFor, ruleSpecOf } = await import(join(DIST, 'shared/pipeline/ruleset.js'));
const { EqlProcessor } = await import(join(DIST, 'workers/eql-processor.js'));
const { describeSchema } = await import(join(DIST, 'shared/record/schema-desc.js'));

const EVENTS = Number(process.env.KESTREL_BENCH_EVENTS ?? 200_000);
const BATCH = Number(process.env.KESTREL_BENCH_BATCH ?? 1024);
const SHARED = resolve(ROOT, '../shared');

const schema = ecsLinuxSchema();
const layout = buildLayout(schema);

// ── rules ──
const corpus = await loadRules([join(SHARED, 'rules-corpus/elastic-detection-rules')]);
const bundled = await loadRules([join(ROOT, 'rules')]);
const checks = [...corpus.rules, ...bundled.rules].map((r) => checkRule(r, { schema }));
const queries = checks.filter((c) => c.ok).map((c) => c.checked);
const specs = checks.filter((c) => c.ok).map((c) => ruleSpecOf(c.rule));
const filters = queries.flatMap((q) => [...q.steps.map((s) => s.filter), ...(q.until ? [q.until.filter] : [])]);

// ── events ──
const chunks = [];
let total = 0;
synthesize(layout, { scenario: 'mixed', events: EVENTS, seed: 7 }, (bytes, length) => {
  chunks.push(bytes.slice(0, length));
  total += length;
});
const bytes = new Uint8Array(total);
const offsets = new Uint32Array(chunks.length);
{
  let at = 0;
  chunks.forEach((c, i) => {
    bytes.set(c, at);
    offsets[i] = at;
    at += c.length;
  });
}
const count = offsets.length;

// ── compile ──
const t0 = nowNs();
const built = WasmPredicateSet.build({ filters }, layout);
const buildMs = Number(nowNs() - t0) / 1e6;
const t1 = nowNs();
const set = await WasmPredicateSet.create({ filters }, layout);
const createMs = Number(nowNs() - t1) / 1e6;
const t2 = nowNs();
await WasmPredicateSet.create({ filters }, layout);
const cachedMs = Number(nowNs() - t2) / 1e6;
const cache = predicateCacheStats();

// ── the pipeline's way: prepare once in the pool thread, instantiate per worker ──
const pool = new PredicateModulePool({ maxThreads: 1 });
const desc = describeSchema(schema);
const t3 = nowNs();
const pooled = await pool.prepare(specs, desc);
const poolMissMs = Number(nowNs() - t3) / 1e6;
const t4 = nowNs();
const pooledAgain = await pool.prepare(specs, desc);
const poolHitMs = Number(nowNs() - t4) / 1e6;
if (pooledAgain.source !== 'memory') throw new Error('the second prepare of one ruleset missed the cache');
// What each partition worker does with the module it is handed (median of 5, this thread).
const instantiateMs = [];
for (let i = 0; i < 5; i++) {
  const t = nowNs();
  WasmPredicateSet.fromPrepared({ filters }, layout, pooled.prepared);
  instantiateMs.push(Number(nowNs() - t) / 1e6);
}
instantiateMs.sort((a, b) => a - b);
// A partition worker's start (and its stall at every rule swap): building its own module, as
// before the pool, versus instantiating the prepared one. Median of 3 each, this thread.
async function medianMs(fn) {
  const times = [];
  for (let i = 0; i < 3; i++) {
    const t = nowNs();
    await fn();
    times.push(Number(nowNs() - t) / 1e6);
  }
  return times.sort((a, b) => a - b)[1];
}
const processorConfig = { rules: specs, schema: desc, engine: 'wasm' };
const ownModuleMs = await medianMs(() => EqlProcessor.create(processorConfig, layout, checkSchemaFor(schema), 0, 2));
const preparedModuleMs = await medianMs(() => EqlProcessor.create({ ...processorConfig, predicates: pooled.prepared }, layout, checkSchemaFor(schema), 0, 2));
const poolCounters = { ...pool.counters, hitRate: pool.counters.hits / (pool.counters.hits + pool.counters.misses) };
await pool.close();

// ── run ──
function runWasm() {
  let matches = 0;
  for (let start = 0; start < count; start += BATCH) {
    const n = Math.min(BATCH, count - start);
    const bits = set.evaluateBatch(bytes, offsets.subarray(start, start + n), n);
    for (let i = 0; i < bits.length; i++) {
      let w = bits[i];
      while (w !== 0) {
        w &= w - 1;
        matches++;
      }
    }
  }
  return matches;
}

const accessor = recordFieldAccessor(layout);
const interp = filters.map((f) => compileFilter(f, accessor).test);
function runInterp() {
  let matches = 0;
  const ev = new RecordEvent(layout, new Uint8Array(0), 0);
  for (let r = 0; r < count; r++) {
    ev.reset(bytes, offsets[r], r, r);
    for (let p = 0; p < interp.length; p++) if (interp[p](ev)) matches++;
  }
  return matches;
}

function timed(fn) {
  fn(); // warm-up
  const t = nowNs();
  const matches = fn();
  return { seconds: Number(nowNs() - t) / 1e9, matches };
}

const hostBefore = set.counters.hostCalls;
const wasm = timed(runWasm);
const hostCallsPerEvent = (set.counters.hostCalls - hostBefore) / (2 * count);
const slow = timed(runInterp);
if (wasm.matches !== slow.matches) throw new Error(`engines disagree: wasm ${wasm.matches} matches, interpreter ${slow.matches}`);

const row = (engine, r) => ({
  engine,
  'events/s': count / r.seconds,
  'ns/event': (r.seconds * 1e9) / count,
  'ns/event/predicate': (r.seconds * 1e9) / count / filters.length,
  matches: r.matches,
});
const rows = [row('wasm', wasm), row('interp', slow)];
console.log(`machine: ${JSON.stringify(machine())}`);
console.log(`rules: ${queries.length} (${corpus.rules.length} corpus + ${bundled.rules.length} bundled loaded, ${checks.length - queries.length} rejected by the schema); predicates: ${filters.length}; events: ${count}; batch: ${BATCH}`);
printTable('Predicate throughput over records', rows);
const s = built.module.stats;
const perRule = (what, ms) => ({ what, ms, 'µs/rule': (ms * 1000) / queries.length });
const compileRows = [
  perRule('generate + instrument', buildMs),
  perRule('create (miss: generate + compile + instantiate)', createMs),
  perRule('create (cache hit)', cachedMs),
  perRule('pool: check rules (pool thread)', pooled.checkMs),
  perRule('pool: generate + instrument (pool thread)', pooled.prepared.timings.buildMs),
  perRule('pool: compile (pool thread)', pooled.prepared.timings.compileMs),
  perRule('pool: prepare, miss (wall, main)', poolMissMs),
  perRule('pool: prepare, cache hit (wall, main)', poolHitMs),
  perRule('instantiate per worker (fromPrepared)', instantiateMs[2]),
  perRule('worker processor start, own module (before the pool)', ownModuleMs),
  perRule('worker processor start, prepared module', preparedModuleMs),
];
printTable('Compile', compileRows);
const hostKinds = Object.fromEntries([...s.hostKinds].sort((a, b) => b[1] - a[1]));
console.log(`\nmodule: ${built.bytes.length} bytes; native nodes ${s.nativeNodes}, host-helper nodes ${s.hostNodes}: ${JSON.stringify(hostKinds)}`);
console.log(`predicate pool: ${JSON.stringify(poolCounters)}`);
console.log(`host calls per event: ${hostCallsPerEvent.toFixed(3)}; cache: ${JSON.stringify(cache)}; speed-up ${(slow.seconds / wasm.seconds).toFixed(1)}x; peak RSS ${peakRssMiB()} MiB`);
writeResults('wasm-predicates', {
  events: count,
  batch: BATCH,
  rules: queries.length,
  predicates: filters.length,
  throughput: rows,
  speedup: slow.seconds / wasm.seconds,
  compile: compileRows,
  moduleBytes: built.bytes.length,
  nativeNodes: s.nativeNodes,
  hostNodes: s.hostNodes,
  hostKinds,
  hostCallsPerEvent,
  cache,
  predicatePool: poolCounters,
  counters: set.counters,
  peakRssMiB: peakRssMiB(),
});

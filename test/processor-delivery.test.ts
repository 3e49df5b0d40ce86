// The EQL processor offers an event only to the engines of rules with a matching filter, and tells
// time-following engines (sequences with maxspan) the time of the other events of their categories
// lazily (workers/eql-processor.ts, category-clocks.ts). Pinned here: its alerts and eviction
// counts equal those of the plain reference, where every engine of an event's category is offered
// every such event in rule order, on a stream with maxspan, until, missing-event steps, runs=,
// samples, tail, timeless and out-of-order events, and memory caps that evict; and events no
// filter matches change nothing when no cap binds.
import { describe, expect, it } from 'vitest';
import { ecsLinuxSchema } from '../src/shared/schema/ecs-linux.js';
import { buildLayout } from '../src/shared/record/layout.js';
import { describeSchema } from '../src/shared/record/schema-desc.js';
import { encodeEvent } from '../src/shared/record/encode.js';
import { packRecords } from './helpers/records.js';
import { RecordEvent } from '../src/shared/eql/record-access.js';
import { checkSchemaFor, compileRuleset, type RuleSpec } from '../src/shared/pipeline/ruleset.js';
import { alertJson, orderingSeq } from '../src/shared/pipeline/alert.js';
import { createEngine } from '../src/shared/engine/engine.js';
import { PartialBudget } from '../src/shared/engine/partial-budget.js';
import { EqlProcessor, END_OF_STREAM, type EqlProcessorConfig } from '../src/workers/eql-processor.js';
import type { AlertOut } from '../src/workers/processor.js';
import type { PredicateEngine } from '../src/shared/eql/codegen/ruleset.js';

const schema = ecsLinuxSchema();
const layout = buildLayout(schema);
const checkSchema = checkSchemaFor(schema);

const QUERIES = [
  'sequence by host.id with maxspan=10s [process where process.name == "a"] [process where process.name == "b"] until [process where process.name == "stop"]',
  'sequence by host.id with maxspan=4s [process where process.name == "a"] [network where destination.port == 4444] ![process where process.name == "c"]',
  'sequence by host.id with maxspan=3s ![process where process.name == "c"] [process where process.name == "b"] [process where process.name == "a"]',
  'sequence by host.id [process where process.name == "a"] with runs=2 [network where destination.port == 22]',
  'sequence with maxspan=2s [process where process.name == "b"] [file where file.name == "x"]',
  'process where process.name == "b"',
  'sample by host.id [process where process.name == "a"] [network where destination.port == 22]',
  'process where process.name == "c" | tail 3',
];

const rules: RuleSpec[] = QUERIES.map((query, i) => ({
  id: `r${i}`, name: `rule ${i}`, description: '', severity: 'low', riskScore: 1, version: 1, tags: [], threat: [], language: 'eql', query, file: `r${i}.toml`,
}));

/** mulberry32: a small seeded PRNG, so the stream is the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Ev = Record<string, unknown>;

/**
 * Events the rules care about (`disorder`: a few a little out of time order, a few without a
 * time) and, with `noise`, events of the same categories that no filter matches, each at the time
 * of the event before it. The rule events do not depend on `noise`.
 */
function stream(seed: number, count: number, opts: { noise: boolean; disorder: boolean }): Ev[] {
  const rnd = prng(seed);
  const rndNoise = prng(seed + 1);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
  const out: Ev[] = [];
  let t = Date.UTC(2024, 0, 1);
  for (let i = 0; i < count; i++) {
    t += Math.floor(rnd() * 900);
    const late = rnd() < 0.05 && opts.disorder;
    const timeless = rnd() < 0.02 && opts.disorder;
    const host = { id: pick(['h0', 'h1', 'h2', 'h3']) };
    const time = timeless ? {} : { '@timestamp': new Date(late ? t - Math.floor(rnd() * 3000) : t).toISOString() };
    const kind = rnd();
    if (kind < 0.6) out.push({ ...time, host, event: { category: 'process' }, process: { name: pick(['a', 'a', 'b', 'b', 'c', 'stop']) } });
    else if (kind < 0.85) out.push({ ...time, host, event: { category: 'network' }, destination: { port: pick([22, 4444, 4444]) } });
    else out.push({ ...time, host, event: { category: 'file' }, file: { name: pick(['x', 'y']) } });
    if (opts.noise && rndNoise() < 0.7) {
      const quiet = { ...time, host: { id: 'h0' } };
      out.push(rndNoise() < 0.6 ? { ...quiet, event: { category: 'process' }, process: { name: 'noise' } } : { ...quiet, event: { category: 'network' }, destination: { port: 80 } });
    }
  }
  return out;
}

interface Caps {
  maxPartialsPerRule?: number;
  maxPartialsPerKey?: number;
  maxPartialsTotal?: number;
}

interface Run {
  alerts: string[];
  evictions: number;
}

/** Alerts in the merge's total order (seq, rule index, text), as main prints them. */
function ordered(alerts: AlertOut[]): string[] {
  return [...alerts].sort((x, y) => x.seq - y.seq || x.ruleIndex - y.ruleIndex || (x.json < y.json ? -1 : x.json > y.json ? 1 : 0)).map((a) => `${a.ruleIndex} ${a.json}`);
}

async function viaProcessor(events: Ev[], engine: PredicateEngine, caps: Caps): Promise<Run> {
  const config: EqlProcessorConfig = { rules, schema: describeSchema(schema), engine, ...caps };
  const proc = await EqlProcessor.create(config, layout, checkSchema, 0, 1);
  const alerts: AlertOut[] = [];
  const emit = (a: AlertOut): void => void alerts.push(a);
  const { bytes, offsets, lengths } = packRecords(layout, events);
  // Batches of 64, as a worker drains its ring; progress read after each event, as workers = 0 does.
  for (let from = 0; from < offsets.length; from += 64) {
    const batch = offsets.slice(from, from + 64);
    proc.beginBatch(bytes, batch, batch.length);
    for (let i = from; i < from + batch.length; i++) {
      proc.onEvent(bytes, offsets[i]!, lengths[i]!, i, 0, emit);
      proc.progressFloor();
    }
  }
  proc.onEnd(emit);
  return { alerts: ordered(alerts), evictions: proc.evictions() };
}

/** The plain path: each engine of an event's category is offered the event, in rule order. */
function viaReference(events: Ev[], caps: Caps): Run {
  const compiled = compileRuleset(rules, layout, checkSchema);
  const budget = caps.maxPartialsTotal === undefined ? undefined : new PartialBudget(caps.maxPartialsTotal);
  const alerts: AlertOut[] = [];
  const engines = compiled.map(({ compiled: q }, i) => {
    const atEnd = q.kind === 'sample' || q.pipes.some((p) => p.name === 'tail');
    const steps = [...q.steps, ...(q.until ? [q.until] : [])];
    const engine = createEngine(q, {
      maxPartials: caps.maxPartialsPerRule,
      maxPartialsPerKey: caps.maxPartialsPerKey,
      budget,
      onResult: (r) => alerts.push({ seq: atEnd ? END_OF_STREAM : orderingSeq(r), ruleIndex: i, json: alertJson(rules[i]!, r) }),
    });
    return { engine, categories: new Set(steps.map((s) => s.filter.category)) };
  });
  events.forEach((e, seq) => {
    const view = new RecordEvent(layout, encodeEvent(layout, e, seq), seq);
    const time = view.rv.hasTimestamp ? view.rv.timestampMs : null;
    const category = (e.event as { category: string }).category;
    for (const { engine, categories } of engines) if (categories.has(category)) engine.push({ view, time, seq });
  });
  for (const { engine } of engines) engine.end();
  return { alerts: ordered(alerts), evictions: engines.reduce((n, { engine }) => n + engine.stats.evictions, 0) };
}

describe('EqlProcessor delivery (only engines with a matching filter get an event)', () => {
  const events = stream(7, 3000, { noise: true, disorder: true });

  for (const engine of ['interp', 'wasm'] as const) {
    it(`${engine}: same alerts as offering every event to every engine of its category`, async () => {
      const reference = viaReference(events, {});
      expect(reference.alerts.length).toBeGreaterThan(50);
      // Every rule fires, so each kind of state is exercised.
      expect(new Set(reference.alerts.map((a) => a.split(' ')[0])).size).toBe(rules.length);
      expect(await viaProcessor(events, engine, {})).toEqual(reference);
    });

    it(`${engine}: same alerts and evictions with memory caps that bind`, async () => {
      for (const caps of [{ maxPartialsTotal: 3 }, { maxPartialsTotal: 6, maxPartialsPerRule: 2, maxPartialsPerKey: 1 }]) {
        const reference = viaReference(events, caps);
        expect(reference.evictions, JSON.stringify(caps)).toBeGreaterThan(20);
        expect(await viaProcessor(events, engine, caps), JSON.stringify(caps)).toEqual(reference);
      }
    });
  }

  it('events no filter matches change no alert when no cap binds', async () => {
    const quiet = await viaProcessor(stream(11, 2000, { noise: false, disorder: false }), 'wasm', {});
    const noisy = await viaProcessor(stream(11, 2000, { noise: true, disorder: false }), 'wasm', {});
    expect(quiet.alerts.length).toBeGreaterThan(20);
    // Same events, other seqs: compare the alerts without the seq-dependent parts (kestrel.seq, the alert ids).
    const strip = (a: string): string => a.replace(/"seq":\d+,?/g, '').replace(/"id":"[0-9a-f]{32}"/g, '"id":""');
    expect(noisy.alerts.map(strip).sort()).toEqual(quiet.alerts.map(strip).sort());
  });
});

// The Wasm back end on real queries: every single-event query of ES's conformance suites over
// the endgame data set, run through records with engine=wasm, selects exactly the events the
// interpreter selects over the JSON events; every EQL rule of the Elastic corpus compiles into
// one valid module; a pathological predicate runs out of fuel and the batch falls back.
import { packRecords } from './helpers/records.js';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import { parseQuery } from '../src/shared/eql/parser.js';
import { checkQuery } from '../src/shared/eql/checker.js';
import { compileQuery } from '../src/shared/eql/compile.js';
import type { CheckedQuery } from '../src/shared/eql/ir.js';
import { inferSchema } from '../src/shared/schema/infer.js';
import { ecsLinuxSchema } from '../src/shared/schema/ecs-linux.js';
import { buildLayout } from '../src/shared/record/layout.js';
import { loadRules } from '../src/shared/rules/index.js';
import { checkRule } from '../src/shared/rules/compile-rule.js';
import { compileRulesetForRecords, RecordEvent } from '../src/shared/eql/codegen/ruleset.js';
import { WasmPredicateSet } from '../src/shared/eql/codegen/evaluator.js';
import { buildPredicates } from '../src/shared/eql/codegen/build-predicates.js';
import { testSchema } from './helpers/eql-schema.js';

const SHARED = path.resolve(process.cwd(), '../shared');
const EQL = path.join(SHARED, 'conformance/eql');

type Event = Record<string, unknown> & { serial_event_id: number; timestamp: number };
const events = (JSON.parse(readFileSync(path.join(EQL, 'data/endgame-140.json'), 'utf8')) as Event[]).sort(
  (a, b) => a.timestamp - b.timestamp || a.serial_event_id - b.serial_event_id,
);

describe('conformance event queries through records, engine=wasm', () => {
  const schema = inferSchema(events, 'endgame-140');
  const layout = buildLayout(schema);
  const cases = ['test_queries.toml', 'additional_test_queries.toml'].flatMap((file) => {
    const doc = parseToml(readFileSync(path.join(EQL, file), 'utf8')) as unknown as { queries: { name: string; query: string }[] };
    return doc.queries.filter((q) => parseQuery(q.query).kind === 'event').map((q) => ({ ...q, file }));
  });
  const checked: { name: string; query: CheckedQuery }[] = [];
  for (const c of cases) {
    try {
      checked.push({ name: `${c.file} ${c.name}`, query: checkQuery(parseQuery(c.query), { schema, categoryField: 'event_type', source: c.query }) });
    } catch {
      // A few queries are errors by design (the suites expect them to fail); the interpreter
      // tests cover those.
    }
  }

  it('selects exactly the interpreter’s events for every query, all in one module', async () => {
    expect(checked.length).toBeGreaterThanOrEqual(140);
    const { bytes, offsets } = packRecords(layout, events);
    const ruleset = await compileRulesetForRecords(checked.map((c) => c.query), layout, { engine: 'wasm' });
    ruleset.evaluateBatch(bytes, offsets, offsets.length);
    const mismatches: string[] = [];
    checked.forEach((c, i) => {
      const json = compileQuery(c.query).steps[0]!.filter.test;
      const want = events.filter((e) => json(e)).map((e) => e.serial_event_id);
      const wasm = ruleset.queries[i]!.steps[0]!.filter.test;
      const got = events.filter((_, r) => wasm(new RecordEvent(layout, bytes, r, offsets[r]!, r))).map((e) => e.serial_event_id);
      if (JSON.stringify(got) !== JSON.stringify(want)) mismatches.push(`${c.name}: wasm ${JSON.stringify(got)}, interpreter ${JSON.stringify(want)}`);
    });
    expect(mismatches).toEqual([]);
    const stats = ruleset.predicates!.prepared.stats;
    expect(stats.nativeNodes).toBeGreaterThan(stats.hostNodes);
  });

  it('engine=interp over the same records agrees too', async () => {
    const { bytes, offsets } = packRecords(layout, events);
    const ruleset = await compileRulesetForRecords(checked.map((c) => c.query), layout, { engine: 'interp' });
    ruleset.evaluateBatch(bytes, offsets, offsets.length);
    checked.forEach((c, i) => {
      const json = compileQuery(c.query).steps[0]!.filter.test;
      const test = ruleset.queries[i]!.steps[0]!.filter.test;
      const got = events.filter((_, r) => test(new RecordEvent(layout, bytes, r, offsets[r]!))).map((e) => e.serial_event_id);
      expect(got, c.name).toEqual(events.filter((e) => json(e)).map((e) => e.serial_event_id));
    });
  });
});

describe('the Elastic detection-rules corpus', () => {
  it('compiles every EQL rule into one valid predicate module', async () => {
    const { rules } = await loadRules([path.join(SHARED, 'rules-corpus/elastic-detection-rules')]);
    const schema = ecsLinuxSchema();
    const queries = rules.flatMap((r) => {
      const c = checkRule(r, { schema });
      return c.ok ? [c.checked] : [];
    });
    expect(queries.length).toBeGreaterThan(400);
    const filters = queries.flatMap((q) => [...q.steps.map((s) => s.filter), ...(q.until ? [q.until.filter] : [])]);
    const built = buildPredicates(filters, buildLayout(schema));
    expect(WebAssembly.validate(built.bytes as Uint8Array<ArrayBuffer>)).toBe(true);
    await WebAssembly.compile(built.bytes as Uint8Array<ArrayBuffer>);
    expect(built.predicateIds.length).toBe(filters.length);
    expect(built.module.stats.nativeNodes).toBeGreaterThan(built.module.stats.hostNodes);
  });
});

describe('fuel', () => {
  it('a pathological wildcard over a long value runs out of fuel and the batch falls back to the interpreter', async () => {
    const schema = testSchema({ 'k': 'keyword' });
    const layout = buildLayout(schema);
    // A `?` keeps the general matcher (`*`-only patterns are a prefix, suffix and ordered searches).
    const q = 'any where k : "*a*a*a*a*a*a*a*a*a*a*a*a?b"';
    const filter = checkQuery(parseQuery(q), { schema, source: q }).steps[0]!.filter;
    const set = await WasmPredicateSet.create({ filters: [filter] }, layout, { fuelPerRecord: 200_000 });
    const { bytes, offsets } = packRecords(layout, [{ k: 'a'.repeat(20_000) }, { k: 'ab' }, { k: `${'a'.repeat(30)}b` }]);
    set.evaluateBatch(bytes, offsets, 3);
    expect(set.counters.fuelFallbacks).toBe(1);
    expect([set.matches(0, 0), set.matches(1, 0), set.matches(2, 0)]).toEqual([false, false, true]);
    // The instance stays usable: a light batch runs natively again.
    const light = packRecords(layout, [{ k: `${'a'.repeat(13)}b` }]);
    set.evaluateBatch(light.bytes, light.offsets, 1);
    expect(set.counters.fuelFallbacks).toBe(1);
    expect(set.matches(0, 0)).toBe(true);
  });
});

describe('candidate bits', () => {
  it('evaluates only the predicates a selector marks, natively and for records the host evaluates', async () => {
    const schema = testSchema({ 'k': 'keyword' });
    const layout = buildLayout(schema);
    const filters = ['any where k == "x"', 'any where k : "*x*"'].map((q) => checkQuery(parseQuery(q), { schema, source: q }).steps[0]!.filter);
    const set = await WasmPredicateSet.create({ filters }, layout);
    // Record 2 carries a field outside the layout: the interpreter evaluates it (host_record).
    const { bytes, offsets } = packRecords(layout, [{ k: 'x' }, { k: 'x' }, { k: 'x', extra: 1 }]);
    const marks = [0b01, 0b10, 0b10];
    const seen: number[] = [];
    set.evaluateBatch(bytes, offsets, 3, (ev, words, at) => {
      seen.push(ev.index);
      words[at] = marks[ev.index]!;
    });
    expect(seen).toEqual([0, 1, 2]);
    expect(set.counters.hostRecords).toBe(1);
    const bits = (r: number) => [set.matches(r, 0), set.matches(r, 1)];
    expect([bits(0), bits(1), bits(2)]).toEqual([[true, false], [false, true], [false, true]]);
    // Without a selector every predicate is a candidate.
    set.evaluateBatch(bytes, offsets, 3);
    expect([bits(0), bits(1), bits(2)]).toEqual([[true, true], [true, true], [true, true]]);
  });
});

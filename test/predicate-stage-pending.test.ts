// The single-thread pipeline starts evaluating before its predicate module is compiled: the
// interpreter gives the bits until the module arrives, then the module does. Same bits either way.
import { describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { loadRules } from '../src/shared/rules/index.js';
import { checkRule } from '../src/shared/rules/compile-rule.js';
import { ecsLinuxSchema } from '../src/shared/schema/ecs-linux.js';
import { buildLayout } from '../src/shared/record/layout.js';
import { checkRuleset, checkSchemaFor, predicateFilters, ruleSpecOf } from '../src/shared/pipeline/ruleset.js';
import { WasmPredicateSet, type PreparedPredicates } from '../src/shared/eql/codegen/evaluator.js';
import { INTERPRET_FIRST_RECORDS, PredicateStage } from '../src/workers/predicate-stage/predicate-stage.js';
import { synthRecords } from './helpers/records.js';

const schema = ecsLinuxSchema();
const layout = buildLayout(schema);

async function setUp() {
  const loaded = await loadRules([resolve('rules')]);
  const specs = loaded.rules.filter((r) => checkRule(r, { schema }).ok).map(ruleSpecOf);
  const filters = predicateFilters(checkRuleset(specs, checkSchemaFor(schema)));
  const { bytes, offsets } = synthRecords(layout, 3000, 4);
  return { filters, bytes, offsets };
}

describe('PredicateStage.pending', () => {
  it('gives the same bits before and after the module takes over', async () => {
    const { filters, bytes, offsets } = await setUp();
    let ready!: (p: PreparedPredicates) => void;
    const stage = PredicateStage.pending(filters, layout, schema, new Promise((r) => (ready = r)));
    const before = stage.evaluate(bytes, offsets, offsets.length).slice(0, offsets.length * stage.wordsPerRecord);
    expect(stage.counters).toBeUndefined(); // interpreter so far
    ready(await WasmPredicateSet.prepare({ filters }, layout));
    await new Promise((r) => setImmediate(r));
    const after = stage.evaluate(bytes, offsets, offsets.length).slice(0, offsets.length * stage.wordsPerRecord);
    expect(stage.counters!.batches).toBe(1); // the module now
    expect(after).toEqual(before);
    expect(before.some((w) => w !== 0)).toBe(true);
  });

  it('throws a failed build at the next evaluation', async () => {
    const { filters, bytes, offsets } = await setUp();
    const stage = PredicateStage.pending(filters, layout, schema, Promise.reject(new Error('module build failed')));
    await new Promise((r) => setImmediate(r));
    expect(() => stage.evaluate(bytes, offsets, 1)).toThrow('module build failed');
  });
});

describe('the first records of a stage', () => {
  it(`are interpreted even when the module is ready (the first ${INTERPRET_FIRST_RECORDS}), with the module's bits`, async () => {
    const { filters, bytes, offsets } = await setUp();
    expect(offsets.length).toBeGreaterThan(INTERPRET_FIRST_RECORDS + 500);
    const stage = await PredicateStage.create(filters, layout, schema, 'wasm', await WasmPredicateSet.prepare({ filters }, layout));
    const W = stage.wordsPerRecord;
    const bitsOf = (from: number, to: number) => stage.evaluate(bytes, offsets.slice(from, to), to - from).slice(0, (to - from) * W);
    const split = INTERPRET_FIRST_RECORDS - 100;
    // Two batches while records are left to interpret (the second ends past the limit), then the module.
    const got = [bitsOf(0, split), bitsOf(split, INTERPRET_FIRST_RECORDS + 50)];
    expect(stage.counters!.records).toBe(0);
    got.push(bitsOf(INTERPRET_FIRST_RECORDS + 50, offsets.length));
    expect(stage.counters).toMatchObject({ batches: 1, records: offsets.length - INTERPRET_FIRST_RECORDS - 50 });
    const all = new Uint32Array(offsets.length * W);
    let at = 0;
    for (const g of got) {
      all.set(g, at);
      at += g.length;
    }
    const interp = await PredicateStage.create(filters, layout, schema, 'interp');
    expect(all).toEqual(interp.evaluate(bytes, offsets, offsets.length).slice(0, offsets.length * W));
    expect(all.some((w) => w !== 0)).toBe(true);

    // Live mode's stages use the module from the first record (moduleFromStart).
    const live = (await PredicateStage.create(filters, layout, schema, 'wasm', await WasmPredicateSet.prepare({ filters }, layout))).moduleFromStart();
    expect(live.evaluate(bytes, offsets.slice(0, 10), 10).slice(0, 10 * W)).toEqual(all.slice(0, 10 * W));
    expect(live.counters).toMatchObject({ batches: 1, records: 10 });
  });
});

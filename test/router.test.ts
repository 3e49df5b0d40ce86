// The router between the two stages (src/main/pipeline/router.ts): a record goes only where a rule
// with a true step owns its key, with only that partition's bits; a step that can only continue a
// match is not sent where the worker reported the rule's engine empty since the last start.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { BitRouter } from '../src/main/pipeline/router.js';
import { compileRuleset, type RuleSpec } from '../src/shared/pipeline/ruleset.js';
import { keyPartition } from '../src/shared/pipeline/partition.js';
import { buildLayout } from '../src/shared/record/layout.js';
import { encodeEvent } from '../src/shared/record/encode.js';
import { ecsLinuxSchema } from '../src/shared/schema/ecs-linux.js';

const schema = ecsLinuxSchema();
const layout = buildLayout(schema);
const spec = (id: string, query: string): RuleSpec => ({
  id, name: id, description: '', severity: 'low', riskScore: 1, version: 1, tags: [], threat: [], language: 'eql', query, file: `${id}.eql`,
});
// Filter ids: 0 = r0 step 0 (starts), 1 = r0 step 1 (continues), 2 = r1 (single event), 3/4 = r2.
const rules = [
  spec('r0', 'sequence by process.entity_id [process where event.type == "start"] [file where true]'),
  spec('r1', 'process where process.name == "x"'),
  spec('r2', 'sequence by user.name [process where true] [network where true]'),
];
const ruleset = compileRuleset(rules, layout, schema);
const N = 3;

function record(event: Record<string, unknown>, seq: number): Uint8Array {
  return encodeEvent(layout, event, seq);
}

function bitsOf(...ids: number[]): Uint32Array {
  const w = new Uint32Array(1);
  for (const id of ids) w[0] = w[0]! | (1 << id);
  return w;
}

/** Route one record; returns { partition: bits word } for every target. */
function route(router: BitRouter, event: Record<string, unknown>, seq: number, ...ids: number[]): Record<number, number> {
  const bytes = record(event, seq);
  const n = router.route(bytes, 0, seq, bitsOf(...ids), 0);
  const out: Record<number, number> = {};
  for (let i = 0; i < n; i++) out[router.target(i)] = router.bitsFor(router.target(i))[0]!;
  return out;
}

describe('BitRouter', () => {
  it('sends each step to the partition of its own key, with only that partition\'s bits', () => {
    const router = new BitRouter(ruleset, layout, schema, N);
    const pe = keyPartition('abc', N);
    const pu = keyPartition('root', N);
    const got = route(router, { event: { category: 'process', type: 'start' }, process: { entity_id: 'abc', name: 'x' }, user: { name: 'root' } }, 7, 0, 2, 3);
    const want: Record<number, number> = {};
    want[pe] = (want[pe] ?? 0) | 1;
    want[7 % N] = (want[7 % N] ?? 0) | 4;
    want[pu] = (want[pu] ?? 0) | 8;
    expect(got).toEqual(want);
    // No true step: no partition at all.
    expect(route(router, { process: { entity_id: 'abc' } }, 8)).toEqual({});
    expect(router.unrouted).toBe(1);
  });

  it('hashes key bytes in place exactly as keyPartition hashes the decoded value', () => {
    const router = new BitRouter(ruleset, layout, schema, 7);
    const key = fc.oneof(fc.string({ maxLength: 12 }), fc.constant(null), fc.array(fc.oneof(fc.string({ maxLength: 6 }), fc.constant(null)), { maxLength: 4 }));
    let seq = 0;
    fc.assert(
      fc.property(key, (entity) => {
        const got = Object.keys(route(router, { process: { entity_id: entity } }, seq++, 0)).map(Number).sort();
        const values = (Array.isArray(entity) ? entity : [entity]).filter((v) => v !== null);
        const want = values.length === 0 ? [keyPartition(null, 7)] : [...new Set(values.map((v) => keyPartition(v, 7)))];
        expect(got).toEqual(want.sort());
      }),
      { numRuns: 500 },
    );
  });

  it('skips a continuing step only once the worker reported the engine empty after the last start', () => {
    const router = new BitRouter(ruleset, layout, schema, N);
    const p = keyPartition('k1', N);
    const file = { event: { category: 'file' }, process: { entity_id: 'k1' } };
    // Nothing started anywhere: a continuing step has nothing to continue.
    expect(route(router, file, 1, 1)).toEqual({});
    expect(router.skippedContinuations).toBe(1);
    expect(route(router, { event: { category: 'process', type: 'start' }, process: { entity_id: 'k1' } }, 2, 0)).toEqual({ [p]: 1 });
    const started = router.ordinalFor(p);
    // The worker has not reported yet (or still holds state): the step goes there.
    expect(route(router, file, 3, 1)).toEqual({ [p]: 2 });
    Atomics.store(router.idle[p]!, 0, started - 1);
    expect(route(router, file, 4, 1)).toEqual({ [p]: 2 });
    // The worker found r0's engine empty as of an ordinal at or after the start.
    Atomics.store(router.idle[p]!, 0, router.ordinalFor(p));
    expect(route(router, file, 5, 1)).toEqual({});
    // A new start makes it wanted again.
    route(router, { event: { category: 'process', type: 'start' }, process: { entity_id: 'k1' } }, 6, 0);
    expect(route(router, file, 7, 1)).toEqual({ [p]: 2 });
  });

  it('counts every rule as started at a ruleset swap, so stale idle words never skip a step', () => {
    const old = new BitRouter(ruleset, layout, schema, N);
    const p = keyPartition('k1', N);
    for (let s = 0; s < 5; s++) route(old, { event: { category: 'process', type: 'start' }, process: { entity_id: 'k1' } }, s, 0);
    const next = new BitRouter(ruleset, layout, schema, N);
    next.continueFrom(old);
    // The old generation's worker wrote an idle word for rule 0 before the swap.
    Atomics.store(next.idle[p]!, 0, old.ordinalFor(p) - 1);
    expect(route(next, { event: { category: 'file' }, process: { entity_id: 'k1' } }, 9, 1)).toEqual({ [p]: 2 });
    expect(next.ordinalFor(p)).toBe(old.ordinalFor(p) + 1);
  });
});

// CompiledStep.keyId (eql/compile.ts) is a shortcut the sequence matcher takes for continuing steps:
// it must give exactly the id expandJoinKeys gives for an event with one join key, null where the
// event joins on nothing, and undefined (fall back) whenever there could be more than one key.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseQuery } from '../src/shared/eql/parser.js';
import { checkQuery } from '../src/shared/eql/checker.js';
import { compileQuery } from '../src/shared/eql/compile.js';
import { KEY_SEPARATOR, encodeKeyValue, expandJoinKeys, joinKeyId } from '../src/shared/engine/join-key.js';
import type { Value } from '../src/shared/engine/compiled.js';
import { OPEN_SCHEMA } from './helpers/eql-schema.js';

function stepsOf(query: string) {
  return compileQuery(checkQuery(parseQuery(query), { schema: OPEN_SCHEMA })).steps;
}

const scalar = fc.oneof(fc.constantFrom('a', 'b', '1', '', 'a\u0001b'), fc.integer({ min: -3, max: 3 }), fc.constantFrom(1.5, true, false, null));
const value = fc.oneof(scalar, fc.array(scalar, { maxLength: 3 }), fc.constant(undefined));

describe('join key ids without arrays (CompiledStep.keyId)', () => {
  it('equals expandJoinKeys on every event: the one key’s id, null for none, undefined for several', () => {
    const queries = ['sequence by a, b [any where true] [any where true]', 'sequence by a, ?b [any where true] [any where true]', 'sequence [any where true] by a [any where true] by a'];
    const steps = queries.flatMap(stepsOf);
    let ids = 0;
    let nulls = 0;
    let several = 0;
    fc.assert(
      fc.property(value, value, (a, b) => {
        const ev: Record<string, unknown> = {};
        if (a !== undefined) ev.a = a;
        if (b !== undefined) ev.b = b;
        for (const step of steps) {
          const expanded = expandJoinKeys(step.keys(ev), step.keyNullable);
          const id = step.keyId!(ev);
          if (id === undefined) {
            several++;
            // Only where a position holds several values (the keys() path then expands them).
            expect(step.keys(ev).some((values) => values.length > 1)).toBe(true);
          } else if (id === null) {
            nulls++;
            expect(expanded).toEqual([]);
          } else {
            ids++;
            expect(expanded.map((k) => k.id)).toEqual([id]);
          }
        }
      }),
      { numRuns: 3000 },
    );
    expect(ids).toBeGreaterThan(1000);
    expect(nulls).toBeGreaterThan(100);
    expect(several).toBeGreaterThan(100);
  });
});

describe('join key ids are unambiguous (joinKeyId)', () => {
  it('gives two keys the same id exactly when their type-tagged values are the same', () => {
    const tricky = fc.constantFrom('\uFFFF', '\uFFFFs1:a', 's1:a', 'i1', 'a', '', 'n', 'b1', 'a\u0001i1', '\uFFFFi1');
    const scalar = fc.oneof(tricky, fc.string({ maxLength: 3 }), fc.integer({ min: -2, max: 2 }), fc.constantFrom(null, true, 1.5, 1n));
    const key = fc.array(scalar, { minLength: 1, maxLength: 2 });
    const reference = (values: Value[]) => values.map(encodeKeyValue).join(KEY_SEPARATOR);
    let same = 0;
    fc.assert(
      fc.property(key, key, (a, b) => {
        const equal = reference(a) === reference(b) && a.length === b.length;
        if (equal) same++;
        expect(joinKeyId(a) === joinKeyId(b)).toBe(equal);
      }),
      { numRuns: 5000 },
    );
    expect(same).toBeGreaterThan(20);
    // The common key, one plain string, is its own id; anything else is marked as encoded.
    expect(joinKeyId(['abc'])).toBe('abc');
    expect(joinKeyId([1])).not.toBe('i1');
    expect(joinKeyId(['\uFFFFabc'])).not.toBe('\uFFFFabc');
  });
});

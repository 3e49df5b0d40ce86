// The Wasm back end against the reference interpreter: generated where-clauses over every
// operator and function, and generated events (missing fields, nulls, arrays, values of the
// wrong type, unicode, 64-bit integers) encoded as records. Every (record, predicate) bit of one
// batch evaluation must equal the interpreter over the same record, and over the JSON event the
// record was encoded from (what `kestrel query --engine interp` evaluates).
import { packRecords } from './helpers/records.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseQuery } from '../src/shared/eql/parser.js';
import { checkQuery } from '../src/shared/eql/checker.js';
import { compileFilter } from '../src/shared/eql/compile.js';
import { jsonFieldAccessor } from '../src/shared/eql/field-access.js';
import type { CheckedFilter } from '../src/shared/eql/ir.js';
import { WasmPredicateSet } from '../src/shared/eql/codegen/evaluator.js';
import { RecordEvent, recordFieldAccessor } from '../src/shared/eql/codegen/record-access.js';

import { event, expr, layout, schema } from './helpers/eql-arbitraries.js';

function check(query: string): CheckedFilter | null {
  try {
    return checkQuery(parseQuery(query), { schema, source: query }).steps[0]!.filter;
  } catch {
    return null;
  }
}

describe('Wasm predicates equal the interpreter over records', () => {
  it('on generated expressions and events', async () => {
    let accepted = 0;
    let native = 0;
    let host = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.constantFrom('any', 'process', 'network'), expr), { minLength: 1, maxLength: 40 }), fc.array(event, { minLength: 1, maxLength: 12 }), async (queries, events) => {
        const filters = queries.map(([cat, e]) => check(`${cat} where ${e}`)).filter((f): f is CheckedFilter => f !== null);
        accepted += filters.length;
        if (filters.length === 0) return;
        const set = await WasmPredicateSet.create({ filters }, layout);
        native += set.prepared.stats.nativeNodes;
        host += set.prepared.stats.hostNodes;
        const { bytes, offsets } = packRecords(layout, events);
        set.evaluateBatch(bytes, offsets, offsets.length);
        const accessor = recordFieldAccessor(layout);
        filters.forEach((f, p) => {
          const test = compileFilter(f, accessor).test;
          const testJson = compileFilter(f, jsonFieldAccessor).test;
          offsets.forEach((off, r) => {
            const want = test(new RecordEvent(layout, bytes, r, off));
            if (set.matches(r, p) !== want) throw new Error(`predicate ${p} record ${r}: wasm ${!want}, interpreter ${want}`);
            if (testJson(events[r]) !== want) throw new Error(`predicate ${p} record ${r}: over the record ${want}, over the JSON event ${!want}`);
          });
        });
        expect(set.counters.fuelFallbacks + set.counters.trapFallbacks).toBe(0);
      }),
      { numRuns: Number(process.env.KESTREL_PROPERTY_RUNS ?? 150) },
    );
    expect(accepted).toBeGreaterThan(500);
    // Most generated nodes must take the native path, or the comparison says little about it.
    expect(native).toBeGreaterThan(2 * host);
  });

  it('a batch whose records are not in memory order gives the same bits', async () => {
    const filters = ['any where k : "b*"', 'any where n > 3'].map((s) => check(s)!);
    const set = await WasmPredicateSet.create({ filters }, layout);
    const { bytes, offsets } = packRecords(layout, [{ k: 'bash', n: 1 }, { k: 'sh', n: 9 }]);
    const reversed = [offsets[1]!, offsets[0]!];
    set.evaluateBatch(bytes, reversed, 2);
    expect([set.matches(0, 0), set.matches(0, 1), set.matches(1, 0), set.matches(1, 1)]).toEqual([false, true, true, false]);
  });
});

// `*`-only wildcard patterns compile to a length check, a prefix, a suffix and ordered searches
// (expr.ts emitGlob) instead of the general matcher: every result must equal the interpreter's.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { packRecords } from './helpers/records.js';
import { parseQuery } from '../src/shared/eql/parser.js';
import { checkQuery } from '../src/shared/eql/checker.js';
import { compileFilter } from '../src/shared/eql/compile.js';
import { WasmPredicateSet } from '../src/shared/eql/codegen/evaluator.js';
import { RecordEvent, recordFieldAccessor } from '../src/shared/eql/codegen/record-access.js';
import { buildLayout } from '../src/shared/record/layout.js';
import { ecsLinuxSchema } from '../src/shared/schema/ecs-linux.js';

const schema = ecsLinuxSchema();
const layout = buildLayout(schema);
const unit = fc.constantFrom('a', 'b', 'A', 'B', '/', '.', 'x', 'é', 'K', '\u212A');
const part = fc.string({ unit, maxLength: 3 });

describe('glob patterns in the predicate module', () => {
  it('equal the interpreter for prefix*…*suffix patterns, case-sensitive or not', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.array(part, { minLength: 2, maxLength: 5 }), fc.boolean()), { minLength: 1, maxLength: 6 }),
        fc.array(fc.oneof(fc.string({ unit, maxLength: 12 }), fc.array(fc.string({ unit, maxLength: 8 }), { maxLength: 3 })), { minLength: 1, maxLength: 30 }),
        async (patterns, values) => {
          const filters = patterns.map(([parts, ci]) => {
            const q = `process where process.executable ${ci ? ':' : 'like'} "${parts.join('*')}"`;
            return checkQuery(parseQuery(q), { schema, source: q }).steps[0]!.filter;
          });
          const set = await WasmPredicateSet.create({ filters }, layout);
          const { bytes, offsets } = packRecords(layout, values.map((executable) => ({ event: { category: 'process' }, process: { executable } })));
          set.evaluateBatch(bytes, offsets, offsets.length);
          const accessor = recordFieldAccessor(layout);
          filters.forEach((f, p) => {
            const test = compileFilter(f, accessor).test;
            offsets.forEach((off, r) => {
              expect(set.matches(r, p), `${patterns[p]![0].join('*')} (${patterns[p]![1] ? 'ci' : 'cs'}) on ${JSON.stringify(values[r])}`).toBe(test(new RecordEvent(layout, bytes, r, off)));
            });
          });
        },
      ),
      { numRuns: 200 },
    );
  });
});

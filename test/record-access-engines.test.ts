// Both predicate engines must read a record the same way, including a layout field whose value had
// to go to the record's extra JSON (an array holding objects): the interpreter's accessor
// (eql/record-access.ts) and the Wasm module's host accessor (eql/codegen/record-access.ts).
import { describe, expect, it } from 'vitest';
import { parseQuery } from '../src/shared/eql/parser.js';
import { checkQuery } from '../src/shared/eql/checker.js';
import { buildLayout } from '../src/shared/record/layout.js';
import { createSchema } from '../src/shared/schema/schema.js';
import { PredicateStage } from '../src/workers/predicate-stage/predicate-stage.js';
import { packRecords } from './helpers/records.js';

const schema = createSchema('nested', [{ path: 'a', type: 'long' }, { path: 'a.b', type: 'long' }, { path: 'c', type: 'keyword' }], { strict: true });
const layout = buildLayout(schema);

describe('record field access, both engines', () => {
  it('agree on a field whose value sits in the extra JSON', async () => {
    const filters = ['any where a.b == 2', 'any where a == 1', 'any where c == "x"', 'any where a.b == null'].map((q) => checkQuery(parseQuery(q), { schema, source: q }).steps[0]!.filter);
    const events = [{ a: [1, { b: 2 }], c: 'x' }, { a: 1, c: 'x' }, { a: { b: 2 } }, { c: 'y' }];
    const { bytes, offsets } = packRecords(layout, events);
    const bitsOf = async (engine: 'wasm' | 'interp') => {
      const stage = await PredicateStage.create(filters, layout, schema, engine);
      return [...stage.evaluate(bytes, offsets, offsets.length).slice(0, offsets.length * stage.wordsPerRecord)];
    };
    const wasm = await bitsOf('wasm');
    expect(await bitsOf('interp')).toEqual(wasm);
    // As Elasticsearch reads them (and `kestrel query` over the JSON): record 0 has a.b == 2 inside
    // the array (extra JSON), a == 1 and c == "x"; record 2 has a.b == 2; record 3 has no a.b.
    expect(wasm).toEqual([0b0111, 0b1110, 0b0001, 0b1000]);
  });
});

// Encoding with a projection (record/projection.ts): over the layout narrowed to the read paths,
// every read path gives exactly the value it gives over the JSON event (missing vs null, arrays,
// objects of arrays, wrong types), and nothing else of the event is in the record.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { getField } from '../src/shared/eql/field-access.js';
import { decodeRecord } from '../src/shared/record/decode.js';
import { encodeEvent } from '../src/shared/record/encode.js';
import { RecordFlag } from '../src/shared/record/frame.js';
import { buildLayout } from '../src/shared/record/layout.js';
import { ALL_FIELDS, projectFields, projectPaths } from '../src/shared/record/projection.js';
import { RecordView } from '../src/shared/record/view.js';
import { createSchema } from '../src/shared/schema/schema.js';
import type { FieldDef } from '../src/shared/schema/types.js';

const FIELDS: FieldDef[] = [
  { path: 'a', type: 'keyword' },
  { path: 'b.c', type: 'long' },
  { path: 'b.d', type: 'keyword', multi: true },
  { path: 'c', type: 'object' },
  { path: 'd.a.b', type: 'ip' },
  { path: 'd.a.c', type: 'boolean' },
  { path: 'd.b', type: 'double' },
];
const KEYS = ['a', 'b', 'c', 'd', 'e'];

const { value: jsonish } = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true }),
    fc.constantFrom('a', 'ü', '10.0.0.1', ''),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.constantFrom(...KEYS), tie('value'), { maxKeys: 3 }),
  ),
}));
const eventArb = fc.dictionary(fc.constantFrom(...KEYS), jsonish, { maxKeys: 5 });
const pathArb = fc.array(fc.constantFrom(...KEYS), { minLength: 1, maxLength: 3 });

function decode(layout: ReturnType<typeof buildLayout>, bytes: Uint8Array) {
  const view = new RecordView(layout, bytes);
  return { json: decodeRecord(view), hasExtra: (view.flags & RecordFlag.hasExtra) !== 0 };
}

/** Every leaf position of a decoded record, as segments (arrays count as leaves). */
function positions(obj: unknown, prefix: string[] = [], out: string[][] = []): string[][] {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj) || Object.keys(obj).length === 0) {
    out.push(prefix);
    return out;
  }
  for (const [k, v] of Object.entries(obj)) positions(v, [...prefix, k], out);
  return out;
}

const isPrefix = (p: readonly string[], q: readonly string[]): boolean => p.length <= q.length && p.every((s, i) => q[i] === s);

describe('encodeEvent with a projection', () => {
  it('keeps every read path exact and drops everything else', () => {
    fc.assert(
      fc.property(eventArb, fc.array(pathArb, { minLength: 1, maxLength: 3 }), (event, reads) => {
        const projection = projectPaths(reads);
        const layout = buildLayout(createSchema('narrowed', projectFields(FIELDS, projection), { strict: false }));
        const { json } = decode(layout, encodeEvent(layout, event, 1, undefined, projection));
        for (const p of reads) expect(getField(json, p), p.join('.')).toEqual(getField(event, p));
        // Kept: what lies on the way to or below a read path, or inside a value a layout field on
        // the way holds whole (an object where the layout has a leaf is stored as its JSON).
        const leaves = layout.fields.map((f) => f.segments);
        const onTheWay = (q: string[], p: readonly string[]): boolean => leaves.some((f) => isPrefix(f, q) && isPrefix(f, p));
        for (const q of positions(json)) {
          if (q.length === 0) continue;
          expect(reads.some((p) => isPrefix(p, q) || isPrefix(q, p) || onTheWay(q, p)), `kept ${q.join('.')}`).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('narrows the layout to the fields on the way to or below a read path', () => {
    const projection = projectPaths([['d', 'a'], ['b', 'c', 'x']]);
    expect(projectFields(FIELDS, projection).map((f) => f.path)).toEqual(['b.c', 'd.a.b', 'd.a.c']);
    expect(projectFields(FIELDS, ALL_FIELDS)).toEqual(FIELDS);
  });

  it('leaves unread keys out of the extra JSON, and keeps only the read part of an unknown object', () => {
    const projection = projectPaths([['a'], ['q', 'r']]);
    const layout = buildLayout(createSchema('narrowed', projectFields(FIELDS, projection), { strict: false }));
    // A dotted key is one segment to the field reader, so `q.r` here is no path to q → r.
    const unread = { a: 'x', b: { c: 1, z: [[1], { y: 2 }] }, late: { deep: [1, [2]] }, n: 18446744073709551616n, 'q.r': 1 };
    expect(decode(layout, encodeEvent(layout, unread, 1, undefined, projection))).toEqual({ json: { a: 'x' }, hasExtra: false });
    const partly = { a: 'x', q: { r: [1, { s: 2 }], s: 3, t: {} } };
    expect(decode(layout, encodeEvent(layout, partly, 1, undefined, projection))).toEqual({ json: { a: 'x', q: { r: [1, { s: 2 }] } }, hasExtra: true });
    // Without a projection nothing is dropped.
    expect(decode(layout, encodeEvent(layout, unread, 1)).json).toEqual(unread);
  });
});

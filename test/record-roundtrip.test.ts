import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { buildLayout } from '../src/shared/record/layout.js';
import { createSchema } from '../src/shared/schema/schema.js';
import { encodeEvent } from '../src/shared/record/encode.js';
import { decodeRecord } from '../src/shared/record/decode.js';
import { RecordView } from '../src/shared/record/view.js';
import { RecordBuilder } from '../src/shared/record/builder.js';
import { Tag } from '../src/shared/record/frame.js';
import { setOwn } from '../src/shared/record/own.js';
import type { FieldType } from '../src/shared/schema/types.js';

const FIELDS: { path: string; type: FieldType; multi?: boolean }[] = [
  { path: '@timestamp', type: 'date' },
  { path: 'event.type', type: 'keyword', multi: true },
  { path: 'event.ingested', type: 'date_nanos' },
  { path: 'process.name', type: 'keyword' },
  { path: 'process.pid', type: 'long' },
  { path: 'process.args', type: 'keyword', multi: true },
  { path: 'process.parent.pid', type: 'integer' },
  { path: 'process.Ext', type: 'object' },
  { path: 'destination.ip', type: 'ip' },
  { path: 'destination.bytes', type: 'unsigned_long' },
  { path: 'host.cpu.usage', type: 'scaled_float' },
  { path: 'process.interactive', type: 'boolean' },
  { path: 'geo.location', type: 'geo_point' },
];
const schema = createSchema('roundtrip', FIELDS, { strict: true });
const layout = buildLayout(schema);

const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;
const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
const anyString = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary' }), fc.string({ unit: fc.oneof(loneSurrogate, fc.constant('a')) }));
const isoDate = fc
  .tuple(fc.date({ min: new Date('1900-01-01T00:00:00Z'), max: new Date('2200-01-01T00:00:00Z'), noInvalidDate: true }), fc.integer({ min: 0, max: 9 }), fc.integer({ min: 0, max: 999_999_999 }))
  .map(([d, digits, ns]) => d.toISOString().slice(0, 19) + (digits ? '.' + String(ns).padStart(9, '0').slice(0, digits) : '') + 'Z');
// The edges of the safe range: decoding reads a safe integer as a number and the rest as BigInt.
const SAFE_EDGES = [2n ** 53n - 1n, 2n ** 53n, 2n ** 53n + 1n, -(2n ** 53n - 1n), -(2n ** 53n), -(2n ** 53n + 1n), 2n ** 32n, -(2n ** 32n), 2n ** 32n - 1n, -(2n ** 31n)];
const int64 = fc.oneof(fc.maxSafeInteger(), fc.bigInt({ min: I64_MIN, max: I64_MAX }), fc.constantFrom(I64_MIN, I64_MAX, 0n, -1n, ...SAFE_EDGES));
const jsonValue = fc.jsonValue();
// Values of the wrong type for a field must survive too (text / JSON / bigint fallbacks).
const wrongType = fc.oneof(anyString, fc.double(), fc.boolean(), fc.bigInt(), jsonValue);

function valueFor(type: FieldType): fc.Arbitrary<unknown> {
  switch (type) {
    case 'date':
    case 'date_nanos':
      return fc.oneof(isoDate, fc.integer({ min: -1e12, max: 9e12 }), wrongType);
    case 'keyword':
      return fc.oneof({ weight: 4, arbitrary: anyString }, { weight: 1, arbitrary: wrongType });
    case 'long':
    case 'integer':
      return fc.oneof(int64, fc.bigInt({ min: -(1n << 70n), max: 1n << 70n }), wrongType);
    case 'unsigned_long':
      return fc.oneof(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), fc.constantFrom((1n << 64n) - 1n, ...SAFE_EDGES.filter((v) => v >= 0n)), fc.bigInt(), wrongType);
    case 'ip':
      return fc.oneof(fc.ipV4(), fc.ipV6(), fc.ipV4Extended(), wrongType);
    case 'scaled_float':
      return fc.oneof(fc.double(), wrongType);
    case 'boolean':
      return fc.oneof(fc.boolean(), wrongType);
    default:
      return jsonValue;
  }
}

/** missing / null / value / array of values (with nulls). */
function slotFor(type: FieldType): fc.Arbitrary<unknown> {
  const v = valueFor(type);
  return fc.oneof(fc.constant(undefined), fc.constant(null), v, fc.array(fc.oneof(v, fc.constant(null)), { maxLength: 5 }));
}

/** Events as nested objects. */
const eventArb = fc
  .tuple(fc.tuple(...FIELDS.map((f) => slotFor(f.type))), fc.dictionary(fc.string({ minLength: 1 }).filter((k) => !['process', 'event', 'destination', 'host', 'geo', '@timestamp'].includes(k) && !k.includes('.')), jsonValue, { maxKeys: 3 }))
  .map(([values, extra]) => {
    const ev: Record<string, unknown> = { ...extra };
    FIELDS.forEach((f, i) => {
      if (values[i] !== undefined) setPath(ev, f.path.split('.'), values[i]);
    });
    return ev;
  });

function setPath(obj: Record<string, unknown>, segs: string[], v: unknown): void {
  let o = obj;
  for (const s of segs.slice(0, -1)) o = (o[s] ??= {}) as Record<string, unknown>;
  setOwn(o, segs.at(-1)!, v);
}

/** The codec's promise: the same values, with integers as numbers whenever they are safe. */
function normalise(v: unknown): unknown {
  if (typeof v === 'bigint') return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
  if (Array.isArray(v)) return v.map(normalise);
  if (v !== null && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) setOwn(o, k, normalise(x));
    return o;
  }
  return v;
}

describe('record round trip', () => {
  it('decode(encode(event)) gives the event back (nested), for every value shape', () => {
    const builder = new RecordBuilder(layout);
    fc.assert(
      fc.property(eventArb, fc.maxSafeNat(), (ev, seq) => {
        const bytes = encodeEvent(layout, ev, seq, builder);
        const view = new RecordView(layout, bytes);
        view.validate();
        expect(view.seq).toBe(seq);
        expect(decodeRecord(view)).toEqual(normalise(ev));
      }),
      { numRuns: 400 },
    );
  });

  it('encodes identically whatever the builder history (no stale bytes)', () => {
    const builder = new RecordBuilder(layout, 16);
    fc.assert(
      fc.property(eventArb, eventArb, (a, b) => {
        const fresh = encodeEvent(layout, a, 1);
        encodeEvent(layout, b, 2, builder);
        expect(Buffer.from(encodeEvent(layout, a, 1, builder))).toEqual(Buffer.from(fresh));
      }),
      { numRuns: 200 },
    );
  });

  it('accepts dotted keys and mixed nesting, giving nested output', () => {
    const bytes = encodeEvent(layout, { 'process.name': 'sh', process: { 'parent.pid': 1 }, 'destination.ip': '10.0.0.1', 'extra.dotted': 1 }, 1);
    expect(decodeRecord(new RecordView(layout, bytes))).toEqual({ process: { name: 'sh', parent: { pid: 1 } }, destination: { ip: '10.0.0.1' }, 'extra.dotted': 1 });
  });
});

describe('a field with child fields holding an array of objects', () => {
  // `a` and `a.b` are both fields (inferred from {a: 1} and {a: {b: 2}}); {a: [1, {b: 2}]} puts
  // a value of `a.b` inside `a`'s array, where JSON readers find it (they cross arrays).
  const nested = buildLayout(createSchema('nested', [{ path: 'a', type: 'long' }, { path: 'a.b', type: 'long' }], { strict: true }));
  it('goes to the extra JSON, so readers of the child field look there', () => {
    const ev = { a: [1, { b: 2 }] };
    const v = new RecordView(nested, encodeEvent(nested, ev, 1));
    expect(v.has(nested.fieldId('a'))).toBe(false);
    expect(v.extraJson()).toBeDefined();
    expect(decodeRecord(v)).toEqual(ev);
  });
  it('stays in its slot when it holds only scalars', () => {
    const v = new RecordView(nested, encodeEvent(nested, { a: [1, null, 3] }, 1));
    expect([v.has(nested.fieldId('a')), v.extraJson()]).toEqual([true, undefined]);
  });
});

describe('missing, null and empty stay distinct', () => {
  const id = layout.fieldId('process.name');
  const read = (ev: Record<string, unknown>) => new RecordView(layout, encodeEvent(layout, ev, 1));

  it('missing: not present', () => {
    const v = read({});
    expect([v.has(id), v.isNull(id), v.getString(id)]).toEqual([false, false, undefined]);
  });
  it('null: present and null', () => {
    const v = read({ process: { name: null } });
    expect([v.has(id), v.isNull(id), v.tag(id), v.getString(id)]).toEqual([true, true, Tag.null, undefined]);
    expect(decodeRecord(v)).toEqual({ process: { name: null } });
  });
  it('empty string: present, not null, empty', () => {
    const v = read({ process: { name: '' } });
    expect([v.has(id), v.isNull(id), v.getString(id)]).toEqual([true, false, '']);
    expect(v.stringEquals(id, new Uint8Array(0))).toBe(true);
  });
  it('empty array: present, zero elements', () => {
    const v = read({ process: { args: [] } });
    expect(v.arrayCount(layout.fieldId('process.args'))).toBe(0);
    expect(decodeRecord(v)).toEqual({ process: { args: [] } });
  });
});

describe('64-bit values and dates', () => {
  const pid = layout.fieldId('process.pid');
  const bytesId = layout.fieldId('destination.bytes');
  const ts = layout.fieldId('@timestamp');

  it.each([I64_MIN, I64_MAX, -1n, 0n, 1n << 53n, -(1n << 53n) - 1n])('i64 %s is exact', (n) => {
    const v = new RecordView(layout, encodeEvent(layout, { process: { pid: n } }, 1));
    expect(v.getBigInt(pid)).toBe(n);
    expect(v.getI64AsNumber(pid)).toBe(Number(n));
  });

  it('u64 max is exact and unsigned', () => {
    const v = new RecordView(layout, encodeEvent(layout, { destination: { bytes: (1n << 64n) - 1n } }, 1));
    expect(v.getBigInt(bytesId)).toBe((1n << 64n) - 1n);
  });

  it('safe integers read back without BigInt as the same number', () => {
    fc.assert(
      fc.property(fc.maxSafeInteger(), (n) => {
        expect(new RecordView(layout, encodeEvent(layout, { process: { pid: n } }, 1)).getI64AsNumber(pid)).toBe(n);
      }),
    );
  });

  it('stores dates as nanoseconds and sets the header timestamp', () => {
    const v = new RecordView(layout, encodeEvent(layout, { '@timestamp': '2024-05-01T12:00:00.123456789Z' }, 1));
    expect(v.getBigInt(ts)).toBe(1714564800123456789n);
    expect(v.timestampNs).toBe(1714564800123456789n);
    expect(v.hasTimestamp).toBe(true);
    const ms = new RecordView(layout, encodeEvent(layout, { '@timestamp': 1714564800123 }, 1));
    expect(ms.getBigInt(ts)).toBe(1714564800123000000n);
    expect(decodeRecord(ms)).toEqual({ '@timestamp': 1714564800123 });
  });

  it('pre-1970 dates are exact', () => {
    const v = new RecordView(layout, encodeEvent(layout, { '@timestamp': '1969-12-31T23:59:59.5Z' }, 1));
    expect(v.getBigInt(ts)).toBe(-500_000_000n);
    expect(decodeRecord(v)).toEqual({ '@timestamp': '1969-12-31T23:59:59.5Z' });
  });

  it('keeps non-canonical dates and IPs as text', () => {
    const ev = { '@timestamp': '2024-05-01T12:00:00+02:00', destination: { ip: '::FFFF:10.0.0.1' } };
    const v = new RecordView(layout, encodeEvent(layout, ev, 1));
    expect(v.tag(ts)).toBe(Tag.text);
    expect(v.hasTimestamp).toBe(false);
    expect(decodeRecord(v)).toEqual(ev);
  });
});

describe('strings', () => {
  it('round-trips a very long unicode string and compares bytes in place', () => {
    const s = 'ü€𝄞x'.repeat(300_000);
    const v = new RecordView(layout, encodeEvent(layout, { process: { name: s } }, 1));
    const id = layout.fieldId('process.name');
    expect(v.getString(id)).toBe(s);
    expect(v.stringEquals(id, new TextEncoder().encode(s))).toBe(true);
    expect(v.stringEquals(id, new TextEncoder().encode(s.slice(1)))).toBe(false);
    const span = { offset: 0, length: 0 };
    expect(v.getStringBytes(id, span)).toBe(true);
    expect(span.length).toBe(Buffer.byteLength(s));
  });

  it('keeps strings with lone surrogates exactly (as JSON text)', () => {
    const s = 'a\ud800b';
    const v = new RecordView(layout, encodeEvent(layout, { process: { name: s } }, 1));
    expect(v.tag(layout.fieldId('process.name'))).toBe(Tag.json);
    expect(decodeRecord(v)).toEqual({ process: { name: s } });
  });
});

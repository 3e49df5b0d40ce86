// ECS JSON event → binary record. Accepts nested objects, dotted keys or a mix; integers as
// number or bigint. Every value is kept losslessly: a value that does not fit its field's storage
// type is stored with a tag that says how (text, JSON, bigint digits), and fields the layout does
// not know go to the record's extra-JSON blob. So decode(encode(x)) gives x back (nested).
// With a projection (projection.ts), keys no read path can reach are skipped instead (never
// visited): then the record holds exactly what those readers see.
import { InputError } from '../errors.js';
import { BIGINT_JSON_KEY, NUMBER_JSON_KEY, Storage, Tag } from './frame.js';
import { RecordBuilder } from './builder.js';
import type { FieldLayout, PathNode, RecordLayout } from './layout.js';
import { I64_MAX, I64_MIN, U64_MAX } from './int64.js';
import { formatIp, parseIp } from './ip.js';
import { parseIsoToNs, writeMillisAsNs } from './date.js';
import { isWellFormed } from './utf8.js';
import { getOwn, setOwn } from './own.js';
import { ALL_FIELDS, type ProjectionNode } from './projection.js';

export type JsonObject = { [key: string]: unknown };

/**
 * Encodes one event. With `out`, the record is built in out.output and a view of it is returned
 * (valid until the next encode with the same builder); without, a fresh copy is returned.
 * `projection` (default: every field) leaves out the keys it proves unread.
 */
export function encodeEvent(
  layout: RecordLayout,
  json: JsonObject,
  seq: number | bigint,
  out?: RecordBuilder,
  projection: ProjectionNode = ALL_FIELDS,
): Uint8Array {
  const b = out ?? new RecordBuilder(layout);
  if (b.layout !== layout) throw new InputError('record.layout-mismatch', 'encodeEvent: the builder was made for another layout');
  b.begin(seq);
  const extra = encodeObject(b, layout.root, json, projection);
  if (extra !== undefined) b.setExtraJson(toJsonText(extra));
  const n = b.finish();
  return out ? b.output.subarray(0, n) : b.output.slice(0, n);
}

/** A trie position the layout has no fields at or below: everything read there is extra. */
const NO_FIELDS: PathNode = Object.freeze({ field: undefined, children: undefined });
const NO_CHILDREN: ReadonlyMap<string, ProjectionNode> = new Map();

/**
 * Walks one object level against the path trie and the projection. Returns the leftovers (read
 * fields the layout does not know) as an object of the same shape, or undefined when there are none.
 */
function encodeObject(b: RecordBuilder, node: PathNode, obj: JsonObject, projection: ProjectionNode): JsonObject | undefined {
  let extra: JsonObject | undefined;
  if (projection.whole) {
    for (const key of Object.keys(obj)) extra = encodeMember(b, node, key, obj[key], projection, extra);
    return extra;
  }
  // Only some paths are read below here: look their keys up instead of visiting every key, so
  // the event's other keys cost nothing. A key is one path segment, as the field reader
  // (field-access.ts getField) takes it: a dotted key is no path to a read field.
  for (const [key, read] of projection.children ?? NO_CHILDREN) extra = encodeMember(b, node, key, getOwn(obj, key), read, extra);
  return extra;
}

/** Encodes `obj[key]` (read as `read` says); returns `extra` with the member added if it went there. */
function encodeMember(b: RecordBuilder, node: PathNode, key: string, value: unknown, read: ProjectionNode, extra: JsonObject | undefined): JsonObject | undefined {
  if (value === undefined) return extra;
  const target = descend(node, key);
  if (target === undefined) {
    if (!read.whole && isPlainObject(value)) {
      // Only some paths below are read: keep just those (the rest would be dead weight that
      // every reader of the extra JSON parses).
      const sub = encodeObject(b, NO_FIELDS, value, read);
      if (sub !== undefined) setOwn((extra ??= {}), key, sub);
      return extra;
    }
    setOwn((extra ??= {}), key, value);
    return extra;
  }
  const descendInto = target.children !== undefined && isPlainObject(value);
  if (target.field !== undefined && !(descendInto && target.field.storage !== Storage.json)) {
    if (target.children !== undefined && target.field.storage !== Storage.json && holdsContainers(value)) {
      // The layout has fields below this one, and their values sit inside this array's
      // objects, where a slot would hide them as JSON elements: readers of a child field look
      // in its own slot only. The extra JSON keeps them where every reader finds them.
      setOwn((extra ??= {}), key, value);
      return extra;
    }
    encodeField(b, target.field, value);
    return extra;
  }
  if (descendInto && Object.keys(value).length > 0) {
    const sub = encodeObject(b, target, value, read);
    if (sub !== undefined) setOwn((extra ??= {}), key, sub);
    return extra;
  }
  // An intermediate object holding a scalar, an array or {}: the layout has no place for it.
  setOwn((extra ??= {}), key, value);
  return extra;
}

/** Follows a key (possibly dotted) down the trie. */
function descend(node: PathNode, key: string): PathNode | undefined {
  const direct = node.children?.get(key);
  if (direct !== undefined || !key.includes('.')) return direct;
  let cur: PathNode | undefined = node;
  for (const seg of key.split('.')) {
    cur = cur.children?.get(seg);
    if (cur === undefined) return undefined;
  }
  return cur;
}

/** An array with an object or array element (null and scalars do not count). */
function holdsContainers(v: unknown): boolean {
  return Array.isArray(v) && v.some((el) => typeof el === 'object' && el !== null);
}

function isPlainObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// Scratch space for values parsed before they are staged (IP bytes, date nanoseconds).
const ipScratch = new Uint8Array(16);
const i64Scratch = new DataView(new ArrayBuffer(8));

/** Parses a date value into i64Scratch and returns its tag, or -1 if it is not a storable date. */
function parseDate(value: unknown): number {
  if (typeof value === 'string') {
    const digits = parseIsoToNs(value, i64Scratch, 0);
    return digits < 0 ? -1 : Tag.dateIso + digits;
  }
  if (typeof value === 'number' && !Object.is(value, -0) && writeMillisAsNs(i64Scratch, 0, value)) return Tag.dateMillis;
  return -1;
}

function parseCanonicalIp(value: unknown): boolean {
  return typeof value === 'string' && parseIp(value, ipScratch, 0) && formatIp(ipScratch, 0) === value;
}

/** A safe integer (not -0) that an int/uint field holds natively. */
function isStorableInt(v: unknown, unsigned: boolean): boolean {
  return typeof v === 'number' && Number.isSafeInteger(v) && !Object.is(v, -0) && (!unsigned || v >= 0);
}

function fitsInt(v: bigint, unsigned: boolean): boolean {
  return unsigned ? v >= 0n && v <= U64_MAX : v >= I64_MIN && v <= I64_MAX;
}

/** Encodes one field value: scalar, null or array. */
export function encodeField(b: RecordBuilder, f: FieldLayout, value: unknown): void {
  if (value === null) return b.setNull(f.id);
  if (Array.isArray(value)) {
    b.beginArray(f.id);
    for (const el of value) encodeElement(b, f, el);
    b.endArray();
    return;
  }
  const id = f.id;
  switch (f.storage) {
    case Storage.string:
      if (typeof value === 'string' && isWellFormed(value)) return b.setString(id, value);
      break;
    case Storage.int:
    case Storage.uint: {
      const unsigned = f.storage === Storage.uint;
      if (isStorableInt(value, unsigned)) return b.setInt(id, value as number);
      if (typeof value === 'bigint' && fitsInt(value, unsigned)) return b.setBigInt(id, value, unsigned);
      break;
    }
    case Storage.float:
      if (typeof value === 'number') return b.setF64(id, value);
      break;
    case Storage.bool:
      if (typeof value === 'boolean') return b.setBool(id, value);
      break;
    case Storage.date: {
      const tag = parseDate(value);
      if (tag >= 0) return b.setI64Parts(id, i64Scratch.getUint32(0, true), i64Scratch.getUint32(4, true), tag);
      break;
    }
    case Storage.ip:
      if (parseCanonicalIp(value)) return b.setIp(id, ipScratch);
      break;
    case Storage.json:
      return b.setString(id, toJsonText(value), Tag.native);
  }
  // The value does not fit the field's storage: a double, verbatim text, bigint digits or JSON.
  if (typeof value === 'number') b.setF64(id, value, Tag.double);
  else if (typeof value === 'string' && isWellFormed(value)) b.setString(id, value, Tag.text);
  else if (typeof value === 'bigint') b.setString(id, value.toString(), Tag.bigint);
  else b.setString(id, toJsonText(value), Tag.json);
}

function encodeElement(b: RecordBuilder, f: FieldLayout, el: unknown): void {
  if (el === null || el === undefined) return b.elementNull();
  switch (f.storage) {
    case Storage.string:
      if (typeof el === 'string' && isWellFormed(el)) return b.elementString(el);
      break;
    case Storage.int:
    case Storage.uint: {
      const unsigned = f.storage === Storage.uint;
      if (isStorableInt(el, unsigned)) return b.elementInt(el as number);
      if (typeof el === 'bigint' && fitsInt(el, unsigned)) return b.elementBigInt(el, unsigned);
      break;
    }
    case Storage.float:
      if (typeof el === 'number') return b.elementF64(el);
      break;
    case Storage.bool:
      if (typeof el === 'boolean') return b.elementBool(el);
      break;
    case Storage.date: {
      const tag = parseDate(el);
      if (tag >= 0) return b.elementI64Parts(i64Scratch.getUint32(0, true), i64Scratch.getUint32(4, true), tag);
      break;
    }
    case Storage.ip:
      if (parseCanonicalIp(el)) return b.elementIp(ipScratch);
      break;
    case Storage.json:
      if (!Array.isArray(el)) return b.elementString(toJsonText(el), Tag.native);
      break;
  }
  if (typeof el === 'number') b.elementF64(el, Tag.double);
  else if (typeof el === 'string' && isWellFormed(el)) b.elementString(el, Tag.text);
  else if (typeof el === 'bigint') b.elementString(el.toString(), Tag.bigint);
  else b.elementString(toJsonText(el), Tag.json);
}

/** JSON text that keeps bigints and non-JSON numbers (see frame.ts); lone surrogates come out escaped. */
export function toJsonText(v: unknown): string {
  return JSON.stringify(v, keepSpecialNumbers) ?? 'null';
}

function keepSpecialNumbers(_key: string, x: unknown): unknown {
  if (typeof x === 'bigint') return { [BIGINT_JSON_KEY]: x.toString() };
  if (typeof x === 'number' && (!Number.isFinite(x) || Object.is(x, -0))) return { [NUMBER_JSON_KEY]: String(Object.is(x, -0) ? '-0' : x) };
  return x;
}

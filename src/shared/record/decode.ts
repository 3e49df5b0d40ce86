// Record → ECS JSON (nested objects), for alerts and `kestrel query` output. Not a hot path: it
// allocates freely, and uses BigInt for dates and for integers beyond the safe range. Integers
// come back as numbers when they are safe integers and as bigints otherwise; dates come back in
// the form they were given.
import { ArrayLayout, BIGINT_JSON_KEY, IP_BYTES, NUMBER_JSON_KEY, Storage, Tag } from './frame.js';
import type { FieldLayout } from './layout.js';
import type { RecordView } from './view.js';
import { formatIp } from './ip.js';
import { formatNsIso } from './date.js';
import { readUtf8 } from './utf8.js';
import { getOwn, setOwn } from './own.js';
import { readInt64AsNumber, readUint64AsNumber } from './int64.js';

export type DecodedEvent = { [key: string]: unknown };

/** The whole record as a nested ECS object (schema fields plus the extra-JSON fields). */
export function decodeRecord(view: RecordView): DecodedEvent {
  const layout = view.layout;
  const out: DecodedEvent = {};
  const dv = view.dataView;
  for (let w = 0; w < layout.presenceWords; w++) {
    let bits = dv.getUint32(view.base + layout.bitmapOffset + 4 * w, true);
    while (bits !== 0) {
      const low = bits & -bits;
      bits ^= low;
      const f = layout.fields[(w << 5) | (31 - Math.clz32(low))]!;
      setPath(out, f.segments, decodeField(view, f.id));
    }
  }
  const extra = view.extraJson();
  if (extra !== undefined) mergeInto(out, parseJsonText(extra) as DecodedEvent);
  return out;
}

/** One field's value; undefined when missing. */
export function decodeField(view: RecordView, id: number): unknown {
  const f = view.layout.fields[id]!;
  const slot = view.slotOffset(id);
  if (slot < 0) return undefined;
  const tag = view.tag(id);
  const dv = view.dataView;
  if (tag === Tag.array) {
    const start = view.base + dv.getUint32(slot, true);
    const count = dv.getUint32(start, true);
    const arr: unknown[] = new Array(count);
    let pos = start + ArrayLayout.countSize;
    for (let i = 0; i < count; i++) {
      const len = dv.getUint32(pos + 1, true);
      arr[i] = decodeValue(view.bytes, dv, view.bytes[pos]!, f, pos + ArrayLayout.elementHeaderSize, len);
      pos += ArrayLayout.elementHeaderSize + len;
    }
    return arr;
  }
  if (usesVarArea(tag, f)) {
    return decodeValue(view.bytes, dv, tag, f, view.base + dv.getUint32(slot, true), dv.getUint32(slot + 4, true));
  }
  return decodeValue(view.bytes, dv, tag, f, slot, 8);
}

function usesVarArea(tag: number, f: FieldLayout): boolean {
  if (tag === Tag.native) return f.storage === Storage.string || f.storage === Storage.ip || f.storage === Storage.json;
  return tag === Tag.text || tag === Tag.json || tag === Tag.bigint;
}

/** Decodes a value whose bytes (a slot or a var-area/element payload) start at `at`. */
function decodeValue(bytes: Uint8Array, dv: DataView, tag: number, f: FieldLayout, at: number, len: number): unknown {
  switch (tag) {
    case Tag.null:
      return null;
    case Tag.text:
      return readUtf8(bytes, at, at + len);
    case Tag.json:
      return parseJsonText(readUtf8(bytes, at, at + len));
    case Tag.bigint:
      return normaliseInt(BigInt(readUtf8(bytes, at, at + len)));
    case Tag.double:
      return dv.getFloat64(at, true);
    case Tag.dateMillis:
      return Number(dv.getBigInt64(at, true) / 1_000_000n);
    case Tag.native:
      return decodeNative(bytes, dv, f, at, len);
  }
  return formatNsIso(dv.getBigInt64(at, true), tag - Tag.dateIso);
}

function decodeNative(bytes: Uint8Array, dv: DataView, f: FieldLayout, at: number, len: number): unknown {
  switch (f.storage) {
    case Storage.int: {
      // Two 32-bit reads, no BigInt, for the usual safe integer (pids, counts, ids); the sum
      // rounds past 2^53 in magnitude only, where isSafeInteger fails and BigInt takes over.
      const v = readInt64AsNumber(dv, at);
      return Number.isSafeInteger(v) ? v : normaliseInt(dv.getBigInt64(at, true));
    }
    case Storage.uint: {
      const v = readUint64AsNumber(dv, at);
      return Number.isSafeInteger(v) ? v : normaliseInt(dv.getBigUint64(at, true));
    }
    case Storage.float:
      return dv.getFloat64(at, true);
    case Storage.bool:
      return bytes[at] === 1;
    case Storage.ip:
      return len === IP_BYTES ? formatIp(bytes, at) : null;
    case Storage.json:
      return parseJsonText(readUtf8(bytes, at, at + len));
    default:
      return readUtf8(bytes, at, at + len);
  }
}

function normaliseInt(v: bigint): number | bigint {
  return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
}

/** JSON.parse that turns the bigint/number wrappers of frame.ts back into values. */
export function parseJsonText(text: string): unknown {
  if (!text.includes('\\u0000')) return JSON.parse(text);
  return JSON.parse(text, (_k, v) => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      const keys = Object.keys(v);
      if (keys.length === 1 && keys[0] === BIGINT_JSON_KEY) return normaliseInt(BigInt(v[BIGINT_JSON_KEY] as string));
      if (keys.length === 1 && keys[0] === NUMBER_JSON_KEY) return Number(v[NUMBER_JSON_KEY]);
    }
    return v;
  });
}

function setPath(root: DecodedEvent, segments: readonly string[], value: unknown): void {
  let obj = root;
  const last = segments.length - 1;
  for (let i = 0; i < last; i++) {
    const seg = segments[i]!;
    let next = getOwn(obj, seg);
    if (!isObject(next)) {
      next = {};
      setOwn(obj, seg, next);
    }
    obj = next as DecodedEvent;
  }
  // A json-stored object field (process.Ext) may already hold children set by deeper fields.
  const existing = getOwn(obj, segments[last]!);
  if (isObject(existing) && isObject(value)) mergeInto(existing, value);
  else setOwn(obj, segments[last]!, value);
}

/** Deep-merges `src` into `dst`; on a conflict between an object and a scalar, `dst` wins. */
function mergeInto(dst: DecodedEvent, src: DecodedEvent): void {
  for (const key of Object.keys(src)) {
    const a = getOwn(dst, key);
    const b = src[key];
    if (a === undefined) setOwn(dst, key, b);
    else if (isObject(a) && isObject(b)) mergeInto(a, b);
  }
}

function isObject(v: unknown): v is DecodedEvent {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}


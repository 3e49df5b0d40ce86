// The binary record frame: the single source of truth for byte offsets inside one record. Every
// reader (RecordView, decode, the Wasm predicate generator, the capture reader) takes its offsets
// from here, never from bare numbers. docs/records.md describes the same layout for humans.
//
//  offset  size  field
//  0       4     u32  total length in bytes, header included (a multiple of 8)
//  4       2     u16  flags (RecordFlag)
//  6       2     u16  P = number of present fields (null counts as present)
//  8       8     u64  seq (global sequence number)
//  16      8     i64  timestamp, nanoseconds since the Unix epoch (0 unless RecordFlag.hasTimestamp)
//  24      4     u32  offset of the extra-JSON blob from the record start (0 when absent)
//  28      4     u32  byte length of the extra-JSON blob
//  32      4·W   u32[W] presence bitmap, W = ceil(fieldCount / 32); bit (id & 31) of word (id >> 5)
//  32+4W   2·W   u16[W] rank table: number of present fields in words 0 … w-1
//  32+6W   P     u8[P]  value tag of each present field, in field-id order
//  S       8·P   one 8-byte slot per present field, in field-id order; S = align8(32 + 6W + P)
//  S+8P    …     variable area: string bytes, IP bytes, arrays, JSON text (no alignment)
//
// A field's slot index is its rank among present fields: rank(id) = rankTable[w] +
// popcount(bitmap[w] & ((1 << (id & 31)) - 1)). That keeps every access O(1) while a record only
// pays for the fields it holds: ECS schemas have hundreds of fields and an event fills a few dozen.
//
// Slot contents by value tag and field storage:
//   native int/uint/date → i64/u64 little-endian (dates in ns); float → f64; bool → u8 0/1;
//   double tag → f64; string, ip, json, text, bigint, array → u32 offset (from record start) + u32 byte length
//   into the variable area (an IP is 16 bytes, IPv4 stored IPv4-mapped).

export const RecordHeader = {
  length: 0,
  flags: 4,
  presentCount: 6,
  seq: 8,
  timestamp: 16,
  extraOffset: 24,
  extraLength: 28,
  /** Byte size of the fixed header; the presence bitmap starts here. */
  size: 32,
} as const;

export const RecordFlag = {
  /** The timestamp header field holds the event time. */
  hasTimestamp: 1,
  /** An extra-JSON blob holds fields the layout does not know. */
  hasExtra: 2,
} as const;

/** Bytes per slot. */
export const SLOT_SIZE = 8;
/** Records start and end on this boundary so slots can be read with aligned loads. */
export const RECORD_ALIGN = 8;
/** An IP value in the variable area: 16 bytes, IPv4 as ::ffff:a.b.c.d. */
export const IP_BYTES = 16;
/** Largest record the format allows (the length field is u32; keep well below for sanity). */
export const MAX_RECORD_BYTES = 0x7fff_fff8;
/** Field ids must fit the u16 present count. */
export const MAX_FIELDS = 0xffff;

/**
 * How a present field's value is stored. `native` means "in the field's own storage type"; the
 * other tags keep values that do not fit that type (a string in a long field, an IP written in a
 * non-canonical way) so that decoding gives back exactly what was encoded.
 */
export const Tag = {
  /** Explicit JSON null. The slot is zero. */
  null: 0,
  /** The field's storage type (see frame comment). */
  native: 1,
  /** UTF-8 text in a non-string field, kept verbatim (slot → var area). */
  text: 2,
  /** JSON text of any other value (slot → var area). Bigints inside use BIGINT_JSON_KEY. */
  json: 3,
  /** Decimal digits of an integer outside the field's 64-bit range (slot → var area). */
  bigint: 4,
  /** An array (slot → var area, see ArrayLayout). */
  array: 5,
  /** A date given as a JSON number of epoch milliseconds; the slot holds nanoseconds. */
  dateMillis: 6,
  /** A JS number that does not fit the field's storage (1.5 or -0 in a long field); slot is f64. */
  double: 7,
  /** A date given as ISO-8601 UTC text "YYYY-MM-DDTHH:MM:SS[.f{n}]Z": tag = dateIso + n (n = 0…9). */
  dateIso: 16,
} as const;

export function isDateTag(tag: number): boolean {
  return tag === Tag.dateMillis || (tag >= Tag.dateIso && tag <= Tag.dateIso + 9);
}

/** Tags whose slot is an (offset, length) reference into the variable area. */
export function isVarTag(tag: number, storage: number): boolean {
  if (tag === Tag.native) return storage === Storage.string || storage === Storage.ip || storage === Storage.json;
  return tag === Tag.text || tag === Tag.json || tag === Tag.bigint || tag === Tag.array;
}

/**
 * An array value in the variable area: u32 element count, then per element
 * [u8 tag][u32 payload length][payload]. Payloads: i64/u64/f64 8 bytes, bool 1 byte, date 8 bytes
 * (ns), IP 16 bytes, strings and text UTF-8, null empty. Nested arrays and objects are `json`.
 */
export const ArrayLayout = {
  countSize: 4,
  elementHeaderSize: 5,
} as const;

/** Storage class of a field, derived from its Elasticsearch type. */
export const Storage = {
  int: 1,
  uint: 2,
  date: 3,
  float: 4,
  bool: 5,
  ip: 6,
  string: 7,
  /** object, nested, flattened, geo_point: kept as JSON text. */
  json: 8,
} as const;
export type StorageKind = (typeof Storage)[keyof typeof Storage];

/**
 * JSON text cannot hold bigints, -0, NaN or ±Infinity. Inside JSON-text values they are written
 * as one-key wrapper objects, {"\u0000bigint": "123"} and {"\u0000number": "-0"}, which no real
 * ECS document uses (keys never start with NUL).
 */
export const BIGINT_JSON_KEY = '\u0000bigint';
export const NUMBER_JSON_KEY = '\u0000number';

export function align8(n: number): number {
  return (n + 7) & ~7;
}

/** Number of set bits in a 32-bit word. */
export function popcount32(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

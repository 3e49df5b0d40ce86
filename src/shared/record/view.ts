// RecordView: reads one record in place from any Uint8Array (including views over a
// SharedArrayBuffer or Wasm memory). One view is reset() onto each record in turn, so reading a
// stream allocates nothing per record; numbers are read without BigInt unless asked for, strings
// are compared as bytes and decoded only on demand.
import { InputError } from '../errors.js';
import { ArrayLayout, RecordFlag, RecordHeader, SLOT_SIZE, Storage, Tag, align8, isDateTag, isVarTag, popcount32 } from './frame.js';
import type { RecordLayout } from './layout.js';
import { readInt64AsNumber, readUint64AsNumber } from './int64.js';
import { readUtf8 } from './utf8.js';
import { sameBytes } from './same-bytes.js';

/** A byte range inside RecordView.bytes. */
export interface ByteSpan {
  offset: number;
  length: number;
}

/**
 * What a view holds before its first reset(). Shared: engines make a view per event they keep,
 * and three fresh empty buffers each were a measurable part of a replay's allocation.
 */
const NO_BYTES = new Uint8Array(0);
const NO_DATA = new DataView(NO_BYTES.buffer);

export class RecordView {
  readonly layout: RecordLayout;
  /** The buffer the record lives in; offsets returned by this view index into it. */
  bytes: Uint8Array = NO_BYTES;
  /** Start of the record in `bytes`. */
  base = 0;
  private dv: DataView = NO_DATA;
  private slotsStart = 0;

  constructor(layout: RecordLayout, bytes?: Uint8Array, offset = 0) {
    this.layout = layout;
    if (bytes) this.reset(bytes, offset);
  }

  /** Points the view at the record starting at bytes[offset]. */
  reset(bytes: Uint8Array, offset = 0): this {
    if (bytes !== this.bytes) {
      this.bytes = bytes;
      this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    }
    this.base = offset;
    this.slotsStart = offset + align8(this.layout.tagsOffset + this.dv.getUint16(offset + RecordHeader.presentCount, true));
    return this;
  }

  /** reset(bytes, offset) with the caller's DataView over all of `bytes` (no new one made). */
  adopt(bytes: Uint8Array, dv: DataView, offset = 0): this {
    this.bytes = bytes;
    this.dv = dv;
    return this.reset(bytes, offset);
  }

  /** Total record length in bytes (a multiple of 8). */
  get length(): number {
    return this.dv.getUint32(this.base + RecordHeader.length, true);
  }

  get flags(): number {
    return this.dv.getUint16(this.base + RecordHeader.flags, true);
  }

  get presentCount(): number {
    return this.dv.getUint16(this.base + RecordHeader.presentCount, true);
  }

  /** seq as a double (exact below 2^53, which a stream never reaches). */
  get seq(): number {
    return readUint64AsNumber(this.dv, this.base + RecordHeader.seq);
  }

  get seqBigInt(): bigint {
    return this.dv.getBigUint64(this.base + RecordHeader.seq, true);
  }

  get hasTimestamp(): boolean {
    return (this.flags & RecordFlag.hasTimestamp) !== 0;
  }

  /** Event time in milliseconds since the epoch (fractional; sub-microsecond bits are rounded). */
  get timestampMs(): number {
    return readInt64AsNumber(this.dv, this.base + RecordHeader.timestamp) / 1e6;
  }

  get timestampNs(): bigint {
    return this.dv.getBigInt64(this.base + RecordHeader.timestamp, true);
  }

  has(id: number): boolean {
    return (this.dv.getUint32(this.base + this.layout.bitmapOffset + ((id >>> 5) << 2), true) & (1 << (id & 31))) !== 0;
  }

  /** Index of a present field among present fields, or -1. */
  rank(id: number): number {
    const w = id >>> 5;
    const word = this.presenceWord(w);
    const bit = 1 << (id & 31);
    if ((word & bit) === 0) return -1;
    return this.rankBefore(w) + popcount32(word & (bit - 1));
  }

  /**
   * The rank of present fields before word `w` of the presence bitmap: with the word itself, a
   * caller walking the bitmap ranks each of its fields without rank()'s two reads per field.
   */
  rankBefore(w: number): number {
    return this.dv.getUint16(this.base + this.layout.rankOffset + (w << 1), true);
  }

  /** Word `w` of the presence bitmap. */
  presenceWord(w: number): number {
    return this.dv.getUint32(this.base + this.layout.bitmapOffset + (w << 2), true);
  }

  /** The tag of the present field of rank `r` (see rankBefore). */
  tagOfRank(r: number): number {
    return this.bytes[this.base + this.layout.tagsOffset + r]!;
  }

  /** getStringBytes for present field `id` of rank `r`. */
  stringBytesOfRank(id: number, r: number, out: ByteSpan): boolean {
    if (!isVarTag(this.bytes[this.base + this.layout.tagsOffset + r]!, this.layout.fields[id]!.storage)) return false;
    const off = this.slotsStart + r * SLOT_SIZE;
    out.offset = this.base + this.dv.getUint32(off, true);
    out.length = this.dv.getUint32(off + 4, true);
    return true;
  }

  /** The value tag of a field (frame.ts Tag), or -1 when the field is missing. */
  tag(id: number): number {
    const r = this.rank(id);
    return r < 0 ? -1 : this.tagOfRank(r);
  }

  /** Present with an explicit null. Missing fields are not null here: use has(). */
  isNull(id: number): boolean {
    return this.tag(id) === Tag.null;
  }

  /** Absolute offset in `bytes` of a present field's 8-byte slot, or -1. */
  slotOffset(id: number): number {
    const r = this.rank(id);
    return r < 0 ? -1 : this.slotsStart + r * SLOT_SIZE;
  }

  /** An integer or date (ns) field as a double; NaN when missing or not stored as a number. */
  getI64AsNumber(id: number): number {
    const r = this.rank(id);
    if (r < 0 || !this.holdsI64(id, r)) return NaN;
    const off = this.slotsStart + r * SLOT_SIZE;
    return this.layout.fields[id]!.type === 'unsigned_long' ? readUint64AsNumber(this.dv, off) : readInt64AsNumber(this.dv, off);
  }

  /** An integer or date (ns) field exactly; undefined when missing or not stored as a number. */
  getBigInt(id: number): bigint | undefined {
    const r = this.rank(id);
    if (r < 0 || !this.holdsI64(id, r)) return undefined;
    const off = this.slotsStart + r * SLOT_SIZE;
    return this.layout.fields[id]!.type === 'unsigned_long' ? this.dv.getBigUint64(off, true) : this.dv.getBigInt64(off, true);
  }

  private holdsI64(id: number, rank: number): boolean {
    const tag = this.bytes[this.base + this.layout.tagsOffset + rank]!;
    return isI64Storage(this.layout.fields[id]!.storage) && (tag === Tag.native || isDateTag(tag));
  }

  /** A double field; NaN when missing or not a native double. */
  getF64(id: number): number {
    const r = this.rank(id);
    if (r < 0 || this.bytes[this.base + this.layout.tagsOffset + r] !== Tag.native || this.layout.fields[id]!.storage !== Storage.float) return NaN;
    return this.dv.getFloat64(this.slotsStart + r * SLOT_SIZE, true);
  }

  /** A boolean field; undefined when missing, null, or not a native boolean. */
  getBool(id: number): boolean | undefined {
    const r = this.rank(id);
    if (r < 0 || this.bytes[this.base + this.layout.tagsOffset + r] !== Tag.native || this.layout.fields[id]!.storage !== Storage.bool) return undefined;
    return this.bytes[this.slotsStart + r * SLOT_SIZE] === 1;
  }

  /**
   * Where a variable-area value lives (string, IP, JSON/text/bigint fallbacks, arrays): fills
   * `out` with an absolute offset and length into `bytes` and returns true, or returns false when
   * the field is missing or has no variable-area value.
   */
  getStringBytes(id: number, out: ByteSpan): boolean {
    const r = this.rank(id);
    return r >= 0 && this.stringBytesOfRank(id, r, out);
  }

  /** True when a string field (native or text-tagged) equals the given UTF-8 bytes exactly. */
  stringEquals(id: number, utf8Bytes: Uint8Array): boolean {
    const r = this.rank(id);
    if (r < 0) return false;
    const tag = this.bytes[this.base + this.layout.tagsOffset + r]!;
    if (tag !== Tag.text && !(tag === Tag.native && this.layout.fields[id]!.storage === Storage.string)) return false;
    const off = this.slotsStart + r * SLOT_SIZE;
    const len = this.dv.getUint32(off + 4, true);
    if (len !== utf8Bytes.length) return false;
    return sameBytes(this.bytes, this.base + this.dv.getUint32(off, true), utf8Bytes, 0, len);
  }

  /** A string field decoded (allocates): native strings and text-tagged values; else undefined. */
  getString(id: number): string | undefined {
    const r = this.rank(id);
    if (r < 0) return undefined;
    const tag = this.bytes[this.base + this.layout.tagsOffset + r]!;
    if (tag !== Tag.text && !(tag === Tag.native && this.layout.fields[id]!.storage === Storage.string)) return undefined;
    const off = this.slotsStart + r * SLOT_SIZE;
    const start = this.base + this.dv.getUint32(off, true);
    return readUtf8(this.bytes, start, start + this.dv.getUint32(off + 4, true));
  }

  // ---- arrays ----------------------------------------------------------------------------------

  /** Number of elements of an array-valued field, or -1 when the field is not an array. */
  arrayCount(id: number): number {
    const r = this.rank(id);
    if (r < 0 || this.bytes[this.base + this.layout.tagsOffset + r] !== Tag.array) return -1;
    return this.dv.getUint32(this.base + this.dv.getUint32(this.slotsStart + r * SLOT_SIZE, true), true);
  }

  /** Absolute offset of the first element of an array field (meaningful when arrayCount > 0). */
  firstElement(id: number): number {
    const r = this.rank(id);
    return this.base + this.dv.getUint32(this.slotsStart + r * SLOT_SIZE, true) + ArrayLayout.countSize;
  }

  /** Offset of the element after the one at `pos`. */
  nextElement(pos: number): number {
    return pos + ArrayLayout.elementHeaderSize + this.dv.getUint32(pos + 1, true);
  }

  elementTag(pos: number): number {
    return this.bytes[pos]!;
  }

  elementLength(pos: number): number {
    return this.dv.getUint32(pos + 1, true);
  }

  /** Absolute offset of an element's payload. */
  elementPayload(pos: number): number {
    return pos + ArrayLayout.elementHeaderSize;
  }

  /** True when the element at `pos` is a string (native or text) equal to the given bytes. */
  elementStringEquals(pos: number, utf8Bytes: Uint8Array, stringField: boolean): boolean {
    const tag = this.bytes[pos]!;
    if (tag !== Tag.text && !(tag === Tag.native && stringField)) return false;
    const len = this.dv.getUint32(pos + 1, true);
    return len === utf8Bytes.length && sameBytes(this.bytes, pos + ArrayLayout.elementHeaderSize, utf8Bytes, 0, len);
  }

  /** i64 payload of an element as a double. */
  elementI64AsNumber(pos: number): number {
    return readInt64AsNumber(this.dv, pos + ArrayLayout.elementHeaderSize);
  }

  elementF64(pos: number): number {
    return this.dv.getFloat64(pos + ArrayLayout.elementHeaderSize, true);
  }

  /** The raw DataView over `bytes` (for decode and generated readers). */
  get dataView(): DataView {
    return this.dv;
  }

  /** JSON text of fields outside the layout, or undefined. */
  extraJson(): string | undefined {
    if ((this.flags & RecordFlag.hasExtra) === 0) return undefined;
    const start = this.base + this.dv.getUint32(this.base + RecordHeader.extraOffset, true);
    return readUtf8(this.bytes, start, start + this.dv.getUint32(this.base + RecordHeader.extraLength, true));
  }

  /**
   * Structural check of the record frame against the buffer, for input that did not come from
   * our own encoder (a capture whose CRC was good but was written by a buggy tool). Throws.
   */
  validate(limit = this.bytes.length): void {
    const len = this.length;
    const minimum = align8(this.layout.tagsOffset + this.presentCount) + this.presentCount * SLOT_SIZE;
    if (len % 8 !== 0 || len < minimum || this.base + len > limit) {
      throw new InputError('record.bad-frame', `malformed record at byte ${this.base}: length ${len}`, { context: { offset: this.base, length: len } });
    }
    let count = 0;
    for (let w = 0; w < this.layout.presenceWords; w++) count += popcount32(this.dv.getUint32(this.base + this.layout.bitmapOffset + 4 * w, true));
    if (count !== this.presentCount) {
      throw new InputError('record.bad-frame', `malformed record at byte ${this.base}: presence bitmap has ${count} fields, header says ${this.presentCount}`, { context: { offset: this.base } });
    }
    for (const f of this.layout.fields) {
      const r = this.rank(f.id);
      if (r < 0 || !isVarTag(this.bytes[this.base + this.layout.tagsOffset + r]!, f.storage)) continue;
      const off = this.slotsStart + r * SLOT_SIZE;
      if (this.dv.getUint32(off, true) + this.dv.getUint32(off + 4, true) > len) {
        throw new InputError('record.bad-frame', `malformed record at byte ${this.base}: field '${f.path}' points outside the record`, { context: { offset: this.base } });
      }
    }
  }
}

function isI64Storage(storage: number): boolean {
  return storage === Storage.int || storage === Storage.uint || storage === Storage.date;
}


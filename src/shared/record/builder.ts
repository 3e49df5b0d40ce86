// RecordBuilder: writes one record at a time into a reusable buffer. Fields may be set in any
// order; finish() lays them out in field-id order (see frame.ts). Numbers go straight into a
// staging slot without allocation; strings are UTF-8 encoded once, into the staging variable area.
// Both the JSON encoder and the synthetic generator write through this class.
import { InternalError, LimitError } from '../errors.js';
import {
  ArrayLayout,
  IP_BYTES,
  MAX_RECORD_BYTES,
  RecordFlag,
  RecordHeader,
  SLOT_SIZE,
  Tag,
  align8,
  popcount32,
} from './frame.js';
import type { RecordLayout } from './layout.js';
import { writeSafeInt64, writeScaledInt64 } from './int64.js';
import { maxUtf8Length, writeUtf8 } from './utf8.js';

/**
 * Fields captured once (capturePreset) and staged again in one step (applyPreset): their encoded
 * bytes are copied as a block, so fields that repeat across many records — the host, the event
 * class, a process's names and arguments — are not encoded again for each record.
 */
export interface RecordPreset {
  readonly ids: Uint16Array;
  readonly tags: Uint8Array;
  /** 1 where the slot is (offset into `bytes`, length), else the slot's own 8 bytes. */
  readonly varRef: Uint8Array;
  readonly slots: Uint32Array;
  readonly bytes: Uint8Array;
}

export class RecordBuilder {
  readonly layout: RecordLayout;
  /** Output buffer; the last finished record is at [0, length). Replaced when it must grow. */
  output: Uint8Array;
  private outView: DataView;

  private readonly presence: Uint32Array;
  private readonly tags: Uint8Array;
  /** 1 when the staged slot is (offset into the staging var area, length) and must be relocated. */
  private readonly varRef: Uint8Array;
  private readonly slots: DataView;
  private readonly touched: Uint16Array;
  private touchedCount = 0;

  private varArea: Uint8Array;
  private varView: DataView;
  private varLength = 0;

  private seqLo = 0;
  private seqHi = 0;
  private tsLo = 0;
  private tsHi = 0;
  private hasTimestamp = false;
  private extraStart = -1;
  private extraLength = 0;

  /** Array being built: field id, start in the var area, element count. */
  private arrayField = -1;
  private arrayStart = 0;
  private arrayCount = 0;

  constructor(layout: RecordLayout, initialBytes = 4096) {
    this.layout = layout;
    const n = layout.fields.length;
    this.presence = new Uint32Array(layout.presenceWords);
    this.tags = new Uint8Array(n);
    this.varRef = new Uint8Array(n);
    this.slots = new DataView(new ArrayBuffer(Math.max(8, n * SLOT_SIZE)));
    this.touched = new Uint16Array(n);
    this.varArea = new Uint8Array(initialBytes);
    this.varView = new DataView(this.varArea.buffer);
    this.output = new Uint8Array(initialBytes);
    this.outView = new DataView(this.output.buffer);
  }

  /** Starts a record. seq is a non-negative safe integer or a bigint below 2^64. */
  begin(seq: number | bigint): this {
    this.reset();
    if (typeof seq === 'bigint') {
      this.seqLo = Number(seq & 0xffffffffn);
      this.seqHi = Number((seq >> 32n) & 0xffffffffn);
    } else {
      this.seqLo = seq >>> 0;
      this.seqHi = Math.floor(seq / 4294967296) >>> 0;
    }
    return this;
  }

  /** Sets the header timestamp explicitly (otherwise it comes from the layout's timestamp field). */
  setTimestampParts(hi: number, lo: number): void {
    this.tsHi = hi;
    this.tsLo = lo;
    this.hasTimestamp = true;
  }

  setNull(id: number): void {
    this.stage(id, Tag.null);
    this.slots.setFloat64(id * SLOT_SIZE, 0, true);
  }

  /** A safe integer into an int/uint/date field (for dates: nanoseconds, tag chosen by caller). */
  setInt(id: number, n: number, tag: number = Tag.native): void {
    this.stage(id, tag);
    writeSafeInt64(this.slots, id * SLOT_SIZE, n);
    if (id === this.layout.timestampFieldId) this.captureTimestamp(id);
  }

  setBigInt(id: number, v: bigint, unsigned: boolean): void {
    this.stage(id, Tag.native);
    if (unsigned) this.slots.setBigUint64(id * SLOT_SIZE, v, true);
    else this.slots.setBigInt64(id * SLOT_SIZE, v, true);
  }

  /** A date as n·scale + add nanoseconds (e.g. microseconds · 1000), exact without BigInt. */
  setDateScaled(id: number, n: number, scale: number, add: number, tag: number): void {
    this.stage(id, tag);
    writeScaledInt64(this.slots, id * SLOT_SIZE, n, scale, add);
    if (id === this.layout.timestampFieldId) this.captureTimestamp(id);
  }

  /** An i64 given as two 32-bit halves (dates parsed by date.ts), with its tag. */
  setI64Parts(id: number, lo: number, hi: number, tag: number): void {
    this.stage(id, tag);
    this.slots.setUint32(id * SLOT_SIZE, lo >>> 0, true);
    this.slots.setUint32(id * SLOT_SIZE + 4, hi >>> 0, true);
    if (id === this.layout.timestampFieldId) this.captureTimestamp(id);
  }

  setF64(id: number, x: number, tag: number = Tag.native): void {
    this.stage(id, tag);
    this.slots.setFloat64(id * SLOT_SIZE, x, true);
  }

  setBool(id: number, b: boolean): void {
    this.stage(id, Tag.native);
    this.slots.setFloat64(id * SLOT_SIZE, 0, true);
    this.slots.setUint8(id * SLOT_SIZE, b ? 1 : 0);
  }

  /** A well-formed string (native for string fields; Tag.text/json/bigint for the others). */
  setString(id: number, s: string, tag: number = Tag.native): void {
    const start = this.varLength;
    this.ensureVar(maxUtf8Length(s));
    this.varLength += writeUtf8(this.varArea, start, s);
    this.stageVar(id, tag, start, this.varLength - start);
  }

  /** UTF-8 bytes as a string value. */
  setUtf8(id: number, bytes: Uint8Array, tag: number = Tag.native): void {
    const start = this.appendBytes(bytes);
    this.stageVar(id, tag, start, bytes.length);
  }

  /**
   * UTF-8 bytes src[start, end) as a string value, copied without making a subarray (the sensor
   * writes paths straight from its drain buffer).
   */
  setUtf8Range(id: number, src: Uint8Array, start: number, end: number, tag: number = Tag.native): void {
    const length = end - start;
    this.ensureVar(length);
    const at = this.varLength;
    const dst = this.varArea;
    // Typical paths are short: a byte loop beats creating a subarray for set().
    if (length <= 64) for (let i = 0; i < length; i++) dst[at + i] = src[start + i]!;
    else dst.set(src.subarray(start, end), at);
    this.varLength += length;
    this.stageVar(id, tag, at, length);
  }

  /** 16 IP bytes (see ip.ts). */
  setIp(id: number, bytes: Uint8Array, off = 0): void {
    this.ensureVar(IP_BYTES);
    const start = this.varLength;
    this.varArea.set(bytes.subarray(off, off + IP_BYTES), start);
    this.varLength += IP_BYTES;
    this.stageVar(id, Tag.native, start, IP_BYTES);
  }

  // ---- arrays: beginArray, element*, endArray --------------------------------------------------

  beginArray(id: number): void {
    if (this.arrayField >= 0) throw new InternalError('record.nested-array', 'beginArray inside an open array');
    this.ensureVar(ArrayLayout.countSize);
    this.arrayField = id;
    this.arrayStart = this.varLength;
    this.arrayCount = 0;
    this.varLength += ArrayLayout.countSize;
  }

  elementNull(): void {
    this.elementHeader(Tag.null, 0);
  }

  elementString(s: string, tag: number = Tag.native): void {
    const at = this.elementHeader(tag, 0);
    this.ensureVar(maxUtf8Length(s));
    const n = writeUtf8(this.varArea, this.varLength, s);
    this.varLength += n;
    this.varView.setUint32(at + 1, n, true);
  }

  elementInt(n: number, tag: number = Tag.native): void {
    const at = this.elementHeader(tag, 8);
    writeSafeInt64(this.varView, at + ArrayLayout.elementHeaderSize, n);
  }

  elementBigInt(v: bigint, unsigned: boolean): void {
    const at = this.elementHeader(Tag.native, 8);
    if (unsigned) this.varView.setBigUint64(at + ArrayLayout.elementHeaderSize, v, true);
    else this.varView.setBigInt64(at + ArrayLayout.elementHeaderSize, v, true);
  }

  /** An i64 element given as two 32-bit halves, with its tag (dates). */
  elementI64Parts(lo: number, hi: number, tag: number): void {
    const at = this.elementHeader(tag, 8) + ArrayLayout.elementHeaderSize;
    this.varView.setUint32(at, lo >>> 0, true);
    this.varView.setUint32(at + 4, hi >>> 0, true);
  }

  elementF64(x: number, tag: number = Tag.native): void {
    const at = this.elementHeader(tag, 8);
    this.varView.setFloat64(at + ArrayLayout.elementHeaderSize, x, true);
  }

  elementBool(b: boolean): void {
    const at = this.elementHeader(Tag.native, 1);
    this.varArea[at + ArrayLayout.elementHeaderSize] = b ? 1 : 0;
  }

  elementIp(bytes: Uint8Array, off = 0): void {
    const at = this.elementHeader(Tag.native, IP_BYTES);
    this.varArea.set(bytes.subarray(off, off + IP_BYTES), at + ArrayLayout.elementHeaderSize);
  }

  endArray(): void {
    const id = this.arrayField;
    if (id < 0) throw new InternalError('record.no-array', 'endArray without beginArray');
    this.varView.setUint32(this.arrayStart, this.arrayCount, true);
    this.arrayField = -1;
    this.stageVar(id, Tag.array, this.arrayStart, this.varLength - this.arrayStart);
  }

  /** Convenience: a whole array of well-formed strings. */
  setStringArray(id: number, values: readonly string[]): void {
    this.beginArray(id);
    for (let i = 0; i < values.length; i++) this.elementString(values[i]!);
    this.endArray();
  }

  /**
   * The fields set since begin() as a preset (fixed-size values and strings/arrays alike; not the
   * extra JSON). The builder is unchanged; the preset owns copies of everything.
   */
  capturePreset(): RecordPreset {
    if (this.arrayField >= 0) throw new InternalError('record.open-array', 'capturePreset() with an open array');
    const n = this.touchedCount;
    const preset = {
      ids: this.touched.slice(0, n),
      tags: new Uint8Array(n),
      varRef: new Uint8Array(n),
      slots: new Uint32Array(2 * n),
      bytes: this.varArea.slice(0, this.varLength),
    };
    for (let i = 0; i < n; i++) {
      const id = preset.ids[i]!;
      preset.tags[i] = this.tags[id]!;
      preset.varRef[i] = this.varRef[id]!;
      preset.slots[2 * i] = this.slots.getUint32(id * SLOT_SIZE, true);
      preset.slots[2 * i + 1] = this.slots.getUint32(id * SLOT_SIZE + 4, true);
    }
    return preset;
  }

  /** Sets every field of a preset (made by a builder of the same layout), as if set one by one. */
  applyPreset(p: RecordPreset): void {
    const base = this.varLength;
    if (p.bytes.length > 0) {
      this.ensureVar(p.bytes.length);
      this.varArea.set(p.bytes, base);
      this.varLength += p.bytes.length;
    }
    const timestampId = this.layout.timestampFieldId;
    for (let i = 0; i < p.ids.length; i++) {
      const id = p.ids[i]!;
      this.stage(id, p.tags[i]!);
      const at = id * SLOT_SIZE;
      if (p.varRef[i] === 1) {
        this.varRef[id] = 1;
        this.slots.setUint32(at, base + p.slots[2 * i]!, true);
      } else {
        this.slots.setUint32(at, p.slots[2 * i]!, true);
      }
      this.slots.setUint32(at + 4, p.slots[2 * i + 1]!, true);
      if (id === timestampId) this.captureTimestamp(id);
    }
  }

  /** JSON text of fields the layout does not know (see encode.ts). */
  setExtraJson(text: string): void {
    const start = this.varLength;
    this.ensureVar(maxUtf8Length(text));
    this.varLength += writeUtf8(this.varArea, start, text);
    this.extraStart = start;
    this.extraLength = this.varLength - start;
  }

  /**
   * Lays the staged record out into `output` and returns its length in bytes. The bytes depend
   * only on what was set (padding is zeroed), so equal input gives identical records.
   */
  finish(): number {
    if (this.arrayField >= 0) throw new InternalError('record.open-array', 'finish() with an open array');
    const layout = this.layout;
    const words = layout.presenceWords;
    const present = this.touchedCount;
    const slotsStart = align8(layout.tagsOffset + present);
    const varStart = slotsStart + present * SLOT_SIZE;
    const total = align8(varStart + this.varLength);
    if (total > MAX_RECORD_BYTES) throw new LimitError('record.too-large', `record of ${total} bytes exceeds the ${MAX_RECORD_BYTES}-byte limit`);
    this.ensureOutput(total);
    const out = this.output;
    const dv = this.outView;

    let flags = 0;
    if (this.hasTimestamp) flags |= RecordFlag.hasTimestamp;
    if (this.extraStart >= 0) flags |= RecordFlag.hasExtra;
    dv.setUint32(RecordHeader.length, total, true);
    dv.setUint16(RecordHeader.flags, flags, true);
    dv.setUint16(RecordHeader.presentCount, present, true);
    dv.setUint32(RecordHeader.seq, this.seqLo, true);
    dv.setUint32(RecordHeader.seq + 4, this.seqHi, true);
    dv.setUint32(RecordHeader.timestamp, this.hasTimestamp ? this.tsLo : 0, true);
    dv.setUint32(RecordHeader.timestamp + 4, this.hasTimestamp ? this.tsHi : 0, true);
    dv.setUint32(RecordHeader.extraOffset, this.extraStart >= 0 ? varStart + this.extraStart : 0, true);
    dv.setUint32(RecordHeader.extraLength, this.extraStart >= 0 ? this.extraLength : 0, true);

    // Presence words and rank table, then tags and slots in field-id order by walking set bits.
    let rank = 0;
    let slot = slotsStart;
    let tagAt = layout.tagsOffset;
    for (let w = 0; w < words; w++) {
      let bits = this.presence[w]!;
      dv.setUint32(layout.bitmapOffset + 4 * w, bits, true);
      dv.setUint16(layout.rankOffset + 2 * w, rank, true);
      rank += popcount32(bits);
      while (bits !== 0) {
        const low = bits & -bits;
        const id = (w << 5) | (31 - Math.clz32(low));
        bits ^= low;
        out[tagAt++] = this.tags[id]!;
        const src = id * SLOT_SIZE;
        if (this.varRef[id] === 1) {
          dv.setUint32(slot, varStart + this.slots.getUint32(src, true), true);
          dv.setUint32(slot + 4, this.slots.getUint32(src + 4, true), true);
        } else {
          dv.setUint32(slot, this.slots.getUint32(src, true), true);
          dv.setUint32(slot + 4, this.slots.getUint32(src + 4, true), true);
        }
        slot += SLOT_SIZE;
      }
    }
    out.fill(0, tagAt, slotsStart);
    out.set(this.varArea.subarray(0, this.varLength), varStart);
    out.fill(0, varStart + this.varLength, total);
    return total;
  }

  // ---- internals -------------------------------------------------------------------------------

  private reset(): void {
    for (let i = 0; i < this.touchedCount; i++) {
      const id = this.touched[i]!;
      this.varRef[id] = 0;
      this.presence[id >>> 5] = 0;
    }
    this.touchedCount = 0;
    this.varLength = 0;
    this.hasTimestamp = false;
    this.extraStart = -1;
    this.extraLength = 0;
    this.arrayField = -1;
  }

  private stage(id: number, tag: number): void {
    const f = this.layout.fields[id];
    if (f === undefined) throw new InternalError('record.bad-field', `field id ${id} is not in layout`);
    const word = id >>> 5;
    const bit = 1 << (id & 31);
    if ((this.presence[word]! & bit) === 0) {
      this.presence[word] = this.presence[word]! | bit;
      this.touched[this.touchedCount++] = id;
    }
    this.tags[id] = tag;
    this.varRef[id] = 0;
  }

  private stageVar(id: number, tag: number, start: number, length: number): void {
    this.stage(id, tag);
    this.varRef[id] = 1;
    this.slots.setUint32(id * SLOT_SIZE, start, true);
    this.slots.setUint32(id * SLOT_SIZE + 4, length, true);
  }

  private captureTimestamp(id: number): void {
    this.tsLo = this.slots.getUint32(id * SLOT_SIZE, true);
    this.tsHi = this.slots.getUint32(id * SLOT_SIZE + 4, true);
    this.hasTimestamp = true;
  }

  private elementHeader(tag: number, payload: number): number {
    if (this.arrayField < 0) throw new InternalError('record.no-array', 'array element outside beginArray/endArray');
    this.ensureVar(ArrayLayout.elementHeaderSize + payload);
    const at = this.varLength;
    this.varArea[at] = tag;
    this.varView.setUint32(at + 1, payload, true);
    this.varLength += ArrayLayout.elementHeaderSize + payload;
    this.arrayCount++;
    return at;
  }

  private appendBytes(bytes: Uint8Array): number {
    this.ensureVar(bytes.length);
    const start = this.varLength;
    this.varArea.set(bytes, start);
    this.varLength += bytes.length;
    return start;
  }

  private ensureVar(extra: number): void {
    const need = this.varLength + extra;
    if (need <= this.varArea.length) return;
    const grown = new Uint8Array(Math.max(need, this.varArea.length * 2));
    grown.set(this.varArea.subarray(0, this.varLength));
    this.varArea = grown;
    this.varView = new DataView(grown.buffer);
  }

  private ensureOutput(n: number): void {
    if (n <= this.output.length) return;
    this.output = new Uint8Array(Math.max(n, this.output.length * 2));
    this.outView = new DataView(this.output.buffer);
  }
}

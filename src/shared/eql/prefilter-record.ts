// The discriminator index (prefilter.ts) over binary records, reading them in place. FilterIndex
// looks literals up by JS string: decoding every indexed field of every record into strings was a
// third of predicate time and most of the garbage of a replay. Here an indexed string field is
// hashed and compared as UTF-8 bytes where it lies. Only ASCII takes this path: for ASCII, byte
// equality is string equality and case folding is A–Z → a–z. A record string with any other byte,
// and any value not stored as a plain string (JSON, IP, a null_value field …), is decoded and
// looked up as before, so the candidates are exactly FilterIndex.writeCandidates'. Heads and tails
// of wildcard patterns (prefix/suffix tables) probe the first or last L bytes for each distinct
// literal length L; a presence table only reads the field's tag.
import { Storage, Tag } from '../record/frame.js';
import type { RecordLayout } from '../record/layout.js';
import type { ByteSpan, RecordView } from '../record/view.js';
import { markIds, type FilterIndex, type IndexTable } from './prefilter.js';
import type { RecordEvent } from './record-access.js';
import type { Value } from './values.js';

/** How the index reads one of its fields from a record event. */
export interface IndexedField {
  /** The field's value as the filters see it (decoded). */
  read: (ev: RecordEvent) => Value | undefined;
  /** Layout field id when `read` returns that slot's value unchanged (no null_value …), else -1. */
  slot: number;
}

export class RecordCandidateWriter {
  /** Per index table (FilterIndex.tables order): its field, its ASCII key table or null. */
  private readonly reads: ((ev: RecordEvent) => Value | undefined)[] = [];
  private readonly slots: number[] = [];
  private readonly stringStorage: boolean[] = [];
  private readonly keys: (AsciiKeyTable | null)[] = [];
  private readonly kinds: IndexTable['kind'][] = [];
  private readonly lengths: (readonly number[])[] = [];
  private readonly span: ByteSpan = { offset: 0, length: 0 };

  constructor(
    private readonly index: FilterIndex,
    layout: RecordLayout,
    fieldOf: (path: string) => IndexedField,
  ) {
    for (const t of index.tables) {
      const f = fieldOf(t.path);
      this.reads.push(f.read);
      this.slots.push(f.slot);
      this.stringStorage.push(f.slot >= 0 && layout.fields[f.slot]!.storage === Storage.string);
      this.kinds.push(t.kind);
      this.lengths.push(t.lengths);
      // Heads and tails are probed by byte length: only all-ASCII literals have it equal to theirs.
      const bytewise = t.kind === 'equals' || t.kind === 'present' || [...t.byValue.keys()].every(isAscii);
      this.keys.push(f.slot >= 0 && bytewise ? new AsciiKeyTable(t, t.kind === 'suffix') : null);
    }
  }

  /** The record's candidates as a bitset at word `at` (FilterIndex.writeCandidates' bits). */
  write(ev: RecordEvent, words: Uint32Array, at: number): void {
    const index = this.index;
    index.writeAlways(words, at);
    const tables = index.tables;
    for (let i = 0; i < tables.length; i++) {
      const keys = this.keys[i]!;
      if (keys !== null && this.markFromBytes(ev.rv, i, keys, words, at)) continue;
      index.markValue(tables[i]!, this.reads[i]!(ev), words, at);
    }
  }

  /** Marks table i's filters from the field's bytes; false when the value must be decoded instead. */
  private markFromBytes(rv: RecordView, i: number, keys: AsciiKeyTable, words: Uint32Array, at: number): boolean {
    const id = this.slots[i]!;
    const tag = rv.tag(id);
    if (tag < 0 || tag === Tag.null) return true;
    const kind = this.kinds[i]!;
    if (kind === 'present') {
      // An empty array has no value; FilterIndex.markValue says the same of the decoded value.
      if (tag !== Tag.array || rv.arrayCount(id) > 0) markIds(this.index.tables[i]!.ids, words, at);
      return true;
    }
    const strings = this.stringStorage[i]!;
    if (tag === Tag.array) {
      const bytes = rv.bytes;
      let pos = rv.firstElement(id);
      // Marks already made stay right if we give up half-way: decoding marks a superset.
      for (let n = rv.arrayCount(id); n > 0; n--, pos = rv.nextElement(pos)) {
        const et = rv.elementTag(pos);
        if (et === Tag.null) continue;
        if (et !== Tag.text && !(et === Tag.native && strings)) return false;
        if (!this.probe(i, keys, bytes, rv.elementPayload(pos), rv.elementLength(pos), words, at)) return false;
      }
      return true;
    }
    if (tag !== Tag.text && !(tag === Tag.native && strings)) return false;
    const span = this.span;
    rv.getStringBytes(id, span);
    return this.probe(i, keys, rv.bytes, span.offset, span.length, words, at);
  }

  /** Marks table i's filters selected by one string's bytes; false when it must be decoded. */
  private probe(i: number, keys: AsciiKeyTable, bytes: Uint8Array, start: number, len: number, words: Uint32Array, at: number): boolean {
    const kind = this.kinds[i]!;
    if (kind === 'equals') {
      const ids = keys.lookup(bytes, start, len);
      if (ids === NOT_ASCII) return false;
      if (ids !== undefined) markIds(ids, words, at);
      return true;
    }
    return kind === 'prefix' ? keys.markHeads(bytes, start, len, words, at) : keys.markTails(bytes, start, len, words, at);
  }
}

function isAscii(s: string): boolean {
  return /^[\0-\x7f]*$/.test(s);
}

/** lookup's answer for bytes that are not all ASCII. */
const NOT_ASCII = null;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/**
 * An open-addressing hash table from the ASCII literals of one index table (as UTF-8 bytes) to
 * their filter ids. Case-insensitive tables hold folded literals and fold the probed bytes.
 */
class AsciiKeyTable {
  private readonly fold: boolean;
  /** Entry index + 1 per slot; 0 = empty. */
  private readonly slots: Int32Array;
  private readonly mask: number;
  private readonly keys: Uint8Array[] = [];
  private readonly ids: (readonly number[])[] = [];
  /** Heads and tails: hasLength[L] = 1 when some literal is L bytes long. */
  private readonly hasLength: Uint8Array;

  /**
   * `reversed`: keys are hashed last byte first, so a tail's hash grows byte by byte from the end
   * of the probed string (markTails), as a head's does from its start (markHeads).
   */
  constructor(table: IndexTable, reversed = false) {
    this.fold = table.insensitive;
    this.hasLength = new Uint8Array((table.lengths.at(-1) ?? 0) + 1);
    for (const l of table.lengths) this.hasLength[l] = 1;
    // Non-ASCII literals can only equal (or fold-equal) non-ASCII strings, which are decoded.
    const ascii = [...table.byValue].filter(([v]) => /^[\0-\x7f]*$/.test(v));
    let size = 8;
    while (size < 2 * ascii.length) size *= 2;
    this.slots = new Int32Array(size);
    this.mask = size - 1;
    for (const [value, ids] of ascii) {
      const key = Uint8Array.from(value, (c) => c.charCodeAt(0));
      let s = (reversed ? this.hashReversed(key) : this.hash(key, 0, key.length)) & this.mask;
      while (this.slots[s] !== 0) s = (s + 1) & this.mask;
      this.keys.push(key);
      this.ids.push(ids);
      this.slots[s] = this.keys.length;
    }
  }

  /** FNV-1a of bytes[start, start + len), folded. */
  private hash(bytes: Uint8Array, start: number, len: number): number {
    let h = FNV_OFFSET;
    for (let i = start, end = start + len; i < end; i++) h = Math.imul(h ^ this.foldByte(bytes[i]!), FNV_PRIME);
    return h;
  }

  private hashReversed(key: Uint8Array): number {
    let h = FNV_OFFSET;
    for (let i = key.length - 1; i >= 0; i--) h = Math.imul(h ^ this.foldByte(key[i]!), FNV_PRIME);
    return h;
  }

  /**
   * Marks the filters of every literal that bytes[start, start + len) begins with: one pass,
   * the hash of each head extending the previous one. False when a byte read is not ASCII.
   */
  markHeads(bytes: Uint8Array, start: number, len: number, words: Uint32Array, at: number): boolean {
    const has = this.hasLength;
    const max = Math.min(len, has.length - 1);
    let h = FNV_OFFSET;
    for (let l = 1; l <= max; l++) {
      const b = bytes[start + l - 1]!;
      if (b & 0x80) return false;
      h = Math.imul(h ^ this.foldByte(b), FNV_PRIME);
      if (has[l] === 1) this.markFound(h, bytes, start, l, words, at);
    }
    return true;
  }

  /** markHeads for literals the string ends with (the table was built `reversed`). */
  markTails(bytes: Uint8Array, start: number, len: number, words: Uint32Array, at: number): boolean {
    const has = this.hasLength;
    const max = Math.min(len, has.length - 1);
    const end = start + len;
    let h = FNV_OFFSET;
    for (let l = 1; l <= max; l++) {
      const b = bytes[end - l]!;
      if (b & 0x80) return false;
      h = Math.imul(h ^ this.foldByte(b), FNV_PRIME);
      if (has[l] === 1) this.markFound(h, bytes, end - l, l, words, at);
    }
    return true;
  }

  private markFound(h: number, bytes: Uint8Array, start: number, len: number, words: Uint32Array, at: number): void {
    for (let s = h & this.mask; ; s = (s + 1) & this.mask) {
      const e = this.slots[s]!;
      if (e === 0) return;
      const key = this.keys[e - 1]!;
      if (key.length === len && this.equals(key, bytes, start)) {
        markIds(this.ids[e - 1]!, words, at);
        return;
      }
    }
  }

  private foldByte(b: number): number {
    return this.fold && b - 65 >>> 0 < 26 ? b | 0x20 : b;
  }

  /** The ids of the literal equal to bytes[start, start + len): undefined if none, NOT_ASCII. */
  lookup(bytes: Uint8Array, start: number, len: number): readonly number[] | undefined | typeof NOT_ASCII {
    // One pass hashes and checks for non-ASCII (same hash as construction's).
    let h = FNV_OFFSET;
    let any = 0;
    for (let i = start, end = start + len; i < end; i++) {
      const b = bytes[i]!;
      any |= b;
      h = Math.imul(h ^ this.foldByte(b), FNV_PRIME);
    }
    if (any & 0x80) return NOT_ASCII;
    for (let s = h & this.mask; ; s = (s + 1) & this.mask) {
      const e = this.slots[s]!;
      if (e === 0) return undefined;
      const key = this.keys[e - 1]!;
      if (key.length === len && this.equals(key, bytes, start)) return this.ids[e - 1];
    }
  }

  private equals(key: Uint8Array, bytes: Uint8Array, start: number): boolean {
    for (let i = 0; i < key.length; i++) if (key[i] !== this.foldByte(bytes[start + i]!)) return false;
    return true;
  }
}

// The discriminator index (prefilter.ts) over binary records, reading them in place. FilterIndex
// looks literals up by JS string: decoding every indexed field of every record into strings was a
// third of predicate time and most of the garbage of a replay. Here an indexed string field is
// hashed and compared as UTF-8 bytes where it lies. Only ASCII takes this path: for ASCII, byte
// equality is string equality and case folding is A–Z → a–z. A record string with any other byte,
// and any value not stored as a plain string (JSON, IP, a null_value field …), is decoded and
// looked up as before, so the candidates are exactly FilterIndex.writeCandidates'.
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
      this.keys.push(f.slot >= 0 ? new AsciiKeyTable(t) : null);
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
    const strings = this.stringStorage[i]!;
    if (tag === Tag.array) {
      const bytes = rv.bytes;
      let pos = rv.firstElement(id);
      // Marks already made stay right if we give up half-way: decoding marks a superset.
      for (let n = rv.arrayCount(id); n > 0; n--, pos = rv.nextElement(pos)) {
        const et = rv.elementTag(pos);
        if (et === Tag.null) continue;
        if (et !== Tag.text && !(et === Tag.native && strings)) return false;
        const ids = keys.lookup(bytes, rv.elementPayload(pos), rv.elementLength(pos));
        if (ids === NOT_ASCII) return false;
        if (ids !== undefined) markIds(ids, words, at);
      }
      return true;
    }
    if (tag !== Tag.text && !(tag === Tag.native && strings)) return false;
    const span = this.span;
    rv.getStringBytes(id, span);
    const ids = keys.lookup(rv.bytes, span.offset, span.length);
    if (ids === NOT_ASCII) return false;
    if (ids !== undefined) markIds(ids, words, at);
    return true;
  }
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

  constructor(table: IndexTable) {
    this.fold = table.insensitive;
    // Non-ASCII literals can only equal (or fold-equal) non-ASCII strings, which are decoded.
    const ascii = [...table.byValue].filter(([v]) => /^[\0-\x7f]*$/.test(v));
    let size = 8;
    while (size < 2 * ascii.length) size *= 2;
    this.slots = new Int32Array(size);
    this.mask = size - 1;
    for (const [value, ids] of ascii) {
      const key = Uint8Array.from(value, (c) => c.charCodeAt(0));
      let s = this.hash(key, 0, key.length) & this.mask;
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

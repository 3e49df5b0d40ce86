// The discriminator index (prefilter.ts) over binary records, reading them in place. FilterIndex
// looks literals up by JS string: decoding every indexed field of every record into strings was a
// third of predicate time and most of the garbage of a replay. Here an indexed string field is
// hashed and compared as UTF-8 bytes where it lies. Only ASCII takes this path: for ASCII, byte
// equality is string equality and case folding is A–Z → a–z. A record string with any other byte,
// and any value not stored as a plain string (JSON, IP, a null_value field …), is decoded and
// looked up as before, so the candidates are exactly FilterIndex.writeCandidates'. Heads and tails
// of wildcard patterns (prefix/suffix tables) probe the first or last L bytes for each distinct
// literal length L; runs inside patterns (infix tables) are looked for in one pass over the value
// (InfixTable); a presence table only reads the field's tag.
import { RecordFlag, Storage, Tag, popcount32 } from '../record/frame.js';
import type { RecordLayout } from '../record/layout.js';
import type { ByteSpan, RecordView } from '../record/view.js';
import { sameBytesWide } from '../record/same-bytes.js';
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

/** Every index table over one record field, probed together from one read of the field. */
interface FieldGroup {
  slot: number;
  strings: boolean;
  read: (ev: RecordEvent) => Value | undefined;
  /** The group's tables (FilterIndex.tables entries) for the decoding fallback. */
  tables: IndexTable[];
  present: readonly number[] | null;
  equalsCs: AsciiKeyTable | null;
  equalsCi: AsciiKeyTable | null;
  prefixCs: AsciiKeyTable | null;
  prefixCi: AsciiKeyTable | null;
  suffixCs: AsciiKeyTable | null;
  suffixCi: AsciiKeyTable | null;
  infixCs: InfixTable | null;
  infixCi: InfixTable | null;
  /**
   * Whether a string must be checked for non-ASCII bytes even when no literal has its byte length:
   * it may still equal a literal after folding (ci), or a non-ASCII literal of another byte length.
   */
  scanAll: boolean;
  /** Longest head and tail any table of the group probes. */
  maxHead: number;
  maxTail: number;
  /**
   * Marks by whole value for values seen before; undefined until the group is first probed (most
   * are rarely, and a memo is 64–192 KB), null once it stopped paying (see ValueMemo).
   */
  memo: ValueMemo | null | undefined;
  /** The group is a handful of exact literals and nothing else: compared directly (FewLiterals). */
  few: FewLiterals | null;
}

/**
 * A field group whose only tables test equality with a few ASCII literals: `host.os.type ==
 * "linux"`, `event.type == "start"`, `user.id == "0"`, the event.action and event.category values
 * of the corpus. Such fields are in nearly every event, so they are probed for nearly every event:
 * comparing the value with each literal is cheaper than hashing it for the memo, and each literal's
 * marks are precomputed as (word, mask) pairs.
 */
interface FewLiterals {
  fold: boolean;
  keys: Uint8Array[];
  /** Per literal: (word, mask) pairs. */
  marks: Int32Array[];
}

/** Most literals a group may have to be compared one by one (FewLiterals). */
const FEW_LITERALS = 8;

function fewLiterals(g: FieldGroup, markWords: number): FewLiterals | null {
  if (g.prefixCs || g.prefixCi || g.suffixCs || g.suffixCi || g.infixCs || g.infixCi) return null;
  if ((g.equalsCs === null) === (g.equalsCi === null)) return null;
  const table = g.tables.find((t) => t.kind === 'equals')!;
  const literals = [...table.byValue];
  if (literals.length > FEW_LITERALS || !literals.every(([v]) => isAscii(v))) return null;
  return {
    fold: table.insensitive,
    keys: literals.map(([v]) => Uint8Array.from(v, (c) => c.charCodeAt(0))),
    marks: literals.map(([, ids]) => {
      const words = new Uint32Array(markWords);
      markIds(ids, words, 0);
      const pairs: number[] = [];
      words.forEach((m, w) => m !== 0 && pairs.push(w, m | 0));
      return Int32Array.from(pairs);
    }),
  };
}

/**
 * A direct-mapped memo of one field group's probe results by the value's bytes. Field values
 * repeat (the same executables, names, arguments): one hash and compare of the whole value replaces
 * hashing every head and tail of it. A group whose values rarely repeat (random file names) drops
 * its memo after a trial, so it never costs more than a little hashing.
 *
 * One flat Int32Array, entry e in ENTRY_INTS words at e * ENTRY_INTS: its hash, its length and
 * result, its marks and, for a value of up to INLINE_KEY_BYTES, the value itself. A hit reads one
 * 64-byte run of memory where five parallel arrays (hashes, lengths, values, marks, results) read
 * five, and a memo is 64 KB instead of ~170 KB. Measured on the synthetic capture: 1.21 → 1.13 µs
 * per record alone, ~3% less within a replay (where the index takes ~1.75 µs per record: the rest
 * of that gap is not the memo's memory).
 */
interface ValueMemo {
  entries: Int32Array;
  /** `entries` as bytes, for the inline values. */
  entryBytes: Uint8Array;
  /** `entries` as a DataView (keys are compared four bytes at a time). */
  entryView: DataView;
  /** Values longer than INLINE_KEY_BYTES: entry e's at [e * MEMO_MAX_BYTES, + its length). */
  longKeys: Uint8Array | null;
  longView: DataView | null;
  /** Marks of an entry with more than MEMO_MARK_PAIRS marked words (its first pair is (-1, 0)). */
  overflow: (Int32Array | undefined)[];
  lookups: number;
  hits: number;
}

const MEMO_ENTRIES = 1024;
const MEMO_MAX_BYTES = 128;
/** Marked words one entry holds inline. */
const MEMO_MARK_PAIRS = 4;
/** Words of an entry: hash, length | result << 16, MEMO_MARK_PAIRS (word, mask) pairs, then the value. */
const ENTRY_INTS = 16;
const E_HASH = 0;
const E_LENGTH = 1;
const E_MARKS = 2;
const E_KEY = E_MARKS + MEMO_MARK_PAIRS * 2;
/** Values up to this long sit in their entry (most names, arguments, executables do). */
const INLINE_KEY_BYTES = (ENTRY_INTS - E_KEY) * 4;
/** E_LENGTH of an empty entry: no value has it. */
const NO_ENTRY = -1;
/** After this many lookups a memo that hit less than half the time is dropped. */
const MEMO_TRIAL = 8192;

function newMemo(): ValueMemo {
  const entries = new Int32Array(MEMO_ENTRIES * ENTRY_INTS);
  for (let e = 0; e < MEMO_ENTRIES; e++) entries[e * ENTRY_INTS + E_LENGTH] = NO_ENTRY;
  return {
    entries,
    entryBytes: new Uint8Array(entries.buffer),
    entryView: new DataView(entries.buffer),
    longKeys: null,
    longView: null,
    overflow: new Array<Int32Array | undefined>(MEMO_ENTRIES),
    lookups: 0,
    hits: 0,
  };
}

export class RecordCandidateWriter {
  /** Fields read from record bytes, all their tables probed from one pass over each string. */
  private readonly groups: FieldGroup[] = [];
  /** Tables read through their decoded value (no plain slot, or a non-ASCII head/tail literal). */
  private readonly decodedTables: IndexTable[] = [];
  private readonly decodedReads: ((ev: RecordEvent) => Value | undefined)[] = [];
  private readonly span: ByteSpan = { offset: 0, length: 0 };
  /** The DataView over the bytes of the record being written (RecordView.dataView). */
  private recordView: DataView = new DataView(new ArrayBuffer(0));
  /** A probe's marks on a memo miss, before they are copied into the record's marks. */
  private readonly scratch: Uint32Array;
  /** The record's marks (FilterIndex: both id ranges), folded into its candidate words at the end. */
  private readonly marks: Uint32Array;
  /** The group of each indexed layout field, and the indexed fields as a presence-bitmap mask. */
  private readonly groupOfField: FieldGroup[] = [];
  private readonly indexedMask: Uint32Array;

  constructor(
    private readonly index: FilterIndex,
    layout: RecordLayout,
    fieldOf: (path: string) => IndexedField,
  ) {
    this.scratch = new Uint32Array(index.markWords);
    this.marks = new Uint32Array(index.markWords);
    const bySlot = new Map<number, FieldGroup>();
    for (const t of index.tables) {
      const f = fieldOf(t.path);
      // Heads and tails are probed by byte length: only all-ASCII literals have it equal to theirs.
      const bytewise = t.kind === 'equals' || t.kind === 'present' || [...t.byValue.keys()].every(isAscii);
      if (f.slot < 0 || !bytewise) {
        this.decodedTables.push(t);
        this.decodedReads.push(f.read);
        continue;
      }
      let g = bySlot.get(f.slot);
      if (!g) {
        g = {
          slot: f.slot, strings: layout.fields[f.slot]!.storage === Storage.string, read: f.read, tables: [], present: null,
          equalsCs: null, equalsCi: null, prefixCs: null, prefixCi: null, suffixCs: null, suffixCi: null, infixCs: null, infixCi: null, scanAll: false, maxHead: 0, maxTail: 0,
          memo: undefined,
          few: null,
        };
        bySlot.set(f.slot, g);
        this.groups.push(g);
      }
      g.tables.push(t);
      const longest = t.lengths.at(-1) ?? 0;
      switch (t.kind) {
        case 'present': g.present = t.ids; break;
        case 'equals':
          if (t.insensitive) g.equalsCi = new AsciiKeyTable(t);
          else g.equalsCs = new AsciiKeyTable(t);
          if (t.insensitive || ![...t.byValue.keys()].every(isAscii)) g.scanAll = true;
          break;
        case 'prefix':
          if (t.insensitive) g.prefixCi = new AsciiKeyTable(t); else g.prefixCs = new AsciiKeyTable(t);
          g.maxHead = Math.max(g.maxHead, longest);
          break;
        case 'suffix':
          if (t.insensitive) g.suffixCi = new AsciiKeyTable(t, true); else g.suffixCs = new AsciiKeyTable(t, true);
          g.maxTail = Math.max(g.maxTail, longest);
          break;
        case 'infix':
          if (t.insensitive) g.infixCi = new InfixTable(t); else g.infixCs = new InfixTable(t);
          break;
      }
    }
    for (const g of this.groups) g.few = fewLiterals(g, index.markWords);
    this.indexedMask = new Uint32Array(layout.presenceWords);
    for (const g of this.groups) {
      this.groupOfField[g.slot] = g;
      this.indexedMask[g.slot >>> 5] = this.indexedMask[g.slot >>> 5]! | (1 << (g.slot & 31));
    }
  }

  /** The record's candidates as a bitset at word `at` (FilterIndex.writeCandidates' bits). */
  write(ev: RecordEvent, words: Uint32Array, at: number): void {
    const index = this.index;
    const marks = this.marks;
    index.writeAlways(marks, 0);
    const rv = ev.rv;
    this.recordView = rv.dataView;
    if ((rv.flags & RecordFlag.hasExtra) !== 0) {
      // Values may sit in the extra JSON (an array holding objects): every group, decoding as needed.
      for (const g of this.groups) this.markGroup(ev, g, marks, 0);
    } else {
      this.markPresent(ev, marks, 0);
    }
    for (let i = 0; i < this.decodedTables.length; i++) index.markValue(this.decodedTables[i]!, this.decodedReads[i]!(ev), marks, 0);
    index.candidateWords(marks, 0, words, at);
  }

  /**
   * Marks the groups whose field the record has: its presence bitmap, masked by the indexed fields.
   * Each field's rank (where its tag and slot are) comes from the word being walked: ranking each
   * field from scratch read the bitmap and rank table again, twice per field (tag, then bytes).
   */
  private markPresent(ev: RecordEvent, words: Uint32Array, at: number): void {
    const rv = ev.rv;
    const mask = this.indexedMask;
    for (let w = 0; w < mask.length; w++) {
      if (mask[w] === 0) continue;
      const word = rv.presenceWord(w);
      let bits = word & mask[w]!;
      if (bits === 0) continue;
      const before = rv.rankBefore(w);
      while (bits !== 0) {
        const low = bits & -bits;
        bits ^= low;
        const g = this.groupOfField[(w << 5) + 31 - Math.clz32(low)]!;
        if (!this.markFromBytes(rv, g, before + popcount32(word & (low - 1)), words, at)) this.markDecoded(ev, g, words, at);
      }
    }
  }

  private markGroup(ev: RecordEvent, g: FieldGroup, words: Uint32Array, at: number): void {
    if (!this.markFromBytes(ev.rv, g, ev.rv.rank(g.slot), words, at)) this.markDecoded(ev, g, words, at);
  }

  /** Marks a group's filters from its field's decoded value. */
  private markDecoded(ev: RecordEvent, g: FieldGroup, words: Uint32Array, at: number): void {
    // Marks already made stay right: decoding marks a superset of them.
    const v = g.read(ev);
    for (const t of g.tables) this.index.markValue(t, v, words, at);
  }

  /**
   * Marks a field group's filters from the field's bytes (`rank`: the field's rank, -1 when it is
   * missing); false when the value must be decoded.
   */
  private markFromBytes(rv: RecordView, g: FieldGroup, rank: number, words: Uint32Array, at: number): boolean {
    const id = g.slot;
    const tag = rank < 0 ? -1 : rv.tagOfRank(rank);
    // Missing here may still be in the record's extra JSON (an array holding objects): decode then.
    if (tag < 0) return (rv.flags & RecordFlag.hasExtra) === 0;
    if (tag === Tag.null) return true;
    const isArray = tag === Tag.array;
    // An empty array has no value; FilterIndex.markValue says the same of the decoded value.
    if (g.present !== null && (!isArray || rv.arrayCount(id) > 0)) markIds(g.present, words, at);
    if (g.tables.length === (g.present !== null ? 1 : 0)) return true;
    if (isArray) {
      const bytes = rv.bytes;
      let pos = rv.firstElement(id);
      for (let n = rv.arrayCount(id); n > 0; n--, pos = rv.nextElement(pos)) {
        const et = rv.elementTag(pos);
        if (et === Tag.null) continue;
        if (et !== Tag.text && !(et === Tag.native && g.strings)) return false;
        if (!this.probeValue(g, bytes, rv.elementPayload(pos), rv.elementLength(pos), words, at)) return false;
      }
      return true;
    }
    if (tag !== Tag.text && !(tag === Tag.native && g.strings)) return false;
    const span = this.span;
    rv.stringBytesOfRank(id, rank, span);
    return this.probeValue(g, rv.bytes, span.offset, span.length, words, at);
  }

  /** probe(), through the group's memo of whole values while it pays. */
  private probeValue(g: FieldGroup, bytes: Uint8Array, start: number, len: number, words: Uint32Array, at: number): boolean {
    if (g.few !== null) return probeFew(g.few, bytes, start, len, words, at);
    const memo = g.memo === undefined ? (g.memo = newMemo()) : g.memo;
    if (memo === null || len > MEMO_MAX_BYTES) return this.probe(g, bytes, start, len, words, at);
    const h = sampleHash(bytes, start, len);
    const e = (h ^ (h >>> 15)) & (MEMO_ENTRIES - 1);
    const base = e * ENTRY_INTS;
    const entries = memo.entries;
    memo.lookups++;
    const lengthAndResult = entries[base + E_LENGTH]!;
    if (entries[base + E_HASH] === h && (lengthAndResult & 0xffff) === len && this.sameKey(memo, e, bytes, start, len)) {
      memo.hits++;
      let marks = entries;
      let i = base + E_MARKS;
      let end = i + MEMO_MARK_PAIRS * 2;
      if (marks[i] === -1) {
        marks = memo.overflow[e]!;
        i = 0;
        end = marks.length;
      }
      for (; i < end; i += 2) {
        const mask = marks[i + 1]!;
        if (mask === 0) break;
        words[at + marks[i]!] = words[at + marks[i]!]! | mask;
      }
      return lengthAndResult >>> 16 === 1;
    }
    if (memo.lookups >= MEMO_TRIAL && memo.hits * 2 < memo.lookups) {
      g.memo = null;
      return this.probe(g, bytes, start, len, words, at);
    }
    const scratch = this.scratch;
    scratch.fill(0);
    const ok = this.probe(g, bytes, start, len, scratch, 0);
    let pairs = 0;
    for (let w = 0; w < scratch.length; w++) {
      const m = scratch[w]!;
      if (m === 0) continue;
      words[at + w] = words[at + w]! | m;
      pairs++;
    }
    entries.fill(0, base + E_MARKS, base + E_KEY);
    memo.overflow[e] = undefined;
    let to = entries;
    let j = base + E_MARKS;
    if (pairs > MEMO_MARK_PAIRS) {
      entries[j] = -1;
      to = memo.overflow[e] = new Int32Array(pairs * 2);
      j = 0;
    }
    for (let w = 0; w < scratch.length; w++) {
      const m = scratch[w]!;
      if (m === 0) continue;
      to[j++] = w;
      to[j++] = m | 0;
    }
    entries[base + E_HASH] = h;
    entries[base + E_LENGTH] = len | ((ok ? 1 : 0) << 16);
    // Loops, not set(bytes.subarray(…)): a miss then allocates nothing (values are short).
    let keys = memo.entryBytes;
    let to8 = base * 4 + E_KEY * 4;
    if (len > INLINE_KEY_BYTES) {
      if (memo.longKeys === null) {
        memo.longKeys = new Uint8Array(MEMO_ENTRIES * MEMO_MAX_BYTES);
        memo.longView = new DataView(memo.longKeys.buffer);
      }
      keys = memo.longKeys;
      to8 = e * MEMO_MAX_BYTES;
    }
    for (let i = 0; i < len; i++) keys[to8 + i] = bytes[start + i]!;
    return ok;
  }

  /** Whether memo entry e holds the value bytes[start, start + len) (its hash and length matched). */
  private sameKey(memo: ValueMemo, e: number, bytes: Uint8Array, start: number, len: number): boolean {
    const dv = this.recordView;
    if (len <= INLINE_KEY_BYTES) return sameBytesWide(memo.entryBytes, memo.entryView, (e * ENTRY_INTS + E_KEY) * 4, bytes, dv, start, len);
    return sameBytesWide(memo.longKeys!, memo.longView!, e * MEMO_MAX_BYTES, bytes, dv, start, len);
  }

  /**
   * Probes every table of a group with one string's bytes: one pass hashes the whole string and
   * every head (as is and folded), a second the tails. False when a byte it needed is not ASCII.
   */
  private probe(g: FieldGroup, bytes: Uint8Array, start: number, len: number, words: Uint32Array, at: number): boolean {
    const { prefixCs, prefixCi, equalsCs, equalsCi } = g;
    // Whole-string hashes only when some literal has this length: most long values (paths,
    // arguments) then cost just their heads.
    const exactCs = equalsCs !== null && equalsCs.hasHead(len);
    const exactCi = equalsCi !== null && equalsCi.hasHead(len);
    const heads = Math.min(len, g.maxHead);
    const end = exactCs || exactCi ? len : heads;
    let hcs = FNV_OFFSET;
    let hci = FNV_OFFSET;
    let any = 0;
    for (let i = 0; i < end; i++) {
      const b = bytes[start + i]!;
      any |= b;
      hcs = Math.imul(hcs ^ b, FNV_PRIME);
      hci = Math.imul(hci ^ (b - 65 >>> 0 < 26 ? b | 0x20 : b), FNV_PRIME);
      if (i < heads) {
        if (prefixCs !== null && prefixCs.hasHead(i + 1)) prefixCs.markFound(hcs, bytes, start, i + 1, words, at);
        if (prefixCi !== null && prefixCi.hasHead(i + 1)) prefixCi.markFound(hci, bytes, start, i + 1, words, at);
      }
    }
    if (end < len && g.scanAll) for (let i = end; i < len; i++) any |= bytes[start + i]!;
    // Heads before a non-ASCII byte were ASCII, so their marks stand (decoding marks them too).
    if (any & 0x80) return false;
    if (exactCs) equalsCs.markFound(hcs, bytes, start, len, words, at);
    if (exactCi) equalsCi.markFound(hci, bytes, start, len, words, at);
    if (g.suffixCs !== null) g.suffixCs.markTails(bytes, start, len, words, at);
    if (g.suffixCi !== null) g.suffixCi.markTails(bytes, start, len, words, at);
    if (g.infixCs !== null) g.infixCs.markRuns(bytes, start, len, words, at);
    // Folded, a non-ASCII character may become an ASCII run (the Kelvin sign a `k`): decode.
    if (g.infixCi !== null && !g.infixCi.markRuns(bytes, start, len, words, at)) return false;
    return true;
  }
}

/**
 * A hash of a value's length and a few of its bytes (first, last, middle, quarters): cheap for long
 * values, and a memo hit is confirmed by comparing every byte, so a weak hash costs only misses.
 */
function sampleHash(bytes: Uint8Array, start: number, len: number): number {
  let h = Math.imul(FNV_OFFSET ^ len, FNV_PRIME);
  if (len <= 8) {
    for (let i = start, end = start + len; i < end; i++) h = Math.imul(h ^ bytes[i]!, FNV_PRIME);
    return h;
  }
  const last = start + len - 1;
  const mid = start + (len >>> 1);
  const q = start + (len >>> 2);
  h = Math.imul(h ^ (bytes[start]! | (bytes[start + 1]! << 8) | (bytes[start + 2]! << 16) | (bytes[start + 3]! << 24)), FNV_PRIME);
  h = Math.imul(h ^ (bytes[last]! | (bytes[last - 1]! << 8) | (bytes[last - 2]! << 16) | (bytes[last - 3]! << 24)), FNV_PRIME);
  h = Math.imul(h ^ (bytes[mid]! | (bytes[mid - 1]! << 8) | (bytes[q]! << 16) | (bytes[last - q + start]! << 24)), FNV_PRIME);
  return h;
}

/**
 * Marks the literal of `few` that bytes[start, start + len) equals. False when the value must be
 * decoded: case-insensitively a non-ASCII character may fold to an ASCII one (the Kelvin sign to
 * `k`), so any non-ASCII byte sends it to the decoding path; case-sensitively a non-ASCII value
 * simply equals no ASCII literal.
 */
function probeFew(few: FewLiterals, bytes: Uint8Array, start: number, len: number, words: Uint32Array, at: number): boolean {
  if (few.fold) for (let i = start, end = start + len; i < end; i++) if (bytes[i]! & 0x80) return false;
  const keys = few.keys;
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k]!;
    if (key.length !== len) continue;
    let i = 0;
    if (few.fold) {
      for (; i < len; i++) {
        const b = bytes[start + i]!;
        if ((b - 65 >>> 0 < 26 ? b | 0x20 : b) !== key[i]) break;
      }
    } else {
      for (; i < len; i++) if (bytes[start + i] !== key[i]) break;
    }
    if (i < len) continue;
    const marks = few.marks[k]!;
    for (let j = 0; j < marks.length; j += 2) words[at + marks[j]!] = words[at + marks[j]!]! | marks[j + 1]!;
    return true;
  }
  return true;
}

function isAscii(s: string): boolean {
  return /^[\0-\x7f]*$/.test(s);
}

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
      // (A loop: Uint8Array.from with a mapping callback was ~20 ms of a warm start over the corpus.)
      const key = new Uint8Array(value.length);
      for (let i = 0; i < value.length; i++) key[i] = value.charCodeAt(i);
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
   * Marks the filters of every literal that bytes[start, start + len) ends with: one pass from the
   * end, each tail's hash extending the previous one (the table was built `reversed`). False when a
   * byte read is not ASCII.
   */
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

  /** Whether some literal is `l` bytes long (heads and tails). */
  hasHead(l: number): boolean {
    return l < this.hasLength.length && this.hasLength[l] === 1;
  }

  /** Marks the filters of the literal equal to bytes[start, start + len), whose hash is h. */
  markFound(h: number, bytes: Uint8Array, start: number, len: number, words: Uint32Array, at: number): void {
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

  private equals(key: Uint8Array, bytes: Uint8Array, start: number): boolean {
    for (let i = 0; i < key.length; i++) if (key[i] !== this.foldByte(bytes[start + i]!)) return false;
    return true;
  }
}

/** Buckets of an InfixTable (a power of two): runs are spread by their first two bytes. */
const INFIX_BUCKETS = 1024;

/**
 * The ASCII runs of one `infix` table (folded when case-insensitive) and their filter ids, found in
 * a value in one pass over its bytes: at each position the next two bytes pick a bucket (the runs
 * that start with them, by hash), and only those runs are compared in full. Most positions find
 * their bucket empty, so a value costs about one table load per byte; values that repeat are
 * answered by the group's memo before they get here.
 */
class InfixTable {
  private readonly fold: boolean;
  private readonly keys: Uint8Array[] = [];
  private readonly ids: (readonly number[])[] = [];
  /** First run of each bucket (index into keys), -1 when empty; `chain` links the rest. */
  private readonly heads = new Int32Array(INFIX_BUCKETS).fill(-1);
  private readonly chain: Int32Array;
  private readonly shortest: number;

  constructor(table: IndexTable) {
    this.fold = table.insensitive;
    // Non-ASCII runs sent the whole table to the decoding path (RecordCandidateWriter).
    const runs = [...table.byValue].filter(([v]) => isAscii(v) && v.length >= 2);
    this.chain = new Int32Array(runs.length).fill(-1);
    this.shortest = runs.reduce((m, [v]) => Math.min(m, v.length), Infinity);
    for (const [value, ids] of runs) {
      const key = Uint8Array.from(value, (c) => c.charCodeAt(0));
      const b = infixBucket(key[0]! | (key[1]! << 8));
      this.chain[this.keys.length] = this.heads[b]!;
      this.heads[b] = this.keys.length;
      this.keys.push(key);
      this.ids.push(ids);
    }
  }

  /**
   * Marks the filters of every run that bytes[start, start + len) contains. False when the table
   * folds case and the value has a non-ASCII byte (it must be decoded and folded as a string).
   */
  markRuns(bytes: Uint8Array, start: number, len: number, words: Uint32Array, at: number): boolean {
    const fold = this.fold;
    const end = start + len;
    const lastStart = end - this.shortest;
    const heads = this.heads;
    // The two bytes ending at i, folded: byte i - 1 in the low bits, as the keys were hashed.
    let window = 0;
    for (let i = start; i < end; i++) {
      let b = bytes[i]!;
      if (b & 0x80) {
        if (fold) return false;
      } else if (fold && b - 65 >>> 0 < 26) b |= 0x20;
      window = (window >>> 8) | (b << 8);
      const from = i - 1;
      if (from < start || from > lastStart) continue;
      for (let k = heads[infixBucket(window)]!; k >= 0; k = this.chain[k]!) {
        const key = this.keys[k]!;
        if (from + key.length <= end && this.runAt(key, bytes, from)) markIds(this.ids[k]!, words, at);
      }
    }
    return true;
  }

  private runAt(key: Uint8Array, bytes: Uint8Array, from: number): boolean {
    for (let j = 0; j < key.length; j++) {
      const b = bytes[from + j]!;
      if (key[j] !== (this.fold && b - 65 >>> 0 < 26 ? b | 0x20 : b)) return false;
    }
    return true;
  }
}

function infixBucket(twoBytes: number): number {
  return Math.imul(twoBytes, 0x9e3779b1) >>> 22;
}

// The first pass of join-key pruning can also note where each line that might be needed lies, so
// the query pass reads just those lines (pread) instead of the whole file again: for a rare driver
// that is a few hundred lines of 500,000, and reading and decoding 580 MB again was ~0.2 s.
//
// Per line, in file order, the index keeps its byte offset and a hash of each plain-string
// candidate for the join key (key-gate.ts: every key named like the key field). After the pass, a
// line is selected when a hash is one of a driver key's (a collision only selects a line more) or
// when its text could not tell its key (a backslash, a key holding a number, array or object).
// A line with no candidate has no key, so no result needs it. Offsets are counted in characters,
// which are bytes only when the file is ASCII: the reader says when it was not
// (LineFilterSlot.nonAscii), and the index is then not used. One join-key position only.
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { framedObject, parseNdjsonLine, type InputRecord, type LineFilterSlot } from '../input/read-events.js';
import { KeyScan, keyNeedle } from './key-gate.js';

/** A line the query pass reads: where it is, its 1-based number, and its record index. */
export interface Span {
  offset: number;
  length: number;
  line: number;
  index: number;
}

/** A growable column of numbers, so half a million lines cost a few typed arrays, not objects. */
class Column<T extends Float64Array | Int32Array> {
  length = 0;
  constructor(public data: T, private readonly make: (n: number) => T) {}
  push(v: number): void {
    if (this.length === this.data.length) {
      const bigger = this.make(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = v;
  }
}

const f64 = (n: number): Float64Array => new Float64Array(n);
const i32 = (n: number): Int32Array => new Int32Array(n);

/**
 * Lines an index notes at most (~30 bytes each: offsets, numbers, hashes): past it, the index is
 * dropped and the query pass reads the files again, so memory does not grow with the input.
 */
export const MAX_NOTED_LINES = 4_000_000;

export class KeyIndex extends KeyScan {
  /** More lines than `maxNoted` needed noting: the index cannot be used. */
  full = false;
  /** Lines noted, and records (`{…}` lines) among them. */
  lines = 0;
  records = 0;
  /** Where the line after the last noted one starts (its newline included): the file's unterminated tail begins there. */
  end = 0;
  private readonly offsets = new Column(f64(1024), f64);
  private readonly lengths = new Column(i32(1024), i32);
  private readonly lineNumbers = new Column(i32(1024), i32);
  private readonly recordIndexes = new Column(i32(1024), i32);
  /** Per noted line: its candidates' hashes, [hashFrom[i], hashFrom[i + 1]); an empty range means it is always read. */
  private readonly hashFrom = new Column(i32(1024), i32);
  private readonly hashes = new Column(i32(4096), i32);
  private text = '';
  // Hashes a plain-string candidate where it lies (no string is made); stops on one the text cannot tell.
  private readonly collect = (v: string | null | true, from: number, to: number): boolean => {
    if (v === true) return true;
    if (v !== null) this.hashes.push(textHash(this.text, from, to));
    return false;
  };

  constructor(segments: readonly string[], private readonly maxNoted = MAX_NOTED_LINES) {
    super([segments.map(keyNeedle)]);
  }

  /** Notes the next line of the file, `text[start, end)` (its newline follows it). */
  note(text: string, start: number, end: number): void {
    if (this.full) return;
    const offset = this.end;
    this.end += end - start + 1;
    const line = ++this.lines;
    if (!framedObject(text, start, end)) return; // blank or a comment: no record (anything else stops the pass)
    const index = this.records++;
    const from = this.hashes.length;
    this.text = text;
    if (this.begin(text, start, end) && !this.someCandidate(this.needles[0]!, text, start, end, this.collect, false)) {
      if (this.hashes.length === from) return; // no candidate: the key is missing
    } else {
      this.hashes.length = from; // always read
    }
    if (this.offsets.length >= this.maxNoted) {
      this.full = true;
      return;
    }
    this.offsets.push(offset);
    this.lengths.push(end - start);
    this.lineNumbers.push(line);
    this.recordIndexes.push(index);
    this.hashFrom.push(from);
  }

  /** The lines whose key may be one of `keys`, in file order. */
  select(keys: ReadonlySet<string>): Span[] {
    const wanted = new Set<number>();
    for (const k of keys) wanted.add(textHash(k, 0, k.length));
    const out: Span[] = [];
    const n = this.offsets.length;
    const from = this.hashFrom.data;
    const hashes = this.hashes.data;
    for (let i = 0; i < n; i++) {
      const to = i + 1 < n ? from[i + 1]! : this.hashes.length;
      let take = from[i] === to;
      for (let h = from[i]!; h < to && !take; h++) take = wanted.has(hashes[h]!);
      if (take) out.push({ offset: this.offsets.data[i]!, length: this.lengths.data[i]!, line: this.lineNumbers.data[i]!, index: this.recordIndexes.data[i]! });
    }
    return out;
  }
}

/** FNV-1a over the UTF-16 code units of s[from, to): cheap, and a collision only makes a line read that need not be. */
function textHash(s: string, from: number, to: number): number {
  let h = 0x811c9dc5;
  for (let i = from; i < to; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h | 0;
}

/** Lines read per pread when they follow each other, at most this many bytes at once. */
const RUN_BYTES = 1024 * 1024;

/**
 * The records of `spans` (and of the file's unterminated last line, from `index.end`), read where
 * they are. A line the line gate shows no filter can match is skipped, as the full reader does;
 * `counted.parsed` counts the records yielded.
 */
export async function* indexedRecords(file: string, spans: readonly Span[], index: KeyIndex, lines: LineFilterSlot, counted: { parsed: number }): AsyncGenerator<InputRecord> {
  const fd = openSync(file, 'r');
  try {
    let buffer = Buffer.allocUnsafe(64 * 1024);
    for (let i = 0; i < spans.length; ) {
      // A run of spans close enough to read in one call.
      let j = i + 1;
      while (j < spans.length && spans[j]!.offset + spans[j]!.length - spans[i]!.offset <= RUN_BYTES && spans[j]!.offset - (spans[j - 1]!.offset + spans[j - 1]!.length) <= 4096) j++;
      const from = spans[i]!.offset;
      const to = spans[j - 1]!.offset + spans[j - 1]!.length;
      if (buffer.length < to - from) buffer = Buffer.allocUnsafe(to - from);
      const n = readSync(fd, buffer, 0, to - from, from);
      const text = buffer.toString('utf8', 0, n);
      for (; i < j; i++) {
        const s = spans[i]!;
        const line = text.slice(s.offset - from, s.offset - from + s.length);
        if (lines.filter !== undefined && !lines.filter.mayMatch(line, 0, line.length)) continue;
        const r = parseNdjsonLine(file, line, s.line, s.index);
        if (r) {
          counted.parsed++;
          yield r;
        }
      }
    }
    const size = statSync(file).size;
    if (size > index.end) {
      const tail = Buffer.allocUnsafe(size - index.end);
      const n = readSync(fd, tail, 0, tail.length, index.end);
      const r = parseNdjsonLine(file, tail.toString('utf8', 0, n), index.lines + 1, index.records);
      if (r) {
        index.records++;
        counted.parsed++;
        yield r;
      }
    }
  } finally {
    closeSync(fd);
  }
}

// Join-key pruning for `kestrel query`: a sequence or sample whose join keys are plain keyword
// fields can only produce results for keys that its most selective step matched. A first pass
// over the input finds those keys (the "driver" step's), and the real pass then skips, unparsed,
// every NDJSON line whose join key text shows it is none of them. Elasticsearch's own sequence
// search works the same way round: it queries one criterion, then asks the others only for the
// join keys it found.
//
// Why it is exact. A result holds one event per (non-missing) step, all with the same join key.
// So every result's key is the key of some event matching the driver step's filter. An event
// whose key is none of those cannot be in a result, and it changes no state that a result
// depends on: partials, until and missing-event checks, samples and per-key caps are all kept
// per join key. (The per-query cap on live partials is the exception: without pruning, partials of
// keys that can never complete count towards it too, so pruning can only keep more partials that
// can complete. --parse-all turns pruning off.)
//
// Reading a key from text. For each key position the gate knows the field's last path segment;
// every `"segment":` or `.segment":` key in the line is a candidate for the field (a superset:
// `process.parent.entity_id` is a candidate for `process.entity_id`), and a line is skipped when
// every candidate holds a plain string that is not a driver key, or null. A line with a backslash
// (an escape could spell anything), or a candidate holding a number, array or object, is kept.
// A line with no candidate lacks the field: its key is null, which no driver key is.
import type { CheckedFilter, CheckedQuery, CheckedStep, TExpr } from '../eql/ir.js';
import { COLON, DOT, QUOTE, isSpace, keyAnchor } from './line-gate.js';

/** How a query's keys can be pruned: the step that finds the keys, and the usable key positions. */
export interface KeyPrunePlan {
  /** Index of the driver step in the query's steps. */
  driver: number;
  /** Key positions every step (and until) keys by a plain keyword field. */
  positions: number[];
  /**
   * Note where each line lies during the first pass, so the query pass reads only the lines a
   * driver key selects (key-index.ts): when the driver is very rare and there is one position.
   */
  index: boolean;
}

/**
 * The key positions of `query` that pruning can use, or undefined when there are none: every
 * step's key at the position (and the until step's) must be a keyword field of this event.
 */
export function prunablePositions(query: CheckedQuery): number[] | undefined {
  if (query.kind === 'event' || query.keyCount === 0) return undefined;
  const steps: CheckedStep[] = [...query.steps, ...(query.until ? [query.until] : [])];
  const positions: number[] = [];
  for (let p = 0; p < query.keyCount; p++) {
    if (steps.every((s) => plainKeywordField(s.keys[p]))) positions.push(p);
  }
  return positions.length > 0 ? positions : undefined;
}

function plainKeywordField(e: TExpr | undefined): boolean {
  return e !== undefined && e.kind === 'field' && e.step === undefined && e.type === 'string' && e.segments.length > 0;
}

/** Last path segment of each step's key field at `position` (deduplicated). */
export function keySegments(query: CheckedQuery, position: number): string[] {
  const steps: CheckedStep[] = [...query.steps, ...(query.until ? [query.until] : [])];
  const out = new Set<string>();
  for (const s of steps) {
    const k = s.keys[position];
    if (k?.kind === 'field') out.add(k.segments[k.segments.length - 1]!);
  }
  return [...out];
}

/** The filters of steps that may drive pruning: the ones a result always has an event for. */
export function driverCandidates(query: CheckedQuery): { index: number; filter: CheckedFilter }[] {
  return query.steps.flatMap((s, index) => (s.missing ? [] : [{ index, filter: s.filter }]));
}

/**
 * `segment"` searched through the read buffer by its rarest tail (line-gate.ts keyAnchor), with
 * the next match of that tail cached, as line-gate.ts's leaves do.
 */
export interface KeyNeedle {
  /** The tail searched for, and the text before it that must precede it. */
  text: string;
  prefix: string;
  next: number;
}

const BACKSLASH = '\\';

export function keyNeedle(segment: string): KeyNeedle {
  const anchor = keyAnchor(segment);
  return { text: anchor.rare, prefix: anchor.text.slice(0, anchor.rareAt), next: -1 };
}

/**
 * Key needles over one read buffer at a time: the cached next matches are only valid for the
 * buffer they were found in. Lines of one buffer must be asked in increasing order of `start`.
 */
export class KeyScan {
  private buffer = '';
  private readonly escape: KeyNeedle = { text: BACKSLASH, prefix: '', next: -1 };

  constructor(protected readonly needles: readonly (readonly KeyNeedle[])[]) {}

  /** Starts a line: false when it holds a backslash (an escape could spell any key or value). */
  protected begin(text: string, start: number, end: number): boolean {
    if (text !== this.buffer) {
      this.buffer = text;
      this.escape.next = -1;
      for (const p of this.needles) for (const n of p) n.next = -1;
    }
    return nextAt(this.escape, text, start) >= end;
  }

  /**
   * Calls `visit` with the value of every key in the line named like one of `needles`
   * (candidateValue's answers but undefined), until it returns true; whether one did.
   */
  protected someCandidate(
    needles: readonly KeyNeedle[], text: string, start: number, end: number,
    visit: (v: string | null | true, from: number, to: number) => boolean,
    /** false: a plain string is given as '' with where it lies, [from, to), not sliced out. */
    slice = true,
  ): boolean {
    for (const needle of needles) {
      for (let at = nextAt(needle, text, start + needle.prefix.length); at < end; at = nextAt(needle, text, at + 1)) {
        const keyAt = at - needle.prefix.length;
        if (needle.prefix.length > 0 && !text.startsWith(needle.prefix, keyAt)) continue;
        const v = candidateValue(text, start, end, keyAt, needle.prefix.length + needle.text.length);
        if (v === undefined) continue;
        if (typeof v === 'number') {
          const close = stringClose;
          if (visit(slice ? text.slice(v, close) : '', v, close)) return true;
        } else if (visit(v, 0, 0)) return true;
      }
    }
    return false;
  }
}

/**
 * Decides from a line's text that its join key is none of the driver's keys. Lines of one buffer
 * must be asked in increasing order of `start`, as with LineGate.
 */
export class KeyGate extends KeyScan {
  /** Lines this gate skipped. */
  skipped = 0;
  /** Per position: whether a candidate may join (a driver key, or a value the text cannot tell). */
  private readonly joins: ((v: string | null | true) => boolean)[];

  constructor(positions: readonly { segments: readonly string[]; keys: ReadonlySet<string> }[]) {
    super(positions.map((p) => p.segments.map(keyNeedle)));
    this.joins = positions.map((p) => (v) => v === true || (v !== null && p.keys.has(v)));
  }

  /** True when the line `text[start, end)` may hold a driver key at every position. */
  mayMatch(text: string, start: number, end: number): boolean {
    if (!this.begin(text, start, end)) return true;
    for (let p = 0; p < this.needles.length; p++) {
      // No candidate that may join (none at all: the key is missing, so null): no result needs the line.
      if (!this.someCandidate(this.needles[p]!, text, start, end, this.joins[p]!)) {
        this.skipped++;
        return false;
      }
    }
    return true;
  }
}

/**
 * Reads a driver line's join keys from its text, without parsing it: every plain string held by a
 * key named like the key field, per position (a superset of the event's keys, which is all the
 * key gate needs). Undefined when the text cannot tell: a backslash in the line, a candidate that
 * is not a plain string or null, or no string at all; the line is then parsed.
 */
export class KeyHarvest extends KeyScan {
  private values: string[] = [];
  // A null holds no key: the other candidates make the superset. Anything else stops the read.
  private readonly collect = (v: string | null | true): boolean => {
    if (v === true) return true;
    if (v !== null) this.values.push(v);
    return false;
  };

  constructor(segments: readonly string[]) {
    super(segments.map((s) => [keyNeedle(s)]));
  }

  read(text: string, start: number, end: number): string[][] | undefined {
    if (!this.begin(text, start, end)) return undefined;
    const out: string[][] = [];
    for (const needles of this.needles) {
      this.values = [];
      if (this.someCandidate(needles, text, start, end, this.collect) || this.values.length === 0) return undefined;
      out.push(this.values);
    }
    return out;
  }
}

/** Start of the needle's first match at or after `from`, or Infinity; cached per buffer. */
function nextAt(n: KeyNeedle, text: string, from: number): number {
  if (n.next < from) {
    const at = text.indexOf(n.text, from);
    n.next = at < 0 ? Infinity : at;
  }
  return n.next;
}

/**
 * The value of the key at `at` (`segment"`, `needleLength` long): undefined when it is not a key
 * at all (a value that ends with the segment), null for a JSON null, where a plain string's text
 * starts (it ends at the next quote), true for anything the text cannot tell (a number, array,
 * object, or a cut-off string).
 */
/** Where the plain string candidateValue last found ends (its closing quote). */
let stringClose = 0;

function candidateValue(text: string, start: number, end: number, at: number, needleLength: number): number | null | true | undefined {
  const before = at - 1;
  if (before < start) return undefined;
  const b = text.charCodeAt(before);
  if (b !== QUOTE && b !== DOT) return undefined;
  let i = skipSpace(text, at + needleLength, end);
  if (text.charCodeAt(i) !== COLON) return undefined;
  i = skipSpace(text, i + 1, end);
  if (text.charCodeAt(i) === QUOTE) {
    const close = text.indexOf('"', i + 1);
    if (close < 0 || close >= end) return true;
    stringClose = close;
    return i + 1;
  }
  return text.startsWith('null', i) ? null : true;
}

function skipSpace(text: string, from: number, end: number): number {
  let i = from;
  while (i < end && isSpace(text.charCodeAt(i))) i++;
  return i;
}

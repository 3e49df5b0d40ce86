// Lucene regular expressions, as EQL `regex` / `regex~` use them.
//
// Semantics (Elasticsearch EQL → QL `RLikePattern` → Lucene 10 `RegExp` with syntax flags
// ALL | DEPRECATED_COMPLEMENT, match flag CASE_INSENSITIVE for `regex~`):
//   - the pattern must match the whole string; there are no anchors, lazy quantifiers or groups
//     that capture, and `.*?` simply means `(.*)?`;
//   - `.` any code point · `?` `*` `+` `{n}` `{n,}` `{n,m}` repetition (stackable: `a*?`, `a{2}{3}`)
//     · `|` union · `&` intersection · `~x` complement (all strings not matching x; binds tighter
//     than repetition) · `(…)` grouping, `()` the empty string · `[…]` / `[^…]` classes with
//     ranges · `@` any string · `#` the empty language · `"…"` a literal string · `<n-m>` decimal
//     integers from n to m (exactly that many digits when n and m are written with the same
//     number of digits, otherwise with any number of leading zeros) · `\d \D \s \S \w \W`
//     (ASCII classes, `\s` = [ \t\n\r]) · `\\` a backslash · `\x` the literal x for any
//     non-letter x (escapes are needed for the reserved characters . ? * + { | & ~ ( [ @ # " < \
//     and, inside classes, ] - \);
//   - a backslash before any other letter is an error, as is a named automaton `<name>` (ES has
//     none registered);
//   - a reserved character where no operand is expected is taken literally (Lucene quirk): `*a`
//     is the string "*a" and `(|a)` is "|a";
//   - `regex~` makes single characters (outside and inside classes, and in `"…"`) match every case
//     variant (casefold.ts classes); ranges `[a-z]` and the `\w`-style classes are NOT widened,
//     exactly as in Lucene.
// Sources: Lucene `util/automaton/RegExp.java` (Lucene 10 parser), ES
// `x-pack/plugin/ql/.../regex/RLikePattern.java`, ES regexp-syntax docs.
//
// Implementation: a recursive-descent parser to a small AST, compiled to a Thompson NFA
// (regex-automaton.ts) and run by set-of-states simulation with a DFA cache. No backtracking.
//
// Resource limits (all checked while compiling; matching itself is always linear):
//   - pattern length ≤ 1000 UTF-16 units (ES index.max_regex_length default);
//   - ≤ 10 000 NFA states in total, which bounds the expansion of counted repetitions
//     (`a{1000}{1000}` is refused) and of `&` products;
//   - ≤ 2 000 DFA states when determinising the operand of a complement `~`;
//   - ≤ 1 000 cached DFA states per compiled pattern while matching (the cache is flushed when full).
// Exceeding a compile-time limit throws LimitError('eql.regex.too_complex'); a malformed pattern
// throws EqlSemanticError('eql.regex.invalid') with context.offset = UTF-16 offset of the problem.
import { EqlSemanticError, LimitError } from '../../errors.js';
import { caseVariants } from './casefold.js';
import { MAX_CODE_POINT, NfaBuilder, type Fragment } from './regex-automaton.js';
import type { StringMatcher } from './wildcard.js';

export const REGEX_LIMITS = {
  maxPatternLength: 1000,
  maxNfaStates: 10_000,
  maxDfaStates: 2_000,
  cachedDfaStates: 1_000,
} as const;

type Node =
  | { kind: 'set'; ranges: number[] } // one code point from flat, sorted, disjoint [lo, hi, …]
  | { kind: 'empty' } // the empty string
  | { kind: 'none' } // the empty language `#`
  | { kind: 'anyString' }
  | { kind: 'concat'; items: Node[] }
  | { kind: 'union'; items: Node[] }
  | { kind: 'intersect'; left: Node; right: Node }
  | { kind: 'complement'; operand: Node }
  | { kind: 'repeat'; operand: Node; min: number; max: number }; // max may be Infinity

const MAX_INT = 2 ** 31 - 1; // Lucene parses counts and bounds with Integer.parseInt

export function compileRegex(pattern: string, caseInsensitive: boolean): StringMatcher {
  if (pattern.length > REGEX_LIMITS.maxPatternLength) {
    throw new LimitError(
      'eql.regex.too_complex',
      `regular expression is too long: ${pattern.length} characters, the limit is ${REGEX_LIMITS.maxPatternLength}`,
      { context: { limit: REGEX_LIMITS.maxPatternLength } },
    );
  }
  const ast = new Parser(pattern, caseInsensitive).parse();
  const builder = new NfaBuilder(REGEX_LIMITS);
  return builder.toMatcher(build(builder, ast));
}

/**
 * Byte sets every string the pattern matches must draw from: for each set, some byte of a matching
 * string's UTF-8 is in it. Only ASCII sets are given (a set with other code points, including case
 * variants such as the Kelvin sign, has no one-byte form), at most `max` of them, smallest first.
 * Empty when nothing is required (or the pattern does not compile): callers then decide nothing.
 * Lets compiled predicates skip the automaton for most strings (`/x\s` needs a space).
 */
export function regexRequiredBytes(pattern: string, caseInsensitive: boolean, max = 3): number[][] {
  let ast: Node;
  try {
    if (pattern.length > REGEX_LIMITS.maxPatternLength) return [];
    ast = new Parser(pattern, caseInsensitive).parse();
  } catch {
    return [];
  }
  const seen = new Set<string>();
  const sets = required(ast).filter((b) => {
    const key = b.join(',');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  return sets.sort((a, b) => a.length - b.length).slice(0, max);
}

/** What any match of `node` must contain: ASCII byte sets (each sorted), one byte from each. */
function required(node: Node): number[][] {
  switch (node.kind) {
    case 'set': {
      const r = node.ranges;
      if (r.length === 0 || r[r.length - 1]! >= 0x80) return [];
      const bytes: number[] = [];
      for (let i = 0; i < r.length; i += 2) for (let c = r[i]!; c <= r[i + 1]!; c++) bytes.push(c);
      return [bytes];
    }
    case 'concat':
      return node.items.flatMap(required);
    case 'union': {
      // Each alternative's most selective requirement, pooled: any match draws from the pool.
      const pool = new Set<number>();
      for (const item of node.items) {
        const r = required(item).sort((a, b) => a.length - b.length)[0];
        if (!r) return [];
        for (const b of r) pool.add(b);
      }
      return [[...pool].sort((a, b) => a - b)];
    }
    case 'intersect':
      return [...required(node.left), ...required(node.right)];
    case 'repeat':
      return node.min >= 1 ? required(node.operand) : [];
    default:
      // empty, none, anyString, complement: nothing to require.
      return [];
  }
}

function build(b: NfaBuilder, node: Node): Fragment {
  switch (node.kind) {
    case 'set':
      return b.charSet(node.ranges);
    case 'empty':
      return b.emptyString();
    case 'none':
      return b.charSet([]);
    case 'anyString':
      return b.anyString();
    case 'concat':
      return b.concat(node.items.map((n) => build(b, n)));
    case 'union':
      return b.union(node.items.map((n) => build(b, n)));
    case 'intersect':
      return b.intersect(build(b, node.left), build(b, node.right));
    case 'complement':
      return b.complement(build(b, node.operand));
    case 'repeat': {
      // n mandatory copies, then either a star or (max - min) nested optional copies. Each copy
      // allocates states, so runaway counts stop at the NFA state limit.
      const parts: Fragment[] = [];
      for (let i = 0; i < node.min; i++) parts.push(build(b, node.operand));
      if (node.max === Infinity) {
        parts.push(b.star(build(b, node.operand)));
      } else if (node.max > node.min) {
        const optionals: Fragment[] = [];
        for (let i = node.min; i < node.max; i++) optionals.push(build(b, node.operand));
        let tail = b.optional(optionals[optionals.length - 1]!);
        for (let i = optionals.length - 2; i >= 0; i--) tail = b.optional(b.concat([optionals[i]!, tail]));
        parts.push(tail);
      }
      return b.concat(parts);
    }
  }
}

// ───────────────────────────── parser ─────────────────────────────

const isAsciiLetter = (c: number) => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
const BACKSLASH = 0x5c;

/** Sorts and merges flat [lo, hi, …] ranges. */
function normalizeRanges(ranges: number[]): number[] {
  const pairs: [number, number][] = [];
  for (let i = 0; i < ranges.length; i += 2) pairs.push([ranges[i]!, ranges[i + 1]!]);
  pairs.sort((a, b) => a[0] - b[0]);
  const out: number[] = [];
  for (const [lo, hi] of pairs) {
    const last = out.length - 1;
    if (last > 0 && lo <= out[last]! + 1) out[last] = Math.max(out[last]!, hi);
    else out.push(lo, hi);
  }
  return out;
}

function complementRanges(ranges: number[]): number[] {
  const norm = normalizeRanges(ranges);
  const out: number[] = [];
  let next = 0;
  for (let i = 0; i < norm.length; i += 2) {
    if (norm[i]! > next) out.push(next, norm[i]! - 1);
    next = norm[i + 1]! + 1;
  }
  if (next <= MAX_CODE_POINT) out.push(next, MAX_CODE_POINT);
  return out;
}

/** `\d \D \s \S \w \W` as ranges (Lucene's ASCII definitions). */
const PREDEFINED: Record<string, number[]> = {
  d: [0x30, 0x39],
  s: [0x09, 0x0a, 0x0d, 0x0d, 0x20, 0x20],
  w: [0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a],
};

class Parser {
  private pos = 0;

  constructor(
    private readonly src: string,
    private readonly caseInsensitive: boolean,
  ) {}

  parse(): Node {
    if (this.src.length === 0) return { kind: 'empty' };
    const node = this.parseUnion();
    if (this.pos < this.src.length) throw this.invalid(`end-of-string expected at position ${this.pos}`, this.pos);
    return node;
  }

  private invalid(message: string, offset: number): EqlSemanticError {
    return new EqlSemanticError('eql.regex.invalid', `invalid regular expression: ${message}`, { context: { offset } });
  }

  private more(): boolean {
    return this.pos < this.src.length;
  }

  private peek(chars: string): boolean {
    return this.more() && chars.includes(String.fromCodePoint(this.src.codePointAt(this.pos)!));
  }

  private match(ch: string): boolean {
    if (this.more() && this.src.charCodeAt(this.pos) === ch.charCodeAt(0)) {
      this.pos++;
      return true;
    }
    return false;
  }

  private next(): number {
    if (!this.more()) throw this.invalid('unexpected end-of-string', this.pos);
    const cp = this.src.codePointAt(this.pos)!;
    this.pos += cp > 0xffff ? 2 : 1;
    return cp;
  }

  private parseUnion(): Node {
    const items = [this.parseIntersection()];
    while (this.match('|')) items.push(this.parseIntersection());
    return items.length === 1 ? items[0]! : { kind: 'union', items };
  }

  private parseIntersection(): Node {
    let node = this.parseConcat();
    while (this.match('&')) node = { kind: 'intersect', left: node, right: this.parseConcat() };
    return node;
  }

  private parseConcat(): Node {
    const items = [this.parseRepeat()];
    while (this.more() && !this.peek(')|&')) items.push(this.parseRepeat());
    return items.length === 1 ? items[0]! : { kind: 'concat', items };
  }

  private parseRepeat(): Node {
    let node = this.parseComplement();
    while (this.peek('?*+{')) {
      if (this.match('?')) node = { kind: 'repeat', operand: node, min: 0, max: 1 };
      else if (this.match('*')) node = { kind: 'repeat', operand: node, min: 0, max: Infinity };
      else if (this.match('+')) node = { kind: 'repeat', operand: node, min: 1, max: Infinity };
      else {
        const brace = this.pos;
        this.match('{');
        const min = this.parseCount();
        if (min === undefined) throw this.invalid(`integer expected at position ${this.pos}`, this.pos);
        const max = this.match(',') ? (this.parseCount() ?? Infinity) : min;
        if (!this.match('}')) throw this.invalid(`expected '}' at position ${this.pos}`, this.pos);
        if (min > max) throw this.invalid(`invalid repetition range(out of order): ${min}..${max}`, brace);
        node = { kind: 'repeat', operand: node, min, max };
      }
    }
    return node;
  }

  private parseCount(): number | undefined {
    const start = this.pos;
    while (this.peek('0123456789')) this.pos++;
    if (start === this.pos) return undefined;
    const n = Number(this.src.slice(start, this.pos));
    if (n > MAX_INT) throw this.invalid(`number too large at position ${start}`, start);
    return n;
  }

  private parseComplement(): Node {
    if (this.match('~')) return { kind: 'complement', operand: this.parseComplement() };
    return this.parseCharClassExp();
  }

  private parseCharClassExp(): Node {
    const open = this.pos;
    if (!this.match('[')) return this.parseSimple();
    const negate = this.match('^');
    const ranges = this.parseCharClasses(open);
    if (!this.match(']')) throw this.invalid(`expected ']' at position ${this.pos}`, this.pos);
    return { kind: 'set', ranges: negate ? complementRanges(ranges) : normalizeRanges(ranges) };
  }

  private parseCharClasses(open: number): number[] {
    const ranges: number[] = [];
    do {
      const at = this.pos;
      if (this.match('\\')) {
        if (this.atLetterOrBackslash()) ranges.push(...this.predefined());
        else {
          const c = this.next(); // an escaped character is taken as is, without case variants
          ranges.push(c, c);
        }
      } else {
        const c = this.parseCharExp();
        if (this.match('-')) {
          const to = this.parseCharExp();
          if (c > to) throw this.invalid(`invalid range: from (${c}) cannot be > to (${to}) in class at position ${open}`, at);
          ranges.push(c, to);
        } else {
          this.pushChar(ranges, c);
        }
      }
    } while (this.more() && !this.peek(']'));
    return ranges;
  }

  private atLetterOrBackslash(): boolean {
    if (!this.more()) return false;
    const c = this.src.charCodeAt(this.pos);
    return c === BACKSLASH || isAsciiLetter(c);
  }

  /** After a backslash that precedes a letter or a backslash: `\\` or one of the ASCII classes. */
  private predefined(): number[] {
    const at = this.pos - 1;
    const c = String.fromCharCode(this.src.charCodeAt(this.pos++));
    if (c === '\\') return [BACKSLASH, BACKSLASH];
    const base = PREDEFINED[c.toLowerCase()];
    if (base === undefined) throw this.invalid(`invalid character class \\${c} at position ${at}`, at);
    return c === c.toLowerCase() ? base : complementRanges(base);
  }

  private pushChar(ranges: number[], c: number): void {
    if (!this.caseInsensitive) {
      ranges.push(c, c);
      return;
    }
    for (const v of caseVariants(c)) ranges.push(v, v);
  }

  private charNode(c: number): Node {
    const ranges: number[] = [];
    this.pushChar(ranges, c);
    return { kind: 'set', ranges: normalizeRanges(ranges) };
  }

  private parseCharExp(): number {
    this.match('\\');
    return this.next();
  }

  private parseSimple(): Node {
    if (this.match('.')) return { kind: 'set', ranges: [0, MAX_CODE_POINT] };
    if (this.match('#')) return { kind: 'none' };
    if (this.match('@')) return { kind: 'anyString' };
    if (this.match('"')) {
      const items: Node[] = [];
      while (this.more() && !this.peek('"')) items.push(this.charNode(this.next()));
      if (!this.match('"')) throw this.invalid(`expected '"' at position ${this.pos}`, this.pos);
      return items.length === 0 ? { kind: 'empty' } : { kind: 'concat', items };
    }
    if (this.match('(')) {
      if (this.match(')')) return { kind: 'empty' };
      const inner = this.parseUnion();
      if (!this.match(')')) throw this.invalid(`expected ')' at position ${this.pos}`, this.pos);
      return inner;
    }
    if (this.match('<')) return this.parseAngle();
    if (this.match('\\')) {
      if (this.atLetterOrBackslash()) return { kind: 'set', ranges: normalizeRanges(this.predefined()) };
      return this.charNode(this.next());
    }
    return this.charNode(this.next());
  }

  /** `<n-m>` numeric interval; `<name>` (a named automaton) is not available in EQL. */
  private parseAngle(): Node {
    const start = this.pos;
    while (this.more() && !this.peek('>')) this.next();
    if (!this.match('>')) throw this.invalid(`expected '>' at position ${this.pos}`, this.pos);
    const body = this.src.slice(start, this.pos - 1);
    const dash = body.indexOf('-');
    if (dash < 0) throw this.invalid(`named automaton <${body}> is not supported at position ${start - 1}`, start - 1);
    const lowText = body.slice(0, dash);
    const highText = body.slice(dash + 1);
    const number = /^\+?[0-9]+$/;
    if (!number.test(lowText) || !number.test(highText) || Number(lowText) > MAX_INT || Number(highText) > MAX_INT) {
      throw this.invalid(`interval syntax error at position ${this.pos - 1}`, start - 1);
    }
    let low = Number(lowText);
    let high = Number(highText);
    if (low > high) [low, high] = [high, low];
    const digits = lowText.length === highText.length ? lowText.length : 0;
    return decimalInterval(low, high, digits);
  }
}

// ───────────────────────────── numeric intervals ─────────────────────────────

const digitSet = (lo: number, hi: number): Node => ({ kind: 'set', ranges: [0x30 + lo, 0x30 + hi] });
const anyDigits = (n: number): Node => ({ kind: 'repeat', operand: digitSet(0, 9), min: n, max: n });

/** Digit strings of one common length from `lo` to `hi` inclusive (both that length). */
function fixedWidthRange(lo: string, hi: string): Node {
  if (lo.length === 0) return { kind: 'empty' };
  if (/^0*$/.test(lo) && /^9*$/.test(hi)) return anyDigits(lo.length);
  const a = lo.charCodeAt(0) - 0x30;
  const b = hi.charCodeAt(0) - 0x30;
  const rest = lo.length - 1;
  if (a === b) return { kind: 'concat', items: [digitSet(a, a), fixedWidthRange(lo.slice(1), hi.slice(1))] };
  const items: Node[] = [{ kind: 'concat', items: [digitSet(a, a), fixedWidthRange(lo.slice(1), '9'.repeat(rest))] }];
  if (b - a > 1) items.push({ kind: 'concat', items: [digitSet(a + 1, b - 1), anyDigits(rest)] });
  items.push({ kind: 'concat', items: [digitSet(b, b), fixedWidthRange('0'.repeat(rest), hi.slice(1))] });
  return { kind: 'union', items };
}

/**
 * Lucene `<n-m>`: with `digits` > 0, exactly that many digits (zero-padded); otherwise any number of
 * leading zeros followed by the plain decimal form of a value in [low, high].
 */
function decimalInterval(low: number, high: number, digits: number): Node {
  if (digits > 0) return fixedWidthRange(String(low).padStart(digits, '0'), String(high).padStart(digits, '0'));
  const lowText = String(low);
  const highText = String(high);
  const byLength: Node[] = [];
  for (let len = lowText.length; len <= highText.length; len++) {
    const from = len === lowText.length ? lowText : '1' + '0'.repeat(len - 1);
    const to = len === highText.length ? highText : '9'.repeat(len);
    byLength.push(fixedWidthRange(from, to));
  }
  const leadingZeros: Node = { kind: 'repeat', operand: digitSet(0, 0), min: 0, max: Infinity };
  return { kind: 'concat', items: [leadingZeros, { kind: 'union', items: byLength }] };
}

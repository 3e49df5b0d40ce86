// A raw-text gate for NDJSON lines: decides, without parsing a line, that no filter of the query
// can be true for it, so `kestrel query` need not JSON.parse, normalise or time it at all.
//
// Why it is exact. Each filter yields a necessary condition on the line's text: for
// `process.name == "bash"` the line must contain a key ending `name"` followed by `"bash"` (or by
// an array, which we do not look into). A line that satisfies no filter's condition cannot match
// any step, until or missing-event filter, and an event that matches no filter changes no engine
// state (partials, samples, until), so skipping it changes no result. Conditions are necessary,
// never sufficient: a line that passes is parsed and evaluated as before.
//
// The text conditions hold only while the JSON text spells values literally, so a line with a
// backslash (an escape could spell any character) always passes; case-insensitive conditions use
// Unicode simple case folding (regex flags `iu`), and a line with İ or ı passes them (below). The reader still checks that a skipped line is one `{…}` object, so a
// truncated line is reported as before; other damage inside a line that cannot match goes
// unnoticed, and so does a bad time value in it (it would never be used).
//
// Speed. Each condition is one regex searched forward through the whole read buffer with its next
// match cached, so the buffer is scanned once per condition rather than once per line; a line then
// costs a few comparisons. A regex scans ~1.3 GB/s, so the scans are most of the gate's cost: a
// step's category condition (true on most lines) is asked only where its value condition holds,
// which scans a few characters per ask instead of the whole buffer (−0.8 s of ~9 s on the 500k
// event query bench). A hand-written JSON walker reading only the queried fields was tried in
// place of JSON.parse for the lines that pass: no faster than V8's parser, and more memory.
import type { CheckedFilter, CheckedQuery, FieldNode, TExpr } from '../eql/ir.js';
import { hasWildcards } from '../eql/runtime/wildcard.js';

/** A necessary condition on a line's text: a regex that must match inside it, or a combination. */
type Condition = { kind: 'all' | 'any'; parts: Condition[] } | { kind: 'text'; leaf: Leaf } | null;

/** A regex or a plain string searched through the buffer, with the start of its next match cached. */
interface Leaf {
  re?: RegExp;
  needle?: string;
  /**
   * A key condition: the key's last segment and closing quote, found with indexOf (`rare` is its
   * tail from its rarest character, searched first); `re` is then sticky and tried right after it.
   */
  key?: KeyAnchor;
  /**
   * The field's dotted path, when the regex starts at its key: a match counts only where the key
   * is that field's (keyMayBe), not another field with the same last segment.
   */
  path?: string;
  /** Start of the first match at or after the last searched line start, or Infinity. */
  next: number;
}

const WS = '[ \\t\\r]*';
/**
 * Characters that make a line pass whatever else it holds: a backslash (an escape can spell any
 * character), and for case-insensitive conditions the dotted and dotless i (İ, ı), which
 * Elasticsearch folds to `i` but a JS case-insensitive regex does not. (Other non-ASCII partners
 * of ASCII letters, the Kelvin sign and long s, are simple case folds: the `iu` regex matches them.)
 */
const ESCAPE = '\\';
const TURKIC_I = ['\u0130', '\u0131'];

export class LineGate {
  /** Lines skipped so far. */
  skipped = 0;
  private buffer = '';
  private readonly leaves: Leaf[] = [];
  private readonly unsafe: Leaf[];
  private readonly condition: Condition;

  /** The gate for a query, or undefined when some filter offers no text condition. */
  static forQuery(query: CheckedQuery): LineGate | undefined {
    return LineGate.forFilters([...query.steps.map((s) => s.filter), ...(query.until ? [query.until.filter] : [])]);
  }

  /**
   * The gate for lines any of `filters` may match, or undefined when one offers no text condition,
   * or has a lineage term (Elastic Endpoint): that is answered from a process table which every
   * event must feed, so no line may go unread.
   */
  static forFilters(filters: readonly CheckedFilter[]): LineGate | undefined {
    if (filters.some((f) => f.state)) return undefined;
    const parts: Condition[] = [];
    for (const f of filters) {
      const c = filterCondition(f);
      if (c === null) return undefined;
      parts.push(c);
    }
    return new LineGate(parts.length === 1 ? parts[0]! : { kind: 'any', parts });
  }

  private constructor(condition: Condition) {
    this.condition = condition;
    const collect = (c: Condition): void => {
      if (c === null) return;
      if (c.kind === 'text') this.leaves.push(c.leaf);
      else c.parts.forEach(collect);
    };
    collect(condition);
    const insensitive = this.leaves.some((l) => l.re?.flags.includes('i'));
    this.unsafe = [ESCAPE, ...(insensitive ? TURKIC_I : [])].map((needle) => ({ needle, next: -1 }));
  }

  /** The conditions' sources, for tests and debugging. */
  describe(): string[] {
    return this.leaves.map((l) => (l.key ? `[".]${l.key.text}` : '') + (l.re?.source ?? l.needle ?? ''));
  }

  /**
   * True when the line `text[start, end)` may match some filter (and so must be parsed). Lines of
   * one buffer must be asked in increasing order of `start`.
   */
  mayMatch(text: string, start: number, end: number): boolean {
    if (text !== this.buffer) {
      this.buffer = text;
      for (const l of this.leaves) l.next = -1;
      for (const l of this.unsafe) l.next = -1;
    }
    for (const l of this.unsafe) if (found(l, text, start, end)) return true;
    return holds(this.condition, text, start, end);
  }
}

function found(leaf: Leaf, text: string, start: number, end: number): boolean {
  if (leaf.next < start) search(leaf, text, start);
  if (leaf.path === undefined) return leaf.next < end;
  // A match of another field's key (`process.parent.name` for `process.name`) does not count:
  // look on through the line for one of the right path.
  while (leaf.next < end) {
    if (keyMayBe(text, start, keyStartOf(text, start, leaf.next), leaf.path)) return true;
    search(leaf, text, leaf.next + 1);
  }
  return false;
}

function search(leaf: Leaf, text: string, from: number): void {
  if (leaf.needle !== undefined) {
    const at = text.indexOf(leaf.needle, from);
    leaf.next = at < 0 ? Infinity : at;
  } else if (leaf.key !== undefined) {
    leaf.next = searchKey(leaf.key, leaf.re!, text, from);
  } else {
    const re = leaf.re!;
    re.lastIndex = from;
    const m = re.exec(text);
    leaf.next = m ? m.index : Infinity;
  }
}

interface KeyAnchor {
  /** `segment"`. */
  text: string;
  /** Its tail searched with indexOf, and where that tail starts in it. */
  rare: string;
  rareAt: number;
}

/**
 * Characters frequent in JSON events: a string search looks for its pattern's first character
 * with memchr, so a pattern that starts with one of these stops on nearly every line many times
 * (`entity_id"` costs ~0.2 s more than `_id"` over 580 MB).
 */
const FREQUENT = new Set('"etaoinsrhlcdumpfgbywv:,.{}[]0123456789/ ');

export function keyAnchor(segment: string): KeyAnchor {
  const text = `${segment}"`;
  let rareAt = 0;
  for (let i = text.length - 2; i > 0; i--) {
    if (!FREQUENT.has(text[i]!)) {
      rareAt = i;
      break;
    }
  }
  return { text, rare: text.slice(rareAt), rareAt };
}

/**
 * The first match at or after `from` of `[".]segment"` followed by what the sticky `rest` matches:
 * the index of its leading quote or dot (where the equivalent whole regex's match would start).
 */
function searchKey(key: KeyAnchor, rest: RegExp, text: string, from: number): number {
  for (let at = text.indexOf(key.rare, from + 1 + key.rareAt); at >= 0; at = text.indexOf(key.rare, at + 1)) {
    const keyAt = at - key.rareAt;
    const before = text.charCodeAt(keyAt - 1);
    if (before !== QUOTE && before !== DOT) continue;
    if (key.rareAt > 0 && !text.startsWith(key.text.slice(0, key.rareAt), keyAt)) continue;
    rest.lastIndex = keyAt + key.text.length;
    if (rest.test(text)) return keyAt - 1;
  }
  return Infinity;
}

/**
 * Where the key of a key regex's match at `at` opens: the match starts at the key's opening quote
 * (`"name"`), or at the dot before the last segment of a dotted key (`"process.name"`).
 */
function keyStartOf(text: string, lineStart: number, at: number): number {
  if (text.charCodeAt(at) === QUOTE) return at;
  const open = text.lastIndexOf('"', at);
  return open < lineStart ? -1 : open;
}

/** Character codes of JSON's structure, and its insignificant space within a line. */
export const QUOTE = 0x22;

/**
 * Whether the object key whose opening quote is at `keyStart` (in the line starting at
 * `lineStart`) may be the field `path`: false only when it certainly is another field
 * (`{"process":{"parent":{"name":…` is process.parent.name, not process.name; dotted keys count
 * with their dots, as normalize.ts expands them). Inside an array (ES flattens arrays of objects)
 * or anywhere the line does not look like JSON, it cannot tell and says true.
 *
 * It walks outwards from the key, container by container, comparing each enclosing key with the
 * path from its end, so a key of the wrong parent is rejected after one short hop. Lines with a
 * backslash never get here (they pass the gate), so every quote delimits a string.
 */
export function keyMayBe(text: string, lineStart: number, keyStart: number, path: string): boolean {
  if (keyStart < lineStart) return true;
  let open = keyStart; // opening quote of the key being compared
  let rest = path.length; // path[0, rest) is still to be matched, by keys further out
  for (let hops = 0; hops < MAX_PATH_DEPTH; hops++) {
    const close = text.indexOf('"', open + 1);
    if (close < 0) return true;
    const len = close - open - 1;
    const from = rest - len;
    if (from < 0 || !sameText(text, open + 1, path, from, len)) return false;
    if (from > 0 && path.charCodeAt(from - 1) !== DOT) return false;
    // The container holding this key, and the key holding that container.
    const container = enclosingOpener(text, lineStart, open);
    if (container < 0 || text.charCodeAt(container) !== OPEN_OBJECT) return true;
    if (onlySpace(text, lineStart, container)) return from === 0;
    if (from === 0) return false;
    const colon = previousSignificant(text, lineStart, container - 1);
    if (colon < 0 || text.charCodeAt(colon) !== COLON) return true;
    const keyClose = previousSignificant(text, lineStart, colon - 1);
    if (keyClose < 0 || text.charCodeAt(keyClose) !== QUOTE) return true;
    open = text.lastIndexOf('"', keyClose - 1);
    if (open < lineStart) return true;
    rest = from - 1;
  }
  return true;
}

/** The `{` or `[` that opens the container holding position `at`, or -1. */
function enclosingOpener(text: string, lineStart: number, at: number): number {
  let depth = 0;
  for (let i = at - 1; i >= lineStart; i--) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = text.lastIndexOf('"', i - 1);
      if (i < lineStart) return -1;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) depth++;
    else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}

function sameText(text: string, at: number, s: string, from: number, len: number): boolean {
  for (let k = 0; k < len; k++) if (text.charCodeAt(at + k) !== s.charCodeAt(from + k)) return false;
  return true;
}

export function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d;
}

function onlySpace(text: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (!isSpace(text.charCodeAt(i))) return false;
  return true;
}

function previousSignificant(text: string, lineStart: number, from: number): number {
  let i = from;
  while (i >= lineStart && isSpace(text.charCodeAt(i))) i--;
  return i >= lineStart ? i : -1;
}

export const COLON = 0x3a;
export const DOT = 0x2e;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
/** Deeper keys are not told apart (the line passes); ECS events are a few levels deep. */
const MAX_PATH_DEPTH = 32;


function holds(c: Condition, text: string, start: number, end: number): boolean {
  if (c === null) return true;
  switch (c.kind) {
    case 'text':
      return found(c.leaf, text, start, end);
    case 'all':
      for (const p of c.parts) if (!holds(p, text, start, end)) return false;
      return true;
    case 'any':
      for (const p of c.parts) if (holds(p, text, start, end)) return true;
      return false;
  }
}

function filterCondition(f: CheckedFilter): Condition {
  const where = conditionOf(f.where);
  const category = f.category === null ? null : valueCondition(f.categoryField, [quoted(f.category)], false, true);
  // The value first: the category holds on most lines, and a leaf asked only where the value
  // matched scans a few characters per ask instead of the whole buffer.
  return all([where, category]);
}

function all(parts: Condition[]): Condition {
  const real = parts.filter((p) => p !== null);
  return real.length === 0 ? null : real.length === 1 ? real[0]! : { kind: 'all', parts: real };
}

/** A necessary text condition for `e` being true, or null when there is none to offer. */
export function conditionOf(e: TExpr): Condition {
  switch (e.kind) {
    case 'logical': {
      const parts = e.operands.map(conditionOf);
      if (e.op === 'and') return all(parts);
      return parts.some((p) => p === null) ? null : { kind: 'any', parts };
    }
    case 'compare': {
      if (e.op !== '==' || e.mode !== 'value') return null;
      const [field, value] = e.left.kind === 'field' ? [e.left, e.right] : [e.right, e.left];
      if (field.kind !== 'field' || value.kind !== 'const') return null;
      return equalsCondition(field, [value.value], false);
    }
    case 'in':
      if (e.negated || e.mode !== 'value' || e.expr.kind !== 'field') return null;
      return equalsCondition(e.expr, e.values, e.insensitive);
    case 'match': {
      if (e.negated || e.op === 'regex' || e.expr.kind !== 'field' || e.expr.type !== 'string') return null;
      return valueCondition(e.expr, e.patterns.map(patternSource), e.insensitive);
    }
    case 'isnull':
      return e.negated && e.operand.kind === 'field' ? keyPresent(e.operand) : null;
    default:
      return null;
  }
}

/** `field == v` for each v (any may hold): string literals on string fields, integers on numeric ones. */
function equalsCondition(field: FieldNode, values: readonly unknown[], insensitive: boolean): Condition {
  if (values.length === 0) return null;
  const alts: string[] = [];
  for (const v of values) {
    if (typeof v === 'string' && field.type === 'string') {
      // A keyword can arrive as a JSON number or boolean ("123" == 123 once indexed): no condition.
      if (/^[-+0-9.eE]+$|^(true|false|null)$/.test(v)) return null;
      alts.push(quoted(v));
    } else if (isInteger(v) && (field.type === 'long' || field.type === 'double' || field.type === 'number')) {
      alts.push(integerSource(v));
    } else return null;
  }
  return valueCondition(field, alts, insensitive);
}

/**
 * The field's key followed by one of the value alternatives, alone or as an element of an array.
 * The key is the path's last segment, after a quote or a dot (the same for
 * `{"process":{"name":…}}` and `{"process.name":…}`). Array elements are walked token by token (whole strings, other
 * characters) up to the closing bracket; a nested array passes. A numeric field also passes on
 * any string (Elasticsearch coerces "4444" into a long field).
 */
function valueCondition(field: FieldNode, alts: readonly string[], insensitive: boolean, exactCase = false): Condition {
  const segment = field.segments[field.segments.length - 1]!;
  const numeric = field.type === 'long' || field.type === 'double' || field.type === 'number';
  const one = `${numeric ? '"|' : ''}${alts.join('|')}`;
  const value = `(?:${one}|\\[(?:[^\\]"\\n]|"[^"\\n]*")*?(?:${one}|\\[))`;
  // `u`: a `?` matches one code point, as in EQL, and case folding is Unicode's simple folding.
  // The key itself is compared exactly: JSON keys, like Elasticsearch's field names, are case-sensitive.
  const flags = insensitive && !exactCase ? 'yiu' : 'yu';
  return { kind: 'text', leaf: { key: keyAnchor(segment), re: new RegExp(`${WS}:${WS}${value}`, flags), path: field.path, next: -1 } };
}

function keyPresent(field: FieldNode): Condition {
  const segment = field.segments[field.segments.length - 1]!;
  return { kind: 'text', leaf: { key: keyAnchor(segment), re: new RegExp(`${WS}:`, 'yu'), path: field.path, next: -1 } };
}

function quoted(v: string): string {
  return `"${escapeRe(v)}"`;
}

/** An EQL wildcard pattern as a regex over a JSON string token (`*` and `?` stay inside the quotes). */
function patternSource(p: string): string {
  if (!hasWildcards(p)) return quoted(p);
  let out = '"';
  for (const ch of p) out += ch === '*' ? '[^"\\n]*' : ch === '?' ? '[^"\\n]' : escapeRe(ch);
  return out + '"';
}

/**
 * An integer as JSON may spell it: the digits with an optional all-zero fraction, not followed by
 * more of a number; any exponent form passes (it could equal anything).
 */
function integerSource(n: number | bigint): string {
  const digits = n == 0 ? '-?0' : escapeRe(String(n));
  return `${digits}(?:\\.0*)?(?![0-9.eE])|-?[0-9]+(?:\\.[0-9]*)?[eE]`;
}

/** Longs are bigints in the IR; doubles with an integral value are matched the same way. */
function isInteger(v: unknown): v is number | bigint {
  return typeof v === 'bigint' || (typeof v === 'number' && Number.isSafeInteger(v));
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

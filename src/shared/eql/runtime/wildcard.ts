// EQL wildcard patterns, as used by `:` and `like` / `like~`.
//
// Semantics (Elasticsearch EQL): the pattern must match the whole string; `*` matches any sequence
// of characters (also none), `?` matches exactly one character, where a character is a Unicode
// code point (Lucene wildcard automata run on code points). There is NO escape: ES turns an EQL
// wildcard into a LIKE pattern whose escape character is U+0001 and rewrites every `*` / `?` into a
// wildcard (x-pack/plugin/eql/.../util/StringUtils.java `toLikePattern`), so `\` is an ordinary
// character — which is what Windows paths such as "C:\\Windows\\*.exe" need. A literal `*` or `?`
// in the data is still matched by the wildcard itself. Case-insensitive patterns (`:`, `like~`)
// compare folded strings (casefold.ts).
//
// Cost. Patterns are classified once; the common shapes (no wildcard, prefix*, *suffix, *infix*,
// only `*`s) run as native string searches. The general case with `?` uses the classic
// single-backtrack-point algorithm: on a mismatch it retries from the most recent `*`, one code
// point further on. Each retry advances that point, so the worst case is O(n·m) with no recursion.
import { foldCase } from './casefold.js';

/** A compiled matcher: true when the whole string matches. */
export type StringMatcher = (s: string) => boolean;

const STAR = 0x2a;
const QUESTION = 0x3f;

/** True if `pattern` contains `*` or `?`, i.e. it is not a plain equality test. */
export function hasWildcards(pattern: string): boolean {
  return pattern.includes('*') || pattern.includes('?');
}

export function compileWildcard(pattern: string, caseInsensitive: boolean): StringMatcher {
  if (!caseInsensitive) return compileFolded(pattern);
  const match = compileFolded(foldCase(pattern));
  return (s) => match(foldCase(s));
}

function compileFolded(p: string): StringMatcher {
  if (!p.includes('?')) return compileStarsOnly(p);
  return (s) => matchGeneral(p, s);
}

function compileStarsOnly(p: string): StringMatcher {
  const parts = p.split('*');
  if (parts.length === 1) return (s) => s === p;
  if (parts.every((x) => x === '')) return () => true;
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  const middle = parts.slice(1, -1).filter((x) => x !== '');
  if (middle.length === 0) {
    if (last === '') return (s) => s.startsWith(first);
    if (first === '') return (s) => s.endsWith(last);
    const minLength = first.length + last.length;
    return (s) => s.length >= minLength && s.startsWith(first) && s.endsWith(last);
  }
  if (first === '' && last === '' && middle.length === 1) {
    const infix = middle[0]!;
    return (s) => s.includes(infix);
  }
  const minLength = parts.reduce((n, x) => n + x.length, 0);
  // With only `*`, taking the leftmost occurrence of each middle part is always safe: it leaves
  // the most room for the parts after it.
  return (s) => {
    if (s.length < minLength || !s.startsWith(first) || !s.endsWith(last)) return false;
    let pos = first.length;
    const end = s.length - last.length;
    for (const part of middle) {
      const at = s.indexOf(part, pos);
      if (at < 0 || at + part.length > end) return false;
      pos = at + part.length;
    }
    return true;
  };
}

/** Width in UTF-16 units of the code point starting at `i` (2 for a surrogate pair). */
function widthAt(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
    const d = s.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return 2;
  }
  return 1;
}

function matchGeneral(p: string, s: string): boolean {
  let si = 0;
  let pi = 0;
  let starP = -1; // pattern index just after the last `*` seen
  let starS = 0; // string index that `*` is currently assumed to stop at
  while (si < s.length) {
    if (pi < p.length) {
      const pc = p.charCodeAt(pi);
      if (pc === STAR) {
        pi++;
        starP = pi;
        starS = si;
        continue;
      }
      if (pc === QUESTION) {
        pi++;
        si += widthAt(s, si);
        continue;
      }
      if (pc === s.charCodeAt(si)) {
        pi++;
        si++;
        continue;
      }
    }
    if (starP < 0) return false;
    // Let the last `*` swallow one more code point and retry the rest of the pattern.
    starS += widthAt(s, starS);
    si = starS;
    pi = starP;
  }
  while (pi < p.length && p.charCodeAt(pi) === STAR) pi++;
  return pi === p.length;
}

// String helpers for the EQL function library where the semantics are easy to get subtly wrong.
//
// Indexes count Unicode code points, not UTF-16 units, so `length`, `substring`, `indexOf` and
// regex `.` agree on what a character is. (Elasticsearch runs these functions on Java strings,
// i.e. UTF-16 units; the results differ only for astral characters such as emoji.) Strings without
// surrogates take plain UTF-16 fast paths.
//
// Behaviour follows the Elasticsearch EQL processors (x-pack/plugin/eql …/scalar/string) and the
// expectations in the conformance file test_string_functions.toml:
//   - substring: Python slice semantics — negative indexes count from the end, out-of-range
//     indexes are clamped, start ≥ end gives "";
//   - indexOf: first occurrence at or after `start` (negative start = 0), -1 if none (the
//     function returns null then); an empty needle is found at min(start, length);
//   - startsWith / endsWith / stringContains / between: optional case folding (casefold.ts);
//     stringContains is false when either string is empty (ES StringUtils.stringContains);
//   - between: text after the first `left`, up to the first `right` after it (greedy: the last
//     `right`); null when either is missing. Empty `left`/`right` match at the edges.
// Null arguments are handled by the function library, not here.
import { foldCase } from './casefold.js';

const SURROGATE = /[\ud800-\udfff]/;

/** Number of code points in `s`. */
export function codePointLength(s: string): number {
  if (!SURROGATE.test(s)) return s.length;
  let n = 0;
  for (let i = 0; i < s.length; i++, n++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
  }
  return n;
}

/** UTF-16 offset of code point index `cpIndex` (clamped to the string). */
function unitOffset(s: string, cpIndex: number): number {
  let i = 0;
  for (let n = 0; n < cpIndex && i < s.length; n++) {
    const c = s.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00 ? 2 : 1;
  }
  return i;
}

/** Code point index of UTF-16 offset `unit`. */
function codePointIndex(s: string, unit: number): number {
  return codePointLength(s.slice(0, unit));
}

/** EQL `substring(s, start, end)` with Python slice semantics; `end` omitted = to the end. */
export function substring(s: string, start: number, end?: number): string {
  const length = codePointLength(s);
  let from = Math.trunc(start);
  let to = end === undefined ? length : Math.trunc(end);
  if (from < 0) from = Math.max(from + length, 0);
  if (to < 0) to = Math.max(to + length, 0);
  else if (to > length) to = length;
  if (from >= to) return '';
  if (length === s.length) return s.slice(from, to);
  return s.slice(unitOffset(s, from), unitOffset(s, to));
}

/** Code point index of the first `needle` at or after `start`, or -1. */
export function indexOf(haystack: string, needle: string, start = 0, caseInsensitive = false): number {
  const h = caseInsensitive ? foldCase(haystack) : haystack;
  const n = caseInsensitive ? foldCase(needle) : needle;
  const from = Math.max(Math.trunc(start), 0);
  if (!SURROGATE.test(h)) return h.indexOf(n, from);
  const at = h.indexOf(n, unitOffset(h, from));
  return at < 0 ? -1 : codePointIndex(h, at);
}

export function startsWith(s: string, prefix: string, caseInsensitive = false): boolean {
  return caseInsensitive ? foldCase(s).startsWith(foldCase(prefix)) : s.startsWith(prefix);
}

export function endsWith(s: string, suffix: string, caseInsensitive = false): boolean {
  return caseInsensitive ? foldCase(s).endsWith(foldCase(suffix)) : s.endsWith(suffix);
}

export function stringContains(s: string, needle: string, caseInsensitive = false): boolean {
  if (s.length === 0 || needle.length === 0) return false;
  return caseInsensitive ? foldCase(s).includes(foldCase(needle)) : s.includes(needle);
}

/** EQL `between(s, left, right, greedy)`; null when `left`, or `right` after it, is absent. */
export function between(s: string, left: string, right: string, greedy = false, caseInsensitive = false): string | null {
  // Folding keeps UTF-16 lengths, so offsets found in the folded text apply to `s`.
  const text = caseInsensitive ? foldCase(s) : s;
  const l = caseInsensitive ? foldCase(left) : left;
  const r = caseInsensitive ? foldCase(right) : right;
  const leftAt = text.indexOf(l);
  if (leftAt < 0) return null;
  const from = leftAt + l.length;
  const rightAt = greedy ? text.lastIndexOf(r) : text.indexOf(r, from);
  if (rightAt < from) return null;
  return s.slice(from, rightAt);
}

// Reference implementations of ES EQL's string functions over scalar values. Positions and
// lengths are UTF-16 units, as in Java (and so in ES). Case-insensitive variants fold both
// strings per code point (casefold.ts), which keeps UTF-16 positions aligned with the original.
import { foldCase } from './runtime/casefold.js';

export function between(source: string, left: string, right: string, greedy: boolean, ci: boolean): string | null {
  // An empty source gives an empty result whatever the bounds (ES docs).
  if (source === '') return '';
  const haystack = ci ? foldCase(source) : source;
  const l = ci ? foldCase(left) : left;
  const r = ci ? foldCase(right) : right;
  const at = haystack.indexOf(l);
  if (at < 0) return null;
  const start = at + l.length;
  const end = greedy ? haystack.lastIndexOf(r) : haystack.indexOf(r, start);
  return end < start ? null : source.slice(start, end);
}

export function startsWith(source: string, prefix: string, ci: boolean): boolean {
  return ci ? foldCase(source).startsWith(foldCase(prefix)) : source.startsWith(prefix);
}

export function endsWith(source: string, suffix: string, ci: boolean): boolean {
  return ci ? foldCase(source).endsWith(foldCase(suffix)) : source.endsWith(suffix);
}

/** ES: an empty source or substring never "contains" (stringContains("", "") is false). */
export function stringContains(source: string, sub: string, ci: boolean): boolean {
  if (source === '' || sub === '') return false;
  return ci ? foldCase(source).includes(foldCase(sub)) : source.includes(sub);
}

/**
 * Java's String.indexOf(sub, from): a negative start counts as 0; past the end only the empty
 * string is found (at the length). Not found is null.
 */
export function indexOf(source: string, sub: string, from: number, ci: boolean): number | null {
  const haystack = ci ? foldCase(source) : source;
  const needle = ci ? foldCase(sub) : sub;
  const start = Math.max(0, from);
  if (start >= haystack.length) return needle === '' ? haystack.length : null;
  const at = haystack.indexOf(needle, start);
  return at < 0 ? null : at;
}

/** Python slice semantics: negative positions count from the end; out-of-range ones clamp. */
export function substring(source: string, start: number, end: number): string {
  const n = source.length;
  let s = start < 0 ? start + n : start;
  let e = end < 0 ? end + n : end;
  s = Math.min(Math.max(s, 0), n);
  e = Math.min(Math.max(e, 0), n);
  return s >= e ? '' : source.slice(s, e);
}

// Case folding for EQL's case-insensitive operators (`:`, `like~`, `in~`, `regex~`, `fn~`).
//
// What Elasticsearch does. Case-insensitive keyword matching is done by Lucene automata: every
// code point c of the pattern is replaced by the set {c, toUpperCase(c), toLowerCase(c)} plus a
// table of extra simple-case-folding partners (Kelvin sign K, long s ſ, final sigma ς, micro sign
// µ, ohm sign Ω, Greek symbol variants ϐ ϑ ϕ …). Sources: Lucene `Automata.makeCaseInsensitiveChar`
// and `util/automaton/CaseFolding.java` (Lucene 10, Unicode 17), used by ES `AutomatonQueries`
// (term/wildcard/prefix with case_insensitive) and by `RLikePattern`/`WildcardPattern`
// (`RegExp.CASE_INSENSITIVE`) in the EQL/QL code. It is per code point: no multi-character
// folding (ß never matches "ss"), so a match never changes the number of code points.
// (The script fall-back of a few `fn~` functions uses Java `String.toLowerCase(Locale.ROOT)`;
// that differs only for the rare characters whose full lower-case form is longer.)
//
// What we do. Those per-code-point sets, closed transitively, partition the code points into
// classes; `foldCodePoint` maps each code point to one representative of its class, so two
// strings match case-insensitively exactly when their folds are equal. The representative is
// toLowerCase(toUpperCase(c)) (simple, single-code-point mappings only), which equals Unicode
// simple case folding for every code point except the dotted/dotless i: Java's simple mappings
// put İ (U+0130) and ı (U+0131) in the class of i/I, so we do too. The folded form of a code point
// always has the same UTF-16 length, so indices into a folded string are indices into the original.
//
// Cost. ASCII is folded inline; other code points are computed once with the JS case mappings and
// cached (a 64 Ki table for the BMP, a Map for the few astral cased letters).

/** Fold results that toLowerCase(toUpperCase(c)) gets wrong: U+0130 has only a multi-char full lower-casing; the Greek and ligature pairs have multi-char upper-casings. */
const FOLD_EXCEPTIONS: ReadonlyMap<number, number> = new Map([
  [0x0130, 0x0069],
  [0x1fd3, 0x0390],
  [0x1fe3, 0x03b0],
  [0xfb05, 0xfb06],
]);

/**
 * Members of a class that cannot be reached from its representative r through toUpperCase(r):
 * [representative, member] pairs. Derived from the Unicode 17 tables and checked exhaustively by
 * test/runtime-casefold.test.ts.
 */
const EXTRA_CLASS_MEMBERS: readonly (readonly [number, number])[] = [
  [0x69, 0x130], [0x69, 0x131], [0x6b, 0x212a], [0x73, 0x17f], [0x3bc, 0xb5], [0xe5, 0x212b],
  [0xdf, 0x1e9e], [0x1c6, 0x1c5], [0x1c9, 0x1c8], [0x1cc, 0x1cb], [0x1f3, 0x1f2], [0x3b9, 0x345],
  [0x3b9, 0x1fbe], [0x390, 0x1fd3], [0x3b2, 0x3d0], [0x3b5, 0x3f5], [0x3b8, 0x3d1], [0x3b8, 0x3f4],
  [0x3ba, 0x3f0], [0x3c0, 0x3d6], [0x3c1, 0x3f1], [0x3c3, 0x3c2], [0x3c6, 0x3d5], [0x3c9, 0x2126],
  [0x3b0, 0x1fe3], [0x432, 0x1c80], [0x434, 0x1c81], [0x43e, 0x1c82], [0x441, 0x1c83],
  [0x442, 0x1c84], [0x442, 0x1c85], [0x44a, 0x1c86], [0x463, 0x1c87], [0xa64b, 0x1c88],
  [0x1e61, 0x1e9b], [0x1fb3, 0x1fbc], [0x1fc3, 0x1fcc], [0x1ff3, 0x1ffc], [0xfb06, 0xfb05],
  // Greek letters with iota subscript: the title-case forms (U+1F88…) upper-case to two letters.
  ...Array.from({ length: 8 }, (_, i) => [0x1f80 + i, 0x1f88 + i] as const),
  ...Array.from({ length: 8 }, (_, i) => [0x1f90 + i, 0x1f98 + i] as const),
  ...Array.from({ length: 8 }, (_, i) => [0x1fa0 + i, 0x1fa8 + i] as const),
];

let extraMembersByRepresentative: Map<number, number[]> | undefined;

/** 0 = not computed yet (U+0000 is ASCII and never looked up here). */
const bmpFoldCache = new Uint16Array(0x10000);
const astralFoldCache = new Map<number, number>();

/** The code point of `s` if it is exactly one code point, else -1. */
function singleCodePoint(s: string): number {
  const cp = s.codePointAt(0);
  if (cp === undefined) return -1;
  return s.length === (cp > 0xffff ? 2 : 1) ? cp : -1;
}

function computeFold(cp: number): number {
  const exception = FOLD_EXCEPTIONS.get(cp);
  if (exception !== undefined) return exception;
  const ch = String.fromCodePoint(cp);
  let upper = singleCodePoint(ch.toUpperCase());
  if (upper < 0) upper = cp;
  let folded = singleCodePoint(String.fromCodePoint(upper).toLowerCase());
  if (folded < 0) {
    folded = singleCodePoint(ch.toLowerCase());
    if (folded < 0) folded = cp;
  }
  // Keep UTF-16 lengths equal so folded indices stay valid for the original string.
  return folded > 0xffff === cp > 0xffff ? folded : cp;
}

/** The representative of `cp`'s case-insensitive class (see the module comment). */
export function foldCodePoint(cp: number): number {
  if (cp < 0x80) return cp >= 0x41 && cp <= 0x5a ? cp + 0x20 : cp;
  if (cp < 0x10000) {
    let f = bmpFoldCache[cp];
    if (f === 0) {
      f = computeFold(cp);
      bmpFoldCache[cp] = f;
    }
    return f;
  }
  let f = astralFoldCache.get(cp);
  if (f === undefined) {
    f = computeFold(cp);
    astralFoldCache.set(cp, f);
  }
  return f;
}

/**
 * Folds every code point of `s`. Returns `s` itself (no allocation) when it is already folded
 * ASCII, the common case for paths and command lines compared with `:`.
 */
export function foldCase(s: string): string {
  const n = s.length;
  let hasUpper = false;
  let i = 0;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) break;
    if (c >= 0x41 && c <= 0x5a) hasUpper = true;
  }
  if (i === n) return hasUpper ? s.toLowerCase() : s;
  return foldNonAscii(s);
}

function foldNonAscii(s: string): string {
  const units: number[] = new Array(s.length);
  let changed = false;
  for (let i = 0; i < s.length; i++) {
    const cp = s.codePointAt(i)!;
    const f = foldCodePoint(cp);
    if (f !== cp) changed = true;
    if (cp > 0xffff) {
      units[i] = 0xd800 + ((f - 0x10000) >> 10);
      units[i + 1] = 0xdc00 + ((f - 0x10000) & 0x3ff);
      i++;
    } else {
      units[i] = f;
    }
  }
  if (!changed) return s;
  let out = '';
  // fromCharCode.apply is bounded by the engine's argument limit; go in chunks.
  for (let start = 0; start < units.length; start += 8192) {
    out += String.fromCharCode.apply(null, units.slice(start, start + 8192));
  }
  return out;
}

/** Case-insensitive equality without allocating folded copies. */
export function equalsIgnoreCase(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const ca = a.charCodeAt(i);
    const cb = b.charCodeAt(i);
    if (ca === cb && (ca < 0xd800 || ca > 0xdbff)) continue;
    const pa = a.codePointAt(i)!;
    const pb = b.codePointAt(i)!;
    if (foldCodePoint(pa) !== foldCodePoint(pb)) return false;
    if (pa > 0xffff) i++;
  }
  return true;
}

/**
 * Every code point that matches `cp` case-insensitively (including `cp`), ascending. Used where a
 * pattern is compiled to an automaton and cannot fold its input (regex character ranges must see
 * the original code points).
 */
export function caseVariants(cp: number): number[] {
  const rep = foldCodePoint(cp);
  const out = [rep];
  const upper = singleCodePoint(String.fromCodePoint(rep).toUpperCase());
  if (upper >= 0 && upper !== rep && foldCodePoint(upper) === rep) out.push(upper);
  extraMembersByRepresentative ??= groupExtras();
  const extras = extraMembersByRepresentative.get(rep);
  if (extras) for (const m of extras) if (!out.includes(m)) out.push(m);
  return out.sort((x, y) => x - y);
}

function groupExtras(): Map<number, number[]> {
  const map = new Map<number, number[]>();
  for (const [rep, member] of EXTRA_CLASS_MEMBERS) {
    const list = map.get(rep);
    if (list) list.push(member);
    else map.set(rep, [member]);
  }
  return map;
}

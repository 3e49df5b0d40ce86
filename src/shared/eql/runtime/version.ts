// Ordering of Elasticsearch `version` field values, for comparisons on version-typed fields.
//
// ES sorts versions by the bytes of an encoding (x-pack/plugin/mapper-version `VersionEncoder`);
// we build the same sort key, one character per byte, so JS string order is ES order:
//   - a version is legal when it is MAIN[-PRE][+BUILD] with MAIN = one or more dot-separated
//     numbers without leading zeros (relaxed semver: "1", "1.2" and "1.2.3.4" are legal),
//     PRE = dot-separated identifiers (numbers without leading zeros, or [0-9A-Za-z-]+ with a
//     non-digit), BUILD = dot-separated [0-9A-Za-z-]+; at most 32 identifiers per part;
//   - legal versions follow semver 2.0 precedence: numbers compare numerically ("1.11.3" >
//     "1.5.0"), a pre-release sorts before its release ("1.0.0-rc.1" < "1.0.0"), numeric
//     pre-release identifiers sort before alphanumeric ones, which compare in ASCII order, and a
//     shorter identifier list sorts first; fewer main parts sort first ("1.2" < "1.2.0");
//   - unlike semver, build metadata is NOT ignored: it is compared as an ASCII suffix, so
//     "1.0.0" < "1.0.0+b1" < "1.0.0+b2";
//   - every illegal string (e.g. "1.02", "v1.2", "latest") sorts after every legal version, and
//     illegal strings compare by their UTF-8 bytes; "" sorts after the legal versions too.
// ES rejects documents whose version has a digit group of 128 or more digits; we treat such a
// string as illegal instead of failing.

const NUMERIC_MARKER = '\x01';
const PRERELEASE_MARKER = '\x02';
const NO_PRERELEASE_MARKER = '\x03';
const MAX_IDENTIFIERS = 32;
/** ES refuses digit groups of 128 digits or more. */
const DIGIT_GROUP_TOO_LONG = /\d{128}/;

const LEGAL_MAIN = /^(?:0|[1-9]\d*)(?:\.(?:0|[1-9]\d*))*$/;
const LEGAL_PRERELEASE = /^-(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*$/;
const LEGAL_BUILD = /^\+[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*$/;

/** Splits off `+build` and then `-pre`, each starting at the first separator after position 0. */
function splitVersion(v: string): { main: string; pre: string | null; build: string | null } {
  const plus = v.indexOf('+');
  const build = plus > 0 ? v.slice(plus) : null;
  const rest = plus > 0 ? v.slice(0, plus) : v;
  const dash = rest.indexOf('-');
  return dash > 0 ? { main: rest.slice(0, dash), pre: rest.slice(dash), build } : { main: rest, pre: null, build };
}

function tooManyIdentifiers(part: string | null): boolean {
  return part !== null && part.split('.').length > MAX_IDENTIFIERS;
}

/** Replaces each digit group by marker, length byte (high bit set) and the digits. */
function encodeDigitGroups(s: string): string {
  return s.replace(/\d+/g, (digits) => NUMERIC_MARKER + String.fromCharCode(0x80 | digits.length) + digits);
}

/** Java's String.getBytes(UTF_8), one char per byte (lone surrogates become '?'). */
function utf8Bytes(s: string): string {
  let ascii = true;
  for (let i = 0; i < s.length && ascii; i++) ascii = s.charCodeAt(i) < 0x80;
  if (ascii) return s;
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp >= 0xd800 && cp <= 0xdfff) out += '?';
    else if (cp < 0x80) out += ch;
    else if (cp < 0x800) out += String.fromCharCode(0xc0 | (cp >> 6), 0x80 | (cp & 63));
    else if (cp < 0x10000) out += String.fromCharCode(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
    else out += String.fromCharCode(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
  }
  return out;
}

/** True if `v` is a legal version in the sense above (it then sorts by semver precedence). */
export function isLegalVersion(v: string): boolean {
  const { main, pre, build } = splitVersion(v);
  if (tooManyIdentifiers(main) || tooManyIdentifiers(pre) || tooManyIdentifiers(build)) return false;
  if (!LEGAL_MAIN.test(main) || (pre !== null && !LEGAL_PRERELEASE.test(pre)) || (build !== null && !LEGAL_BUILD.test(build))) {
    return false;
  }
  return !DIGIT_GROUP_TOO_LONG.test(main) && (pre === null || !DIGIT_GROUP_TOO_LONG.test(pre));
}

/**
 * A string whose code-unit order is ES's order of versions (each char is one byte of ES's
 * encoding). Precompute it for constants; compare keys with < / > or compareVersionKeys.
 */
export function versionSortKey(v: string): string {
  if (!isLegalVersion(v)) return v === '' ? NO_PRERELEASE_MARKER : utf8Bytes(v);
  const { main, pre, build } = splitVersion(v);
  let key = encodeDigitGroups(main);
  if (pre === null) {
    key += NO_PRERELEASE_MARKER;
  } else {
    const ids = pre.slice(1).split('.');
    key += PRERELEASE_MARKER + '-' + ids.map((id) => (/^\d+$/.test(id) ? encodeDigitGroups(id) : id)).join('.');
  }
  return build === null ? key : key + build;
}

export function compareVersionKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Negative, zero or positive as `a` sorts before, with or after `b` in ES's version order. */
export function compareVersions(a: string, b: string): number {
  return compareVersionKeys(versionSortKey(a), versionSortKey(b));
}

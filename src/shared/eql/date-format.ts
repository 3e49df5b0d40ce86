// Reading date values the way an Elasticsearch `date` field does: with the mapping's `format`
// (a Java DateTimeFormatter pattern such as "dd-MM-yyyy", or a named format), falling back to the
// default "strict_date_optional_time||epoch_millis". The result is epoch milliseconds (UTC).
//
// Where it matters: ES compares and joins date fields by instant, not by text, so
// "17-12-2022" (dd-MM-yyyy), "2022-12-17" and 1671235200000 are the same join key.
import type { Value } from './values.js';

type Parser = (text: string) => number | null;

const cache = new Map<string, Parser>();

/** Epoch millis of a date value read with `format` (ES `format` syntax, `||` alternatives allowed). */
export function dateMillis(v: Value, format?: string): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v !== 'string') return null;
  const key = format ?? '';
  let parse = cache.get(key);
  if (!parse) {
    parse = buildParser(format);
    cache.set(key, parse);
  }
  return parse(v);
}

function buildParser(format: string | undefined): Parser {
  const alternatives = (format ? format.split('||') : []).map((f) => f.trim()).filter(Boolean);
  // The default formats always apply after the mapping's own: ES's dynamic and default date
  // parsing accepts ISO-8601 and epoch millis, and data often mixes them with a custom format.
  const parsers = [...alternatives.map(namedOrPattern), isoParser, epochMillisParser];
  return (text) => {
    for (const p of parsers) {
      const t = p(text);
      if (t !== null) return t;
    }
    return null;
  };
}

function namedOrPattern(f: string): Parser {
  switch (f) {
    case 'epoch_millis':
      return epochMillisParser;
    case 'epoch_second':
      return (t) => (/^-?\d+(\.\d+)?$/.test(t) ? Math.round(Number(t) * 1000) : null);
    case 'strict_date_optional_time':
    case 'date_optional_time':
    case 'strict_date_optional_time_nanos':
    case 'strict_date_time':
    case 'date_time':
    case 'strict_date':
    case 'date':
      return isoParser;
    default:
      return javaPatternParser(f);
  }
}

function epochMillisParser(t: string): number | null {
  return /^-?\d{1,19}$/.test(t) ? Number(t) : null;
}

/** ISO-8601 date or date-time; a missing zone means UTC, as in ES. */
function isoParser(t: string): number | null {
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[T ](\d{2})(?::(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?)?)?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(t);
  if (!m) return null;
  const [, y, mo = '01', d = '01', h = '00', mi = '00', s = '00', frac = '', zone] = m;
  const ms = Number((frac + '000').slice(0, 3));
  let millis = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), ms);
  if (!validFields(Number(y), Number(mo), Number(d), Number(h), Number(mi), Number(s))) return null;
  if (zone && zone !== 'Z') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    millis -= sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2))) * 60_000;
  }
  return millis;
}

function validFields(y: number, mo: number, d: number, h: number, mi: number, s: number): boolean {
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return false;
  return d <= new Date(Date.UTC(y, mo, 0)).getUTCDate();
}

/** A Java DateTimeFormatter pattern with the letters mappings use: y M d H h m s S a, and literals. */
function javaPatternParser(pattern: string): Parser {
  const fields: { letter: string; width: number }[] = [];
  let regex = '^';
  for (let i = 0; i < pattern.length; ) {
    const c = pattern[i];
    if (c === "'") {
      const end = pattern.indexOf("'", i + 1);
      const lit = pattern.slice(i + 1, end < 0 ? pattern.length : end);
      regex += escapeRegex(lit || "'");
      i = end < 0 ? pattern.length : end + 1;
      continue;
    }
    if (/[A-Za-z]/.test(c)) {
      let j = i;
      while (pattern[j] === c) j++;
      const width = j - i;
      fields.push({ letter: c, width });
      regex += c === 'a' ? '(AM|PM|am|pm)' : c === 'S' ? `(\\d{1,${width}})` : `(\\d{${width === 1 ? '1,2' : width === 2 ? '2' : `${width},`}})`;
      i = j;
      continue;
    }
    regex += escapeRegex(c);
    i++;
  }
  const re = new RegExp(regex + '$');
  return (text) => {
    const m = re.exec(text);
    if (!m) return null;
    let y = 1970, mo = 1, d = 1, h = 0, mi = 0, s = 0, ms = 0, pm: boolean | null = null;
    fields.forEach((f, k) => {
      const v = m[k + 1];
      switch (f.letter) {
        // Java reads a two-letter year as 2000-2099 (reduced year, base 2000).
        case 'y': case 'u': case 'Y': y = f.width === 2 ? 2000 + Number(v) : Number(v); break;
        case 'M': mo = Number(v); break;
        case 'd': d = Number(v); break;
        case 'H': h = Number(v); break;
        case 'h': h = Number(v) % 12; break;
        case 'm': mi = Number(v); break;
        case 's': s = Number(v); break;
        case 'S': ms = Number((v + '00').slice(0, 3)); break;
        case 'a': pm = v.toLowerCase() === 'pm'; break;
      }
    });
    if (pm) h += 12;
    if (!validFields(y, mo, d, h, mi, s)) return null;
    return Date.UTC(y, mo - 1, d, h, mi, s, ms);
  };
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

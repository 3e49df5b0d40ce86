// Reads one TOML string literal straight from the raw file text, keeping track of where each piece of
// the decoded value came from. smol-toml gives values without positions; this is how a query
// embedded in a TOML rule gets exact file line:col positions.
import type { FilePosition, QuerySegment } from './model.js';
import type { PositionCursor } from './position.js';

export interface TomlStringRead {
  value: string;
  /** File position of value[0] (of where it would be, for an empty string). */
  base: FilePosition;
  /** Only when the value is not a verbatim slice of the file (escapes or line continuations). */
  segments?: QuerySegment[];
  /** Offset just past the closing delimiter. */
  end: number;
}

/** Thrown for a malformed literal; callers only read strings smol-toml already accepted, so this means a bug. */
export class TomlStringError extends Error {}

const SIMPLE_ESCAPES: Record<string, string> = { b: '\b', t: '\t', n: '\n', f: '\f', r: '\r', e: '\x1b', '"': '"', '\\': '\\' };
const HEX_ESCAPE_LENGTH: Record<string, number> = { x: 2, u: 4, U: 8 };

/** Reads the string literal whose opening quote is at `start`. */
export function readTomlString(text: string, start: number, cursor: PositionCursor): TomlStringRead {
  const quote = text[start];
  if (quote !== '"' && quote !== "'") throw new TomlStringError(`no string at offset ${start}`);
  const multiline = text.startsWith(quote.repeat(3), start);
  let from = start + (multiline ? 3 : 1);
  // A newline right after an opening triple quote is not part of the value (TOML spec).
  if (multiline) from = skipOneNewline(text, from);
  return quote === "'" ? readLiteral(text, from, multiline, cursor) : readBasic(text, from, multiline, cursor);
}

function readLiteral(text: string, from: number, multiline: boolean, cursor: PositionCursor): TomlStringRead {
  const close = findClose(text, from, "'", multiline);
  return { value: text.slice(from, close.contentEnd), base: cursor.at(from), end: close.end };
}

function readBasic(text: string, from: number, multiline: boolean, cursor: PositionCursor): TomlStringRead {
  let value = '';
  let segments: QuerySegment[] | undefined;
  let runStart = from; // start of the current stretch copied verbatim
  let i = from;
  const flushRun = (): void => {
    if (i > runStart) {
      segments?.push({ queryOffset: value.length, at: cursor.at(runStart), verbatim: true });
      value += text.slice(runStart, i);
    }
  };
  for (;;) {
    if (i >= text.length) throw new TomlStringError('unterminated string');
    const c = text[i];
    if (c === '"' && (!multiline || text.startsWith('"""', i))) {
      const close = findClose(text, i, '"', multiline);
      i = close.contentEnd;
      flushRun();
      const base = segments?.[0]?.at ?? cursor.at(from);
      // The end of the value must map past the last escape, so close with an (empty) verbatim piece.
      const last = segments?.[segments.length - 1];
      if (last && !last.verbatim) {
        segments!.push({ queryOffset: value.length, at: cursor.at(close.contentEnd), verbatim: true });
      }
      return { value, base, ...(segments?.length && { segments }), end: close.end };
    }
    if (c !== '\\') {
      i++;
      continue;
    }
    // From the first escape on, the value is no longer a verbatim slice: record where each piece came from.
    segments ??= [];
    flushRun();
    const afterBackslash = continuationEnd(text, i + 1, multiline);
    if (afterBackslash >= 0) {
      // Line-ending backslash: it, the newline and all following whitespace/newlines vanish.
      i = afterBackslash;
    } else {
      const { decoded, length } = decodeEscape(text, i);
      segments.push({ queryOffset: value.length, at: cursor.at(i), verbatim: false });
      value += decoded;
      i += length;
    }
    runStart = i;
  }
}

/** If a backslash followed by `from` ends the line (multi-line strings only), the offset after the skipped whitespace. */
function continuationEnd(text: string, from: number, multiline: boolean): number {
  if (!multiline) return -1;
  let i = from;
  while (text[i] === ' ' || text[i] === '\t') i++;
  if (text[i] !== '\n' && !(text[i] === '\r' && text[i + 1] === '\n')) return -1;
  while (i < text.length && ' \t\r\n'.includes(text[i]!)) i++;
  return i;
}

function decodeEscape(text: string, at: number): { decoded: string; length: number } {
  const kind = text[at + 1] ?? '';
  const simple = SIMPLE_ESCAPES[kind];
  if (simple !== undefined) return { decoded: simple, length: 2 };
  const digits = HEX_ESCAPE_LENGTH[kind];
  const hex = digits === undefined ? '' : text.slice(at + 2, at + 2 + digits);
  if (digits === undefined || !/^[0-9A-Fa-f]+$/.test(hex) || hex.length !== digits) {
    throw new TomlStringError(`invalid escape at offset ${at}`);
  }
  return { decoded: String.fromCodePoint(parseInt(hex, 16)), length: 2 + digits };
}

/**
 * The closing delimiter at `at`. In multi-line strings up to two extra quotes before the closing
 * triple belong to the value (`"""a""""` is `a"`).
 */
function findClose(text: string, at: number, quote: string, multiline: boolean): { contentEnd: number; end: number } {
  if (!multiline) {
    const close = text.indexOf(quote, at);
    if (close < 0) throw new TomlStringError('unterminated string');
    return { contentEnd: close, end: close + 1 };
  }
  let close = quote === "'" ? text.indexOf("'''", at) : at;
  if (close < 0) throw new TomlStringError('unterminated string');
  let run = 0;
  while (text[close + run] === quote) run++;
  if (run < 3) throw new TomlStringError('unterminated string');
  close += run - 3;
  return { contentEnd: close, end: close + 3 };
}

function skipOneNewline(text: string, at: number): number {
  if (text[at] === '\n') return at + 1;
  if (text[at] === '\r' && text[at + 1] === '\n') return at + 2;
  return at;
}

/** Offset just past the string literal whose opening quote is at `start` (no decoding). */
export function tomlStringEnd(text: string, start: number): number {
  const quote = text[start]!;
  const multiline = text.startsWith(quote.repeat(3), start);
  let i = start + (multiline ? 3 : 1);
  if (quote === '"') {
    // Skip escapes so an escaped quote does not end the string.
    while (i < text.length && !(text[i] === '"' && (!multiline || text.startsWith('"""', i)))) i += text[i] === '\\' ? 2 : 1;
    if (i >= text.length) throw new TomlStringError('unterminated string');
  }
  return findClose(text, i, quote, multiline).end;
}

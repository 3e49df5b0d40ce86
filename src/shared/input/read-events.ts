// Reading events from a file or stdin: NDJSON (one object per line, read line by line so memory
// stays bounded), a JSON array, or an Elasticsearch `.data` file (a JSON array that may contain
// `//` comment lines). The format is detected from the first significant character.
import { closeSync, openSync, readSync } from 'node:fs';
import { isAscii } from 'node:buffer';
import { StringDecoder } from 'node:string_decoder';
import { InputError, LimitError } from '../errors.js';
import { JsonSyntaxError, parseJsonArrayWithOffsets, parseJsonExact } from './json-exact.js';
import { normalizeEvent, type JsonObject } from './normalize.js';

import { captureRecords, isCaptureFile } from './capture-events.js';

/**
 * Skips NDJSON lines that cannot matter (query/line-gate.ts). A slot, so a reader can start
 * before the gate exists: the first events are needed to infer the schema the query is checked
 * against, and the gate comes from the checked query.
 */
export interface LineFilterSlot {
  filter?: {
    mayMatch(text: string, start: number, end: number): boolean;
    skipped: number;
  };
  /** Longest NDJSON line accepted, in characters (default DEFAULT_MAX_LINE_LENGTH). */
  maxLineLength?: number;
  /**
   * Set by the reader when a file's bytes were not all ASCII: a line's offset in characters is
   * then not its offset in bytes (key-index.ts relies on the two being equal).
   */
  nonAscii?: boolean;
}

/** 16 Mi characters: far beyond any real event, small enough that one bad line cannot exhaust memory. */
export const DEFAULT_MAX_LINE_LENGTH = 16 * 1024 * 1024;

/** Whether `text[start, end)` is one `{…}` object as far as its ends show. */
export function framedObject(text: string, start: number, end: number): boolean {
  let s = start;
  let e = end - 1;
  while (s <= e && isSpace(text.charCodeAt(s))) s++;
  while (e >= s && isSpace(text.charCodeAt(e))) e--;
  return s < e && text.charCodeAt(s) === 0x7b && text.charCodeAt(e) === 0x7d;
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
}

export interface InputRecord {
  /** The normalised event (dotted keys expanded). */
  event: JsonObject;
  /** File name as given ('-' for stdin). */
  file: string;
  /** 0-based record index within the file. */
  index: number;
  /** Where the record is, for error messages ("line 3", "record 5 (line 40)"); computed on demand. */
  locate(): RecordLocation;
}

export interface RecordLocation {
  text: string;
  context: Record<string, unknown>;
}

export type InputFormat = 'ndjson' | 'array';

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

function inputError(file: string, message: string, context: Record<string, unknown>): InputError {
  return new InputError('input.bad-record', message, { file, context });
}

/** Opens a file ('-' = the given stdin) as a stream of UTF-8 text chunks. */
async function* textChunks(file: string, stdin: NodeJS.ReadableStream, lines?: LineFilterSlot): AsyncGenerator<string> {
  // 64 KiB reads. Strings V8 makes for a line (and may make while parsing it) can be slices of
  // the read buffer, so an event a query keeps (a partial) can keep its buffer alive: 1 MiB reads
  // saved little time and kept ~130 MB more on a 500k-event query (bench/query.bench.mjs).
  const stream = file === '-' ? stdin : fileChunks(file, 64 * 1024);
  try {
    let first = true;
    // Node's StringDecoder: native, keeps a character split across chunks, twice TextDecoder's speed.
    const decoder = new StringDecoder('utf8');
    for await (const chunk of stream as AsyncIterable<Buffer | string>) {
      if (lines && !lines.nonAscii && (typeof chunk === 'string' || !isAscii(chunk))) lines.nonAscii = true;
      let text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
      if (first && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
      if (text) yield text;
    }
    const rest = decoder.end();
    if (rest) yield rest;
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError('input.unreadable', `cannot read: ${(e as Error).message}`, { file, cause: e });
  }
}

/**
 * A file's bytes in chunks of up to `size`, read synchronously: a query reads as fast as it can
 * use the text, and each of fs.createReadStream's reads went through the libuv pool while this
 * thread waited (~0.3 s of idle in a 4 s query of 580 MB). One buffer serves every read: a chunk
 * is only valid until the next is asked for, which suits textChunks, whose decoder copies the
 * bytes into a string (and keeps a split character) before asking. A fresh buffer per read cost
 * ~0.15 s of page faults per 580 MB.
 */
function* fileChunks(file: string, size: number): Generator<Buffer> {
  const fd = openSync(file, 'r');
  const buffer = Buffer.allocUnsafe(size);
  try {
    for (;;) {
      const n = readSync(fd, buffer, 0, size, null);
      if (n === 0) return;
      yield n === size ? buffer : buffer.subarray(0, n);
    }
  } finally {
    closeSync(fd);
  }
}

/** First significant character, skipping whitespace and `//` comment lines; undefined if none yet. */
function firstSignificant(text: string): string | undefined {
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === ' ' || c === '\t' || c === '\r' || c === '\n') i++;
    else if (text.startsWith('//', i)) {
      const nl = text.indexOf('\n', i);
      if (nl < 0) return undefined;
      i = nl + 1;
    } else return c;
  }
  return undefined;
}

/**
 * Whether `file` (a path, not stdin) reads as NDJSON: its first significant character within the
 * first 64 KiB opens an object. A file that cannot be read says false; reading it reports why.
 */
export async function isNdjsonFile(file: string): Promise<boolean> {
  if (file === '-' || (await isCaptureFile(file).catch(() => true))) return false;
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const head = Buffer.allocUnsafe(64 * 1024);
    const n = readSync(fd, head, 0, head.length, 0);
    let text = head.toString('utf8', 0, n);
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    return firstSignificant(text) === '{';
  } catch {
    return false;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Reads the records of one input, in file order. */
export async function* readRecords(file: string, stdin: NodeJS.ReadableStream = process.stdin, lines: LineFilterSlot = {}): AsyncGenerator<InputRecord> {
  if (await isCaptureFile(file)) {
    yield* captureRecords(file);
    return;
  }
  const chunks = textChunks(file, stdin, lines);
  let head = '';
  let kind: string | undefined;
  // Pull by hand: leaving a for-await loop early would close the generator.
  while (kind === undefined) {
    const next = await chunks.next();
    if (next.done) break;
    head += next.value;
    kind = firstSignificant(head);
  }
  if (kind === undefined) return; // empty input: no events
  if (kind === '[') {
    for await (const chunk of chunks) head += chunk;
    yield* arrayRecords(file, head);
  } else {
    yield* ndjsonRecords(file, head, chunks, lines);
  }
}

async function* ndjsonRecords(file: string, head: string, rest: AsyncGenerator<string>, lines: LineFilterSlot): AsyncGenerator<InputRecord> {
  let buffer = head;
  let line = 0;
  let index = 0;
  const parseLine = (text: string): InputRecord | undefined => {
    line++;
    const r = parseNdjsonLine(file, text, line, index);
    if (r) index++;
    return r;
  };
  const drain = function* (final: boolean): Generator<InputRecord> {
    let start = 0;
    for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n', start)) {
      // A line no filter can match is skipped unparsed (and a damaged one still parsed, so the
      // error names it). The filter may arrive between two yields, so it is read per line.
      const filter = lines.filter;
      if (filter !== undefined && !filter.mayMatch(buffer, start, nl) && framedObject(buffer, start, nl)) {
        line++;
        index++;
        filter.skipped++;
        start = nl + 1;
        continue;
      }
      const r = parseLine(buffer.slice(start, nl));
      start = nl + 1;
      if (r) yield r;
    }
    buffer = buffer.slice(start);
    if (final && buffer.length) {
      const r = parseLine(buffer);
      buffer = '';
      if (r) yield r;
    }
  };
  // A line longer than a chunk is gathered in `pending` and joined once its end arrives, so a
  // long line costs linear time (appending to one string and searching it from the start on every
  // chunk would be quadratic); past the limit it is an error, never unbounded memory.
  const maxLine = lines.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH;
  const pending: string[] = [];
  let pendingLength = 0;
  const tooLong = (): LimitError => {
    const at = line + 1;
    return new LimitError('input.line-too-long', `line ${at} is longer than ${maxLine} characters (the limit; --max-line-length)`, { file, context: { line: at } });
  };
  if (buffer.length > maxLine && buffer.indexOf('\n') < 0) throw tooLong();
  yield* drain(false);
  for await (const chunk of rest) {
    if (chunk.indexOf('\n') < 0) {
      pending.push(chunk);
      pendingLength += chunk.length;
      if (buffer.length + pendingLength > maxLine) throw tooLong();
      continue;
    }
    if (pending.length) {
      buffer += pending.join('');
      pending.length = 0;
      pendingLength = 0;
    }
    // The line that spans the chunk boundary is joined and read on its own; the rest of the chunk
    // is then read where it lies. Appending the chunk to the leftover instead made every buffer a
    // cons string, which V8's regexes (the line gate) search ~4× slower than a flat one.
    const nl = chunk.indexOf('\n');
    if (buffer.length > 0) {
      buffer += chunk.slice(0, nl + 1);
      if (buffer.length - 1 > maxLine) throw tooLong();
      yield* drain(false);
      buffer = chunk.slice(nl + 1);
    } else {
      if (nl > maxLine) throw tooLong();
      buffer = chunk;
    }
    yield* drain(false);
    if (buffer.length > maxLine) throw tooLong();
  }
  if (pending.length) buffer += pending.join('');
  if (buffer.length > maxLine) throw tooLong();
  yield* drain(true);
}

/**
 * One NDJSON line as a record: undefined for a blank or `//` comment line, an input error naming
 * the line for anything but one JSON object. `line` is 1-based, `index` the record's.
 */
export function parseNdjsonLine(file: string, text: string, line: number, index: number): InputRecord | undefined {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed.startsWith('//')) return undefined;
  let value: unknown;
  try {
    value = parseJsonExact(trimmed);
  } catch (e) {
    throw inputError(file, `line ${line}: bad JSON: ${(e as Error).message}`, { line });
  }
  if (!isObject(value)) throw inputError(file, `line ${line}: expected a JSON object per line`, { line });
  let event: JsonObject;
  try {
    event = normalizeEvent(value);
  } catch (e) {
    if (e instanceof LimitError) throw new LimitError(e.code, `line ${line}: ${e.message}`, { file, context: { line } });
    throw e;
  }
  return { event, file, index, locate: () => ({ text: `line ${line}`, context: { line } }) };
}

function* arrayRecords(file: string, raw: string): Generator<InputRecord> {
  // `//` comment lines cannot be inside a JSON string (strings hold no raw newlines); blank them
  // out, keeping the newlines so line numbers stay right.
  const text = raw.replace(/^[ \t]*\/\/.*$/gm, '');
  let values: unknown;
  try {
    values = parseJsonExact(text);
  } catch (e) {
    const offset = e instanceof JsonSyntaxError ? e.offset : undefined;
    const where = offset === undefined ? '' : `line ${lineOf(text, offset)}: `;
    throw inputError(file, `${where}bad JSON: ${(e as Error).message}`, offset === undefined ? {} : { line: lineOf(text, offset) });
  }
  if (!Array.isArray(values)) throw inputError(file, 'expected a JSON array of events', {});
  // Record offsets need the slower parser: only computed when an error must name a line.
  let offsets: number[] | undefined;
  const locate = (i: number): RecordLocation => {
    try {
      offsets ??= parseJsonArrayWithOffsets(text).offsets;
    } catch {
      // The slower parser has its own limits (nesting); without offsets, name the record only.
      return { text: `record ${i}`, context: { record: i } };
    }
    const line = lineOf(text, offsets[i]);
    return { text: `record ${i} (line ${line})`, context: { record: i, line } };
  };
  for (let i = 0; i < values.length; i++) {
    if (!isObject(values[i])) {
      const at = locate(i);
      throw inputError(file, `${at.text}: expected a JSON object`, at.context);
    }
  }
  for (let i = 0; i < values.length; i++) yield { event: normalizeEvent(values[i] as JsonObject), file, index: i, locate: () => locate(i) };
}

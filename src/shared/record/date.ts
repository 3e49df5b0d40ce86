// ECS dates: ISO-8601 UTC text ("2024-05-01T12:00:00.123Z") or epoch milliseconds, stored as i64
// nanoseconds. Parsing avoids BigInt (nanoseconds since 1970 exceed 2^53); the tag remembers the
// input form (fraction digits) so rendering reproduces the input text exactly.
import { writeScaledInt64 } from './int64.js';

/** Largest |milliseconds| whose nanoseconds fit an i64 (year 2262). */
export const MAX_NS_MILLIS = 9_223_372_036_853;

const ISO_UTC = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z$/;

/**
 * Parses ISO-8601 UTC text and writes its nanoseconds at dv[off]. Returns the number of fraction
 * digits (0–9), or -1 if the text is not of that form or would not render back identically.
 */
export function parseIsoToNs(text: string, dv: DataView, off: number): number {
  const m = ISO_UTC.exec(text);
  if (!m) return -1;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = Number(m[6]);
  // Date.UTC normalises out-of-range parts (month 13, second 60) and maps years 0–99 to 19xx;
  // such inputs would not render back the same, so they stay text.
  if (year < 100 || month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return -1;
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  if (new Date(ms).getUTCDate() !== day || Math.abs(ms) > MAX_NS_MILLIS) return -1;
  const frac = m[7] ?? '';
  const fracNs = frac.length === 0 ? 0 : Number(frac.padEnd(9, '0'));
  writeScaledInt64(dv, off, ms / 1000, 1e9, fracNs);
  return frac.length;
}

/** Writes epoch milliseconds as i64 nanoseconds; false when out of the i64 range. */
export function writeMillisAsNs(dv: DataView, off: number, ms: number): boolean {
  if (!Number.isSafeInteger(ms) || Math.abs(ms) > MAX_NS_MILLIS) return false;
  // ms · 10^6 exceeds 2^53: split into seconds and a remainder so the arithmetic stays exact.
  const secs = Math.floor(ms / 1000);
  writeScaledInt64(dv, off, secs, 1e9, (ms - secs * 1000) * 1e6);
  return true;
}

/** Renders nanoseconds since the epoch as ISO-8601 UTC with `digits` fraction digits. */
export function formatNsIso(ns: bigint, digits: number): string {
  let secs = ns / 1_000_000_000n;
  let frac = ns % 1_000_000_000n;
  if (frac < 0n) {
    frac += 1_000_000_000n;
    secs -= 1n;
  }
  const base = new Date(Number(secs) * 1000).toISOString().slice(0, 19);
  if (digits === 0) return `${base}Z`;
  return `${base}.${frac.toString().padStart(9, '0').slice(0, digits)}Z`;
}

// Event time: the `--time-field` value as epoch milliseconds. Accepted: a number or numeric
// string of epoch millis, an ISO-8601 string, or (with unit "filetime") Windows FILETIME, 100 ns
// ticks since 1601-01-01 (as in the Endgame data, which Elasticsearch's loader converts to millis).
import { readPath } from './field-path.js';

export type TimeUnit = 'ms' | 'filetime';

/** FILETIME of 1970-01-01T00:00:00Z. */
const FILETIME_EPOCH = 116444736000000000n;
const NUMERIC = /^-?\d+(\.\d+)?$/;
const NO_ZONE = /T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;

export class TimeFormatError extends Error {}

/** Returns epoch millis, null when the field is absent or null; throws TimeFormatError otherwise. */
export function eventTime(ev: unknown, field: string, unit: TimeUnit): number | null {
  const raw = readPath(ev, field);
  if (raw === undefined || raw === null) return null;
  return toMillis(raw, unit, field);
}

export function toMillis(raw: unknown, unit: TimeUnit, field: string): number {
  if (unit === 'filetime') {
    let ticks: bigint;
    if (typeof raw === 'bigint') ticks = raw;
    else if ((typeof raw === 'number' && Number.isInteger(raw)) || (typeof raw === 'string' && /^\d+$/.test(raw))) ticks = BigInt(raw);
    else throw new TimeFormatError(`${field}: expected FILETIME ticks, got ${JSON.stringify(raw)}`);
    // Integer division in bigint keeps the 18-digit tick counts exact; millis fit a double.
    return Number((ticks - FILETIME_EPOCH) / 10000n);
  }
  if (typeof raw === 'number') return raw;
  if (typeof raw === 'bigint') return Number(raw);
  if (typeof raw === 'string') {
    if (NUMERIC.test(raw)) return Number(raw);
    // ISO-8601 without a zone is UTC for Elasticsearch; Date.parse would read it as local time.
    const t = Date.parse(NO_ZONE.test(raw) ? `${raw}Z` : raw);
    if (!Number.isNaN(t)) return t;
  }
  throw new TimeFormatError(`${field}: not a time (epoch millis or ISO-8601): ${JSON.stringify(raw)}`);
}

// Parsing of numeric options shared by several commands; messages are asserted by tests.
import { UsageError } from '../../shared/errors.js';

export function parsePositiveInt(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UsageError('usage', `${name} must be a positive integer`);
  return n;
}

export function parseWorkers(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 256) throw new UsageError('usage', '--workers must be an integer from 0 to 256');
  return n;
}

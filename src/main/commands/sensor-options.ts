// Options shared by the commands that run the eBPF sensor (record, run); messages are asserted
// by tests.
import type { OptionSpec } from '../command.js';
import { UsageError } from '../../shared/errors.js';

export const SENSOR_OPTIONS: Record<string, OptionSpec> = {
  duration: { type: 'string', arg: 'S', help: 'stop after S seconds (default: until SIGINT/SIGTERM)' },
  'ring-bytes': { type: 'string', arg: 'N', help: 'kernel ring buffer bytes, a power of two (default 8 MiB)' },
};

/** --duration: seconds (fractions allowed), or undefined to run until a signal. */
export function parseDuration(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === 'string' && /^\d+(\.\d+)?$/.test(value) ? Number(value) : NaN;
  if (!(n > 0)) throw new UsageError('usage', '--duration must be a positive number of seconds');
  return n;
}

/** --ring-bytes: what the kernel accepts for a BPF ring buffer. */
export function parseRingBytes(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : NaN;
  if (!(n >= 4096 && n <= 2 ** 30 && (n & (n - 1)) === 0)) throw new UsageError('usage', '--ring-bytes must be a power of two from 4096 to 1073741824');
  return n;
}

// Options shared by the commands that run the eBPF sensor (record, run); messages are asserted
// by tests.
import type { OptionSpec } from '../command.js';
import { UsageError } from '../../shared/errors.js';

export const SENSOR_OPTIONS: Record<string, OptionSpec> = {
  duration: { type: 'string', arg: 'S', help: 'stop after S seconds (default: until SIGINT/SIGTERM)' },
  'ring-bytes': { type: 'string', arg: 'N', help: 'kernel ring buffer bytes, a power of two (default 8 MiB)' },
  'capture-env': { type: 'string', list: true, arg: 'NAME...', help: 'also keep these environment variables in process.env_vars (the rules\' own are always kept)' },
  'watch-reads': { type: 'string', list: true, arg: 'NAME...', help: 'also report read-only opens of files with these names (NAME/ for any file in such a folder)' },
};

/** --capture-env / --watch-reads: names, also comma-separated. */
export function parseNames(value: unknown, flag: string): string[] {
  if (value === undefined) return [];
  const list = (Array.isArray(value) ? value : [value]).flatMap((v) => String(v).split(',')).map((v) => v.trim()).filter((v) => v !== '');
  for (const name of list) {
    if (flag === 'capture-env' && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new UsageError('usage', `--capture-env: "${name}" is not an environment variable name`);
    if (flag === 'watch-reads' && (Buffer.byteLength(name.replace(/\/$/, '')) > 31 || /\/./.test(name) || name === '/')) {
      throw new UsageError('usage', `--watch-reads: "${name}" must be a file name (or a folder name ending in /) of 1 to 31 bytes, not a path`);
    }
  }
  return list;
}

/** The --watch-reads names split into files and folders ("name/"). */
export function watchNames(names: readonly string[]): { watchFiles: string[]; watchDirs: string[] } {
  return { watchFiles: names.filter((n) => !n.endsWith('/')), watchDirs: names.filter((n) => n.endsWith('/')).map((n) => n.slice(0, -1)) };
}

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

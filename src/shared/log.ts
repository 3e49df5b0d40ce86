// Operational logging: pino, JSON lines on stderr (stdout is reserved for results and alerts).
// Level from --log-level, else KESTREL_LOG_LEVEL, else "info".
import { pino, type Logger } from 'pino';

export type { Logger };

const LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

let root: Logger | undefined;

export function resolveLogLevel(flag?: string): string {
  const level = flag ?? process.env.KESTREL_LOG_LEVEL ?? 'info';
  return LEVELS.has(level) ? level : 'info';
}

/** Creates (or re-levels) the process-wide logger. Synchronous writes so nothing is lost on exit. */
export function initLogger(level?: string): Logger {
  const resolved = resolveLogLevel(level);
  if (root) {
    root.level = resolved;
    return root;
  }
  root = pino({ level: resolved, base: { name: 'kestrel' } }, pino.destination({ fd: 2, sync: true }));
  return root;
}

export function logger(): Logger {
  return root ?? initLogger();
}

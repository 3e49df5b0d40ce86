// Every setting a config file may hold, the command-line flag it stands for, how it is checked,
// and what a SIGHUP reload can do with a changed value. One table, so `kestrel config check`, the
// flag merge and the reload all agree — and a setting is never in the file without a flag.
import type { Severity } from '../../shared/rules/model.js';

/** What a running `kestrel run` does when SIGHUP finds the setting changed. */
export type ReloadEffect = 'rules' | 'sinks' | 'caps' | 'log' | 'restart';

export type SettingValue = string | number | boolean | string[] | SinkSetting[];

export interface SinkSetting {
  url: string;
  minSeverity?: Severity;
  /** Other sink options, passed to the sink as URL query parameters (docs/sinks.md). */
  options: Record<string, string>;
}

export type SettingKind =
  | { type: 'int'; min: number; max: number; powerOfTwo?: boolean }
  | { type: 'enum'; values: readonly string[] }
  | { type: 'bool' }
  | { type: 'path' }
  | { type: 'paths' }
  | { type: 'names' }
  | { type: 'address' }
  | { type: 'sinks' };

export interface Setting {
  /** Path in the TOML document. */
  key: string;
  /** The long option it stands for (without --); `invert` for `watch = false` → --no-rules-watch. */
  flag: string;
  invert?: boolean;
  kind: SettingKind;
  reload: ReloadEffect;
  help: string;
}

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;

export const SETTINGS: readonly Setting[] = [
  { key: 'log_level', flag: 'log-level', kind: { type: 'enum', values: LOG_LEVELS }, reload: 'log', help: 'log level of the JSON logs on stderr' },
  { key: 'workers', flag: 'workers', kind: { type: 'int', min: 0, max: 256 }, reload: 'restart', help: 'partition workers; 0 = single thread' },
  { key: 'engine', flag: 'engine', kind: { type: 'enum', values: ['wasm', 'interp'] }, reload: 'restart', help: 'predicate evaluation' },
  { key: 'progress', flag: 'progress', kind: { type: 'bool' }, reload: 'restart', help: 'progress bar on stderr (replay); default: only on a terminal' },
  { key: 'rules.paths', flag: 'rules', kind: { type: 'paths' }, reload: 'rules', help: 'rule files or folders' },
  { key: 'rules.watch', flag: 'no-rules-watch', invert: true, kind: { type: 'bool' }, reload: 'restart', help: 'reload when files under the rule paths change (default true)' },
  { key: 'caps.max_partials', flag: 'max-partials', kind: { type: 'int', min: 1, max: 2 ** 31 }, reload: 'caps', help: 'live sequence partials per rule and partition' },
  { key: 'caps.max_partials_per_key', flag: 'max-partials-per-key', kind: { type: 'int', min: 1, max: 2 ** 31 }, reload: 'caps', help: 'live partials per join key of a rule' },
  { key: 'caps.max_partials_total', flag: 'max-partials-total', kind: { type: 'int', min: 1, max: 2 ** 31 }, reload: 'caps', help: 'live partials of all rules per partition' },
  { key: 'sensor.capture_env_vars', flag: 'capture-env', kind: { type: 'names' }, reload: 'restart', help: 'environment variables kept in process.env_vars, besides the ones the rules read' },
  { key: 'sensor.watch_reads', flag: 'watch-reads', kind: { type: 'names' }, reload: 'restart', help: 'file names (folder names end in /) whose read-only opens are events, besides the ones the rules name' },
  { key: 'sensor.ring_bytes', flag: 'ring-bytes', kind: { type: 'int', min: 4096, max: 2 ** 30, powerOfTwo: true }, reload: 'restart', help: 'kernel ring buffer bytes (power of two)' },
  { key: 'response.mode', flag: 'response', kind: { type: 'enum', values: ['off', 'dry-run', 'enforce'] }, reload: 'restart', help: 'response actions of Endpoint rules (kill_process): off, dry-run (default) or enforce' },
  { key: 'response.allow', flag: 'response-allow', kind: { type: 'names' }, reload: 'restart', help: 'executables (wildcards allowed) no response action ever touches' },
  { key: 'response.max_per_minute', flag: 'response-max-per-minute', kind: { type: 'int', min: 1, max: 100000 }, reload: 'restart', help: 'response actions per rule per minute (default 10)' },
  { key: 'output.file', flag: 'output', kind: { type: 'path' }, reload: 'restart', help: 'append alerts to this file instead of stdout' },
  { key: 'output.record', flag: 'record', kind: { type: 'path' }, reload: 'restart', help: 'also record every event to this capture (run)' },
  { key: 'sinks', flag: 'sink', kind: { type: 'sinks' }, reload: 'sinks', help: 'alert sinks ([[sinks]] tables with url, min_severity, options)' },
  { key: 'spool.dir', flag: 'spool-dir', kind: { type: 'path' }, reload: 'restart', help: 'where network sinks spool undelivered alerts' },
  { key: 'metrics.listen', flag: 'metrics', kind: { type: 'address' }, reload: 'restart', help: 'HOST:PORT serving /metrics, /healthz, /readyz' },
];

export const SETTING_BY_KEY = new Map(SETTINGS.map((s) => [s.key, s]));
/** Tables that only group settings (a `[caps]` header is fine; `caps = 3` is not). */
export const SETTING_TABLES = new Set(SETTINGS.flatMap((s) => (s.key.includes('.') ? [s.key.slice(0, s.key.lastIndexOf('.'))] : [])));

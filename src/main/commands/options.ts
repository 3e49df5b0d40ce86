// Parsing of numeric options shared by several commands; messages are asserted by tests.
import { UsageError } from '../../shared/errors.js';
import { DEFAULT_PREDICATE_ENGINE, type PredicateEngine } from '../../shared/eql/codegen/ruleset.js';
import { DEFAULT_MAX_PARTIALS_PER_KEY, DEFAULT_MAX_PARTIALS_PER_RULE, DEFAULT_MAX_PARTIALS_TOTAL } from '../../shared/engine/partial-budget.js';

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

/** `--engine wasm|interp`: how rule predicates are evaluated (undefined = the default). */
export function parseEngine(value: string | undefined): PredicateEngine | undefined {
  if (value === undefined) return undefined;
  if (value !== 'wasm' && value !== 'interp') throw new UsageError('usage', '--engine must be wasm or interp');
  return value;
}

/** The option definition commands that run rules share. */
export const ENGINE_OPTION = { type: 'string', arg: 'NAME', help: `predicate evaluation: wasm (one module call per batch) or interp (default: ${DEFAULT_PREDICATE_ENGINE})` } as const;

/**
 * Memory caps on sequence state, the same options for every command that runs rules (run,
 * replay, query): a flood of distinct join keys evicts the oldest partials instead of growing
 * without bound, and the evictions are reported.
 */
export const CAPS_OPTIONS = {
  'max-partials': { type: 'string', arg: 'N', help: `live sequence partials per rule (and partition; default ${DEFAULT_MAX_PARTIALS_PER_RULE})` },
  'max-partials-per-key': { type: 'string', arg: 'N', help: `live partials per join key of a rule (default ${DEFAULT_MAX_PARTIALS_PER_KEY})` },
  'max-partials-total': { type: 'string', arg: 'N', help: `live partials of all rules (per partition; default ${DEFAULT_MAX_PARTIALS_TOTAL})` },
} as const;

export interface Caps {
  maxPartialsPerRule: number;
  maxPartialsPerKey: number;
  maxPartialsTotal: number;
}

export function parseCaps(values: Record<string, unknown>): Caps {
  return {
    maxPartialsPerRule: parsePositiveInt('--max-partials', values['max-partials'] as string | undefined, DEFAULT_MAX_PARTIALS_PER_RULE),
    maxPartialsPerKey: parsePositiveInt('--max-partials-per-key', values['max-partials-per-key'] as string | undefined, DEFAULT_MAX_PARTIALS_PER_KEY),
    maxPartialsTotal: parsePositiveInt('--max-partials-total', values['max-partials-total'] as string | undefined, DEFAULT_MAX_PARTIALS_TOTAL),
  };
}

/** The stderr warning when caps evicted partials: evictions change results, so never only a counter. */
export function evictionWarning(ev: { perKey: number; perRule: number; total: number }): string | undefined {
  if (ev.perKey + ev.perRule + ev.total === 0) return undefined;
  return (
    `kestrel: warning: memory caps evicted sequence partials (per key ${ev.perKey}, per rule ${ev.perRule}, per partition ${ev.total}); ` +
    'sequences that needed them were not matched\n'
  );
}

/** `--config FILE`: settings for run/replay from a TOML file (config/settings.ts); flags win. */
export const CONFIG_OPTION = { config: { type: 'string', arg: 'FILE', help: 'read settings from a TOML config file (flags given here win; kestrel config check FILE)' } } as const;

/** Alert destinations beside (or instead of) stdout/--output; docs/sinks.md. */
export const SINK_OPTIONS = {
  sink: { type: 'string', list: true, arg: 'URL...', help: 'send alerts to URL (repeatable): stdout, file:PATH, http(s)://…, redis://HOST:PORT/STREAM, nats://HOST:PORT/SUBJECT; with --sink, stdout gets alerts only as --sink stdout' },
  'spool-dir': { type: 'string', arg: 'DIR', help: 'where network sinks spool undelivered alerts (default $XDG_STATE_HOME/kestrel/spool or ~/.local/state/kestrel/spool)' },
} as const;

export const METRICS_OPTION = {
  metrics: { type: 'string', arg: 'HOST:PORT', help: 'serve Prometheus /metrics, /healthz and /readyz on HOST:PORT (port 0: any free port, printed on stderr)' },
} as const;

// Parsing of numeric options shared by several commands; messages are asserted by tests.
import { UsageError } from '../../shared/errors.js';
import { DEFAULT_PREDICATE_ENGINE, type PredicateEngine } from '../../shared/eql/codegen/ruleset.js';

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

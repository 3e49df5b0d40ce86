// One rule's query, from text to something the engine can run: parse → check against a schema →
// compile to closures. Errors keep the query span; callers map it into the rule file.
import { parseQuery } from '../eql/parser.js';
import { checkQuery } from '../eql/checker.js';
import { compileQuery, type CompileOptions } from '../eql/compile.js';
import type { CheckedQuery } from '../eql/ir.js';
import type { CompiledQuery } from '../engine/compiled.js';
import type { Schema } from '../schema/types.js';
import { InternalError, KestrelError } from '../errors.js';
import type { RuleSource } from './model.js';

export type RuleCheck = { ok: true; rule: RuleSource; checked: CheckedQuery } | { ok: false; rule: RuleSource; error: KestrelError };

export interface RuleCheckOptions {
  schema: Schema;
  categoryField?: string;
}

/** Parses and checks a rule; never throws for a bad rule (the error is in the result). */
export function checkRule(rule: RuleSource, opts: RuleCheckOptions): RuleCheck {
  try {
    const ast = parseQuery(rule.query);
    // Elastic Endpoint runs EQL on the host with null semantics for missing fields (no query
    // push-down), and compares keyword ids with numbers (docs/eql.md, "Dialects").
    const endpoint = rule.dialect === 'endpoint';
    const checked = checkQuery(ast, {
      schema: opts.schema, categoryField: opts.categoryField, source: rule.query,
      ...(endpoint && { missingFields: 'null' as const, dialect: 'endpoint' as const }),
    });
    return { ok: true, rule, checked };
  } catch (e) {
    const error = e instanceof KestrelError ? e : new InternalError('internal', (e as Error)?.message ?? String(e), { cause: e });
    error.ruleId ??= rule.id;
    error.file ??= rule.file;
    return { ok: false, rule, error };
  }
}

/**
 * Checks one caller made that a later caller on the same thread would repeat: main checks every rule
 * to report the bad ones (load-rules.ts), then the single-thread pipeline checks the good ones
 * again to compile them (pipeline/ruleset.ts), ~50 ms for the Elastic corpus. Each check is handed
 * over once and then forgotten, so no two pipelines ever share one rule's IR, and a new hand-over
 * for a schema replaces what the last one left untaken (a reload never accumulates rulesets).
 */
export class CheckHandOver {
  private static readonly bySchema = new WeakMap<Schema, Map<string, CheckedQuery>>();

  /** Starts a hand-over of checks against `schema`, dropping any earlier one not taken. */
  static begin(schema: Schema): Map<string, CheckedQuery> {
    const checks = new Map<string, CheckedQuery>();
    CheckHandOver.bySchema.set(schema, checks);
    return checks;
  }

  /** The handed-over check of `rule` against `schema`, removed as it is taken. */
  static take(schema: Schema, rule: Pick<RuleSource, 'query' | 'dialect'>): CheckedQuery | undefined {
    const checks = CheckHandOver.bySchema.get(schema);
    if (checks === undefined) return undefined;
    const key = CheckHandOver.key(rule);
    const checked = checks.get(key);
    if (checked !== undefined) checks.delete(key);
    return checked;
  }

  /** The handed-over check of `rule`, left in place for its taker (a copy goes to a helper thread). */
  static peek(schema: Schema, rule: Pick<RuleSource, 'query' | 'dialect'>): CheckedQuery | undefined {
    return CheckHandOver.bySchema.get(schema)?.get(CheckHandOver.key(rule));
  }

  /** What a check depends on besides the schema: the query text and its dialect. */
  static key(rule: Pick<RuleSource, 'query' | 'dialect'>): string {
    return `${rule.dialect ?? ''}\0${rule.query}`;
  }
}

export function compileRule(check: Extract<RuleCheck, { ok: true }>, opts: CompileOptions = {}): CompiledQuery {
  return compileQuery(check.checked, opts);
}

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

export function compileRule(check: Extract<RuleCheck, { ok: true }>, opts: CompileOptions = {}): CompiledQuery {
  return compileQuery(check.checked, opts);
}

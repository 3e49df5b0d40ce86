// A ruleset as the detection pipeline ships it to workers (plain, structured-clonable data) and
// how each side turns it into engines. Main and every worker compile the same specs against the
// same schema, so they agree on every key expression and predicate.
import type { EqlDialect, RuleAction, RuleSource } from '../rules/model.js';
import { CheckHandOver, checkRule } from '../rules/compile-rule.js';
import { compileQuery } from '../eql/compile.js';
import { ecsLinuxSchema } from '../schema/ecs-linux.js';
import { combineSchemas, type BuiltSchema } from '../schema/schema.js';
import type { RecordLayout } from '../record/layout.js';
import type { CompiledQuery } from '../engine/compiled.js';
import type { CheckedFilter, CheckedQuery } from '../eql/ir.js';
import { recordFieldAccessor } from '../eql/record-access.js';
import { InternalError } from '../errors.js';

export interface RuleSpec {
  id: string;
  name: string;
  description: string;
  severity: string;
  riskScore: number;
  version: number;
  tags: string[];
  threat: unknown[];
  language: string;
  query: string;
  file: string;
  /** A Wasm user rule's module (language "wasm"; query is empty). */
  module?: Uint8Array;
  /** EQL dialect (default Elasticsearch's). */
  dialect?: EqlDialect;
  /** Endpoint behaviour rules: response actions, and the version as written. */
  actions?: RuleAction[];
  versionText?: string;
}

export function ruleSpecOf(r: RuleSource): RuleSpec {
  return {
    id: r.id, name: r.name, description: r.description, severity: r.severity, riskScore: r.riskScore,
    version: r.version, tags: r.tags, threat: r.threat, language: r.language, query: r.query, file: r.file,
    ...(r.dialect && { dialect: r.dialect }),
    ...(r.actions?.length && { actions: r.actions }),
    ...(r.versionText && { versionText: r.versionText }),
  };
}

/**
 * The schema rules are checked against for data laid out by `dataSchema`: ECS types win (rules are
 * written for ECS), the data's own fields fill in the rest. ECS data itself is checked strictly.
 */
export function checkSchemaFor(dataSchema: BuiltSchema): BuiltSchema {
  const ecs = ecsLinuxSchema();
  if (dataSchema.name === ecs.name) return ecs;
  return combineSchemas(ecs, dataSchema, { name: `ecs-linux + ${dataSchema.name}`, strict: false });
}

export interface CompiledRule {
  checked: CheckedQuery;
  compiled: CompiledQuery;
}

/** Checks specs that are known to check (main filtered them); a failure here is a bug. */
export function checkRuleset(specs: readonly RuleSpec[], checkSchema: BuiltSchema): CheckedQuery[] {
  return specs.map((spec) => {
    const handed = CheckHandOver.take(checkSchema, spec);
    if (handed !== undefined) return handed;
    const check = checkRule(asSource(spec), { schema: checkSchema });
    if (!check.ok) throw new InternalError('pipeline.rule', `rule ${spec.id} did not compile in a worker: ${check.error.message}`);
    return check.checked;
  });
}

/**
 * The step filters (predicateFilters) of specs whose checks were all handed over and not yet
 * taken, without taking them; undefined when one was not (the caller checks them itself).
 */
export function handedOverFilters(specs: readonly RuleSpec[], checkSchema: BuiltSchema): CheckedFilter[] | undefined {
  const checked: CheckedQuery[] = [];
  for (const spec of specs) {
    const c = CheckHandOver.peek(checkSchema, spec);
    if (c === undefined) return undefined;
    checked.push(c);
  }
  return predicateFilters(checked);
}

/** Checks and compiles specs that are known to check (see checkRuleset). */
export function compileRuleset(specs: readonly RuleSpec[], layout: RecordLayout, checkSchema: BuiltSchema): CompiledRule[] {
  const accessor = recordFieldAccessor(layout);
  return checkRuleset(specs, checkSchema).map((checked) => ({ checked, compiled: compileQuery(checked, { accessor }) }));
}

/**
 * Every step (and until) filter of a ruleset, rule by rule: the order of predicate ids, which the
 * thread that builds the predicate module and the threads that run it must agree on.
 */
export function predicateFilters(rules: readonly CheckedQuery[]): CheckedFilter[] {
  return rules.flatMap((r) => [...r.steps, ...(r.until ? [r.until] : [])].map((s) => s.filter));
}

/** A spec back as a rule source (the checker's input); positions are the query's own. */
export function asSource(spec: RuleSpec): RuleSource {
  return { ...spec, severity: spec.severity as RuleSource['severity'], threat: spec.threat as RuleSource['threat'], type: 'eql', queryBase: { offset: 0, line: 1, col: 1 }, format: 'eql' };
}

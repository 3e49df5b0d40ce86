// Loads and checks rules for a run over data of a given schema. Bad rules are reported (file:line:col,
// carets) and left out; the rest run — one broken rule never stops detection.
import type { CommandContext } from '../command.js';
import { loadRules } from '../../shared/rules/index.js';
import { checkRule } from '../../shared/rules/compile-rule.js';
import { checkSchemaFor, ruleSpecOf, type RuleSpec } from '../../shared/pipeline/ruleset.js';
import type { BuiltSchema } from '../../shared/schema/schema.js';
import { problemOf, problemOfRule, renderProblem } from '../rule-problems.js';
import { InputError } from '../../shared/errors.js';

export interface CheckedRules {
  specs: RuleSpec[];
  failed: number;
  skipped: number;
}

export async function loadCheckedRules(paths: readonly string[], dataSchema: BuiltSchema, ctx: Pick<CommandContext, 'err'>): Promise<CheckedRules> {
  const loaded = await loadRules(paths);
  const schema = checkSchemaFor(dataSchema);
  let failed = 0;
  for (const e of loaded.errors) {
    ctx.err.write(renderProblem(problemOf(e)) + '\n');
    failed++;
  }
  const specs: RuleSpec[] = [];
  for (const rule of loaded.rules) {
    const res = checkRule(rule, { schema });
    if (res.ok) specs.push(ruleSpecOf(rule));
    else {
      ctx.err.write(renderProblem(problemOfRule(rule, res.error)) + '\n');
      failed++;
    }
  }
  if (failed > 0) ctx.err.write(`${failed} rule(s) left out; ${specs.length} loaded\n`);
  if (specs.length === 0) throw new InputError('rules.none', `no usable rules in ${paths.join(', ')}`);
  return { specs, failed, skipped: loaded.skipped.length };
}

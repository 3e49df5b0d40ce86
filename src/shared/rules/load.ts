// loadRules: named files and folders in, rules / skipped files / errors out. One bad file never
// stops the others: every problem is collected so `kestrel check` can report all of them at once.
// Sync reads: a rule file is small and a folder has hundreds of them; one libuv round trip per
// file costs more than the read itself (check's cold start is what users wait for).
import { readFileSync } from 'node:fs';
import { EqlSemanticError, type KestrelError } from '../errors.js';
import { readEqlRule } from './eql-rule.js';
import type { LoadRulesResult, RuleFileOutcome, RuleSource, SkippedRule } from './model.js';
import { readTomlRule } from './toml-rule.js';
import { findRuleFiles, fsError, type RuleFileRef } from './walk.js';

/**
 * Rules already read from files with the same text (main/cache/rule-files.ts keeps them on disk):
 * a file's RuleSource depends only on its reference and text, so a memo hit skips the TOML parse.
 */
export interface RuleFileMemo {
  get(ref: RuleFileRef, text: string): RuleSource | undefined;
  put(ref: RuleFileRef, text: string, rule: RuleSource): void;
}

export async function loadRules(paths: readonly string[], memo?: RuleFileMemo): Promise<LoadRulesResult> {
  const { files, modules, errors } = await findRuleFiles(paths);
  const rules: RuleSource[] = [];
  const skipped: SkippedRule[] = [];
  const byId = new Map<string, RuleSource>();
  for (const ref of files) {
    const outcome = readRuleFile(ref, memo);
    if (outcome.kind === 'skipped') {
      skipped.push(outcome.skipped);
    } else if (outcome.kind === 'error') {
      errors.push(outcome.error);
    } else {
      const rule = outcome.rule;
      const first = byId.get(rule.id);
      if (first) {
        // The first file in load order keeps the id, so the outcome does not depend on which is "right".
        errors.push(duplicateIdError(rule, first));
        continue;
      }
      byId.set(rule.id, rule);
      rules.push(rule);
    }
  }
  return { rules, skipped, errors, modules };
}

function readRuleFile(ref: RuleFileRef, memo: RuleFileMemo | undefined): RuleFileOutcome {
  let text: string;
  try {
    text = readFileSync(ref.file, 'utf8');
  } catch (e) {
    return { kind: 'error', error: fsError(ref.file, e) };
  }
  const known = memo?.get(ref, text);
  if (known) return { kind: 'rule', rule: known };
  const outcome = ref.format === 'toml' ? readTomlRule(ref.file, text) : readEqlRule(ref.file, text, ref.derivedId, ref.stem);
  // Only rules are remembered: a skipped or broken file is read (and reported) again each time.
  if (outcome.kind === 'rule') memo?.put(ref, text, outcome.rule);
  return outcome;
}

function duplicateIdError(rule: RuleSource, first: RuleSource): KestrelError {
  return new EqlSemanticError('rules.duplicate_id', `duplicate rule id "${rule.id}": also used by ${first.file}; this file's rule is not loaded`, {
    file: rule.file,
    ruleId: rule.id,
    context: { firstFile: first.file },
  });
}

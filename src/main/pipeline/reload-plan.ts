// What a rule reload runs next, so that a reload never weakens detection.
//
// A rule whose new text fails to load or check keeps its previous version (it is still detecting
// what it detected before; the error is reported with file:line:col). A file that fails before it
// even names its rules (a TOML syntax error) keeps every previous rule that came from it. New
// rules are added, changed ones replaced, and rules whose file no longer holds them are removed.
// The result is a per-rule diff, logged with the ruleset generation it starts.
import type { RuleSpec } from '../../shared/pipeline/ruleset.js';
import type { RuleFailure } from './load-rules.js';

export interface ReloadPlan {
  /** The rules of the next generation, in load order (new ones, then kept old versions). */
  specs: RuleSpec[];
  added: string[];
  changed: string[];
  /** Rules whose new text fails: their previous version stays in force. */
  keptOld: string[];
  removed: string[];
  unchanged: number;
  /** Rules that fail and had no previous version: not running. */
  failedNew: string[];
}

export function planReload(previous: readonly RuleSpec[], fresh: { specs: readonly RuleSpec[]; failures: readonly RuleFailure[] }): ReloadPlan {
  const before = new Map(previous.map((r) => [r.id, r]));
  const failedIds = new Set(fresh.failures.flatMap((f) => (f.id === undefined ? [] : [f.id])));
  // Files that failed as a whole: nothing in them could be read, so none of their rules is known.
  const failedFiles = new Set(fresh.failures.filter((f) => f.id === undefined).map((f) => f.file));
  const plan: ReloadPlan = { specs: [], added: [], changed: [], keptOld: [], removed: [], unchanged: 0, failedNew: [] };
  const taken = new Set<string>();
  for (const r of fresh.specs) {
    const old = before.get(r.id);
    if (old === undefined) plan.added.push(label(r));
    else if (sameRule(old, r)) plan.unchanged++;
    else plan.changed.push(label(r));
    plan.specs.push(r);
    taken.add(r.id);
  }
  for (const id of failedIds) {
    if (taken.has(id)) continue;
    const old = before.get(id);
    if (old === undefined) {
      plan.failedNew.push(id);
      continue;
    }
    plan.specs.push(old);
    plan.keptOld.push(label(old));
    taken.add(id);
  }
  for (const old of previous) {
    if (taken.has(old.id)) continue;
    if (failedFiles.has(old.file)) {
      plan.specs.push(old);
      plan.keptOld.push(label(old));
      taken.add(old.id);
    } else {
      plan.removed.push(label(old));
    }
  }
  return plan;
}

function label(r: RuleSpec): string {
  return `${r.name} (${r.id})`;
}

function sameRule(a: RuleSpec, b: RuleSpec): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** One line per kind of change, for stderr. */
export function describeReload(plan: ReloadPlan, generation: number): string {
  const part = (what: string, list: readonly string[]) => (list.length ? `\n  ${what} ${list.length}: ${list.join(', ')}` : '');
  return (
    `reload: ruleset generation ${generation}, ${plan.specs.length} rule(s) running ` +
    `(${plan.added.length} added, ${plan.changed.length} changed, ${plan.keptOld.length} kept at their previous version, ${plan.removed.length} removed, ${plan.unchanged} unchanged)` +
    part('added', plan.added) +
    part('changed', plan.changed) +
    part('kept previous version (new text fails, see above)', plan.keptOld) +
    part('removed', plan.removed) +
    part('not loaded (fails, no previous version)', plan.failedNew)
  );
}

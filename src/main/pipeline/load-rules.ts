// Loads and checks rules for a run over data of a given schema. Bad rules are reported (file:line:col,
// carets) and left out; the rest run — one broken rule never stops detection.
import type { CommandContext } from '../command.js';
import { loadRules } from '../../shared/rules/index.js';
import { CheckHandOver, checkRule } from '../../shared/rules/compile-rule.js';
import type { CheckedQuery } from '../../shared/eql/ir.js';
import { checkSchemaFor, ruleSpecOf, type RuleSpec } from '../../shared/pipeline/ruleset.js';
import type { BuiltSchema } from '../../shared/schema/schema.js';
import { problemOf, problemOfRule, renderProblem } from '../rule-problems.js';
import { InputError } from '../../shared/errors.js';
import { readStoredChecks, storeChecks, storedChecksKey } from '../cache/checked-rules.js';
import { DiskRuleFileMemo } from '../cache/rule-files.js';
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { WASM_LANGUAGE } from './user-rule-spec.js';

export interface CheckedRules {
  specs: RuleSpec[];
  failed: number;
  skipped: number;
  /** What failed: the file, and the rule id when the file got far enough to name one. */
  failures: RuleFailure[];
}

export interface RuleFailure {
  file: string;
  id?: string;
}

export interface LoadCheckedOptions {
  /** Return an empty set instead of failing when no rule is usable (a reload keeps older versions). */
  allowNone?: boolean;
  /**
   * Called with the loaded rules (query and dialect), in order, before they are checked (to
   * prefetch work). It may return a feeder, then given each rule's check in the same order (null
   * for a rule that fails) as soon as it is made, and told when checking ends (even by an error).
   */
  onLoaded?: (rules: readonly Pick<RuleSpec, 'query' | 'dialect'>[]) => RuleCheckFeeder | void;
  /**
   * Called before the rule files are read when nothing is remembered of these rule paths (no
   * rule-files cache entry, or no cache): a cold start is then all but certain, and a thread that
   * will build the predicate module can start while the files are read.
   */
  onLikelyCold?: () => void;
}

/** A Wasm user rule as a rule of the ruleset: named after its file, its module carried along. */
function userRuleSpec(file: string, id: string, module: Uint8Array): RuleSpec {
  const name = basename(file, '.wasm');
  return {
    id, name, description: `Wasm user rule ${file}`, severity: 'medium', riskScore: 47, version: 1,
    tags: ['Kestrel: Wasm user rule'], threat: [], language: WASM_LANGUAGE, query: '', file, module,
  };
}

/** Takes each rule's check as it is made (PredicateModulePool.stream's StreamFeeder). */
export interface RuleCheckFeeder {
  checked(checked: CheckedQuery | null): void;
  end(): void;
}

const YIELD_EVERY_RULES = 32;

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export async function loadCheckedRules(
  paths: readonly string[],
  dataSchema: BuiltSchema,
  ctx: Pick<CommandContext, 'err'>,
  opts: LoadCheckedOptions = {},
): Promise<CheckedRules> {
  const memo = DiskRuleFileMemo.open(paths);
  if (memo === undefined || memo.storedFiles === 0) opts.onLikelyCold?.();
  const loaded = await loadRules(paths, memo);
  memo?.save();
  const feed = opts.onLoaded?.(loaded.rules) ?? undefined;
  const schema = checkSchemaFor(dataSchema);
  let failed = 0;
  const failures: RuleFailure[] = [];
  for (const e of loaded.errors) {
    ctx.err.write(renderProblem(problemOf(e)) + '\n');
    failures.push({ file: e.file ?? '?', ...(e.ruleId !== undefined && { id: e.ruleId }) });
    failed++;
  }
  const specs: RuleSpec[] = [];
  // Checks from an earlier run of these exact rules against this schema, if stored (cache/checked-rules.ts).
  const key = storedChecksKey(loaded.rules, schema);
  const stored = key === undefined ? undefined : readStoredChecks(key, loaded.rules.length);
  const checks: (CheckedQuery | null)[] = [];
  // The single-thread pipeline that runs these rules next takes these checks instead of repeating them.
  const handOver = CheckHandOver.begin(schema);
  try {
    for (let i = 0; i < loaded.rules.length; i++) {
      // Checking the corpus cold takes ~0.6 s. Yielding now and then lets the build thread that
      // onLoaded started finish its start-up handshake (piscina's messages need this thread's
      // event loop), so it generates each batch of checked rules while the next are checked.
      if (i % YIELD_EVERY_RULES === YIELD_EVERY_RULES - 1) await yieldToEventLoop();
      const rule = loaded.rules[i]!;
      const known = stored?.[i];
      // A rule that failed is checked again: its error is reported every run.
      const res = known ? ({ ok: true, rule, checked: known } as const) : checkRule(rule, { schema });
      feed?.checked(res.ok ? res.checked : null);
      checks.push(res.ok ? res.checked : null);
      if (res.ok) {
        specs.push(ruleSpecOf(rule));
        handOver.set(CheckHandOver.key(rule), res.checked);
      } else {
        ctx.err.write(renderProblem(problemOfRule(rule, res.error)) + '\n');
        failures.push({ file: rule.file, id: rule.id });
        failed++;
      }
    }
  } finally {
    feed?.end();
  }
  if (key !== undefined && stored === undefined) storeChecks(key, checks);
  // Wasm user rules, named directly or found in the folders: validated here (imports, exports,
  // memory) so a bad module is reported like a bad rule; the sandbox is built by the pipeline.
  // The validator is loaded only when there are modules to validate.
  const wasm = loaded.modules.length ? await Promise.all([import('../../shared/wasm/validate.js'), import('../../shared/wasm/rule-abi.js')]) : undefined;
  for (const file of loaded.modules) {
    const [{ validateRuleModule }, { USER_RULE_ABI }] = wasm!;
    const id = `wasm:${basename(file, '.wasm')}`;
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await readFile(file));
    } catch (e) {
      ctx.err.write(renderProblem(problemOf(new InputError('rules.read', `cannot read rule module: ${(e as Error).message}`, { file }))) + '\n');
      failures.push({ file, id });
      failed++;
      continue;
    }
    const report = validateRuleModule(bytes, USER_RULE_ABI);
    if (!report.ok) {
      const detail = report.errors.map((i) => (i.offset === undefined ? i.message : `${i.message} (byte ${i.offset})`)).join('; ');
      ctx.err.write(renderProblem(problemOf(new InputError('wasm.invalid', `not a valid ${USER_RULE_ABI.name} module: ${detail}`, { file }))) + '\n');
      failures.push({ file, id });
      failed++;
      continue;
    }
    specs.push(userRuleSpec(file, id, bytes));
  }
  if (failed > 0) ctx.err.write(`${failed} rule(s) left out; ${specs.length} loaded\n`);
  if (specs.length === 0 && !opts.allowNone) throw new InputError('rules.none', `no usable rules in ${paths.join(', ')}`);
  return { specs, failed, skipped: loaded.skipped.length, failures };
}

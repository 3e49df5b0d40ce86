// `kestrel check PATH…`: loads rule files and folders, parses and checks every EQL rule against the
// schema, prints each problem at its place in the file, and a summary. Exit 0 when every rule is
// fine, 1 otherwise — a skipped rule (not EQL) is never counted as fine: it fails the check unless
// --allow-skipped says skipping is expected (a folder mixing EQL with KQL or ML rules).
import type { Command } from '../command.js';
import { loadRules } from '../../shared/rules/index.js';
import type { RuleSource } from '../../shared/rules/model.js';
import { checkRule } from '../../shared/rules/compile-rule.js';
import { ecsLinuxSchema } from '../../shared/schema/ecs-linux.js';
import { ExitCode, InputError, UsageError } from '../../shared/errors.js';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { validateRuleModule } from '../../shared/wasm/validate.js';
import { USER_RULE_ABI } from '../../shared/wasm/rule-abi.js';
import { problemOf, problemOfRule, renderProblem, type Problem } from '../rule-problems.js';

export const checkCommand: Command = {
  name: 'check',
  summary: 'parse and check EQL rules (Elastic TOML or .eql files and folders)',
  usage: '[options] PATH...',
  description: `Checks every rule against the ECS Linux schema: syntax, unknown fields (allowed with ?field),
types, functions, sequence rules. Elastic detection-rule TOML is EQL in Elasticsearch's dialect;
Endpoint behaviour-rule TOML (protections-artifacts) in Elastic Endpoint's. Non-EQL rules (kuery,
esql, ML …) are listed as skipped, and make the check fail unless --allow-skipped. A PATH
ending in .wasm, and every .wasm file in a folder, is a user rule module: it is validated against
the user rule ABI.`,
  options: {
    format: { type: 'string', arg: 'text|json', help: 'output format (default text)' },
    quiet: { type: 'boolean', short: 'q', help: 'print only problems and the summary line' },
    'allow-skipped': { type: 'boolean', help: 'exit 0 even when some rules were skipped (not EQL)' },
  },
  async run(args, ctx) {
    const format = (args.values.format as string | undefined) ?? 'text';
    if (format !== 'text' && format !== 'json') throw new UsageError('usage', '--format must be text or json');
    if (args.positionals.length === 0) throw new UsageError('usage', 'check needs at least one rule file or folder');

    const started = process.hrtime.bigint();
    const modulePaths = args.positionals.filter((p) => p.endsWith('.wasm'));
    const rulePaths = args.positionals.filter((p) => !p.endsWith('.wasm'));
    const loaded = rulePaths.length ? await loadRules(rulePaths) : { rules: [], errors: [], skipped: [], modules: [] };
    const schema = ecsLinuxSchema();
    const problems: Problem[] = loaded.errors.map((error) => problemOf(error));
    // A module named directly and reached in a folder as well is checked once.
    const named = new Set(modulePaths.map((p) => resolve(p)));
    const okModules = await checkModules([...modulePaths, ...loaded.modules.filter((m) => !named.has(resolve(m)))], problems);
    const ok: RuleSource[] = [];
    for (const rule of loaded.rules) {
      const res = checkRule(rule, { schema });
      if (res.ok) ok.push(rule);
      else problems.push(problemOfRule(rule, res.error));
    }
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    const skippedByReason = new Map<string, number>();
    for (const s of loaded.skipped) skippedByReason.set(s.reason, (skippedByReason.get(s.reason) ?? 0) + 1);

    if (format === 'json') {
      ctx.out.write(
        JSON.stringify({
          ok: ok.length + okModules,
          failed: problems.length,
          skipped: loaded.skipped.length,
          skippedByReason: Object.fromEntries(skippedByReason),
          problems: problems.map((p) => ({ file: p.file, ruleId: p.ruleId, line: p.line, col: p.col, ...p.error.toJSON() })),
          skippedRules: loaded.skipped,
          elapsedMs: Math.round(elapsedMs),
        }) + '\n',
      );
    } else {
      for (const p of problems) {
        ctx.out.write(renderProblem(p) + '\n\n');
      }
      if (!args.values.quiet) for (const s of loaded.skipped) ctx.out.write(`skipped ${s.file}${s.ruleId ? ` (${s.ruleId})` : ''}: ${s.reason}\n`);
      const reasons = [...skippedByReason].map(([r, n]) => `${n} ${r}`).join('; ');
      ctx.out.write(`${ok.length + okModules} rules ok, ${problems.length} failed, ${loaded.skipped.length} skipped${reasons ? ` (${reasons})` : ''} in ${elapsedMs.toFixed(0)} ms\n`);
    }
    // A path that cannot be read is bad input (2), as in every other command; bad rules are 1.
    if (problems.some((p) => p.error.code === 'rules.read')) return ExitCode.inputError;
    if (problems.length > 0) return ExitCode.ruleError;
    if (loaded.skipped.length > 0 && !args.values['allow-skipped']) {
      ctx.err.write(`${loaded.skipped.length} rule(s) skipped, not checked: the check fails (pass --allow-skipped if these are expected)\n`);
      return ExitCode.ruleError;
    }
    return ExitCode.ok;
  },
};

/** Validates user rule modules (.wasm); each invalid one adds a problem. Returns how many are valid. */
async function checkModules(paths: readonly string[], problems: Problem[]): Promise<number> {
  let valid = 0;
  for (const file of paths) {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(file);
    } catch (e) {
      problems.push(problemOf(new InputError('rules.read', `cannot read rule module: ${(e as Error).message}`, { file })));
      continue;
    }
    const report = validateRuleModule(bytes, USER_RULE_ABI);
    if (report.ok) {
      valid++;
      continue;
    }
    const detail = report.errors.map((i) => (i.offset === undefined ? i.message : `${i.message} (byte ${i.offset})`)).join('; ');
    problems.push(problemOf(new InputError('wasm.invalid', `not a valid ${USER_RULE_ABI.name} module: ${detail}`, { file })));
  }
  return valid;
}

// `kestrel check PATH…`: loads rule files and folders, parses and checks every EQL rule against the
// schema, prints each problem at its place in the file, and a summary. Exit 0 when every rule is
// fine (skipped non-EQL rules are fine), 1 otherwise.
import type { Command } from '../command.js';
import { loadRules } from '../../shared/rules/index.js';
import type { RuleSource } from '../../shared/rules/model.js';
import { checkRule } from '../../shared/rules/compile-rule.js';
import { ecsLinuxSchema } from '../../shared/schema/ecs-linux.js';
import { ExitCode, UsageError } from '../../shared/errors.js';
import { problemOf, problemOfRule, renderProblem, type Problem } from '../rule-problems.js';

export const checkCommand: Command = {
  name: 'check',
  summary: 'parse and check EQL rules (Elastic TOML or .eql files and folders)',
  usage: '[options] PATH...',
  description: `Checks every rule against the ECS Linux schema: syntax, unknown fields (allowed with ?field),
types, functions, sequence rules. Non-EQL rules (kuery, esql, ML …) are listed as skipped.`,
  options: {
    format: { type: 'string', arg: 'text|json', help: 'output format (default text)' },
    quiet: { type: 'boolean', short: 'q', help: 'print only problems and the summary line' },
  },
  async run(args, ctx) {
    const format = (args.values.format as string | undefined) ?? 'text';
    if (format !== 'text' && format !== 'json') throw new UsageError('usage', '--format must be text or json');
    if (args.positionals.length === 0) throw new UsageError('usage', 'check needs at least one rule file or folder');

    const started = process.hrtime.bigint();
    const loaded = await loadRules(args.positionals);
    const schema = ecsLinuxSchema();
    const problems: Problem[] = loaded.errors.map((error) => problemOf(error));
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
          ok: ok.length,
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
      ctx.out.write(`${ok.length} rules ok, ${problems.length} failed, ${loaded.skipped.length} skipped${reasons ? ` (${reasons})` : ''} in ${elapsedMs.toFixed(0)} ms\n`);
    }
    return problems.length === 0 ? ExitCode.ok : ExitCode.ruleError;
  },
};

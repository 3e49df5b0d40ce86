// `kestrel coverage [PATH…]`: which MITRE ATT&CK techniques the rules cover, by which rules, and
// which of those rules are verified on real activity by a live trigger test.
import type { Command } from '../command.js';
import { loadRules } from '../../shared/rules/index.js';
import { coverageMarkdown, coverageOf } from '../../shared/rules/coverage.js';
import { ExitCode, UsageError } from '../../shared/errors.js';
import { problemOf, renderProblem } from '../rule-problems.js';

export const coverageCommand: Command = {
  name: 'coverage',
  summary: 'ATT&CK technique → rules → verified live by which trigger test',
  usage: '[options] [PATH...]',
  description: `Loads the rules (default: the bundled rules/ folder) and lists, per ATT&CK tactic and
technique, the rules that name it and the live trigger script (<rule>.trigger.sh) that proves
each on real activity (test/rules-trigger-live.test.ts runs them under eBPF in a throw-away mount
and network namespace). --format markdown writes the page docs/coverage.md is generated from.`,
  options: {
    format: { type: 'string', arg: 'text|json|markdown', help: 'output format (default text)' },
  },
  async run(args, ctx) {
    const format = (args.values.format as string | undefined) ?? 'text';
    if (!['text', 'json', 'markdown'].includes(format)) throw new UsageError('usage', '--format must be text, json or markdown');
    const paths = args.positionals.length ? args.positionals : ['rules'];
    const loaded = await loadRules(paths);
    for (const e of loaded.errors) ctx.err.write(renderProblem(problemOf(e)) + '\n');
    if (loaded.errors.some((e) => e.code === 'rules.read')) return ExitCode.inputError;
    const report = coverageOf(loaded.rules);
    if (format === 'json') ctx.out.write(JSON.stringify(report, null, 2) + '\n');
    else if (format === 'markdown') ctx.out.write(coverageMarkdown(report, 'ATT&CK coverage of the bundled rules'));
    else {
      for (const t of report.techniques) {
        ctx.out.write(`${t.tactic.id} ${(t.tactic.name ?? '').padEnd(20)} ${t.technique.id.padEnd(10)} ${t.verifiedLive ? 'live ' : '     '} ${t.rules.map((r) => r.name).join('; ')}\n`);
      }
      const live = report.techniques.filter((t) => t.verifiedLive).length;
      ctx.out.write(`${report.techniques.length} technique(s) covered by ${report.rules} rule(s); ${live} verified live by a trigger test` +
        `${report.rulesWithoutTechnique ? `; ${report.rulesWithoutTechnique} rule(s) name no technique` : ''}\n`);
    }
    return loaded.errors.length ? ExitCode.ruleError : ExitCode.ok;
  },
};

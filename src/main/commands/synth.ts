// `kestrel synth`: writes a deterministic synthetic capture of Linux host activity.
import type { Command } from '../command.js';
import { UsageError } from '../../shared/errors.js';
import { ecsLinuxSchema } from '../../shared/schema/ecs-linux.js';
import { buildLayout } from '../../shared/record/layout.js';
import { CaptureWriter } from '../../shared/capture/writer.js';
import { ATTACKS, DEFAULT_START, SCENARIOS, synthesize, type ScenarioName } from '../../shared/synth/generate.js';
import { KESTREL_VERSION } from '../../shared/version.js';

export const synthCommand: Command = {
  name: 'synth',
  summary: 'generate a synthetic capture of Linux host activity with injected attacks',
  usage: '[--scenario NAME] --events N --seed S -o capture.bin | --list',
  maxPositionals: 0,
  description: 'The same options always produce the same file, byte for byte.',
  options: {
    scenario: { type: 'string', arg: 'NAME', help: 'mixed (default), benign or attacks' },
    events: { type: 'string', arg: 'N', help: 'number of events to generate' },
    seed: { type: 'string', arg: 'S', help: 'random seed (integer or text; default 1)' },
    start: { type: 'string', arg: 'ISO', help: `time of the first event (default ${DEFAULT_START})` },
    'attack-rate': { type: 'string', arg: 'R', help: 'share of activities that are attacks in "mixed" (default 0.002)' },
    output: { type: 'string', short: 'o', arg: 'FILE', help: 'capture file to write' },
    list: { type: 'boolean', help: 'list scenarios and attacks' },
  },
  async run(args, ctx) {
    const v = args.values;
    if (v.list) {
      ctx.out.write('Scenarios:\n' + SCENARIOS.map((s) => `  ${s.name.padEnd(18)} ${s.description}\n`).join(''));
      ctx.out.write('Attacks:\n' + ATTACKS.map((a) => `  ${a.name.padEnd(18)} ${a.description}\n`).join(''));
      return 0;
    }
    if (typeof v.output !== 'string') throw new UsageError('synth.output', "missing -o FILE\nRun 'kestrel synth --help' for usage.");
    const events = integer('--events', v.events);
    const seedText = typeof v.seed === 'string' ? v.seed : '1';
    const seed = /^\d+$/.test(seedText) ? Number(seedText) : seedText;
    const scenario = (typeof v.scenario === 'string' ? v.scenario : 'mixed') as ScenarioName;
    const attackRate = v['attack-rate'] === undefined ? undefined : Number(v['attack-rate']);
    const start = typeof v.start === 'string' ? v.start : DEFAULT_START;
    const layout = buildLayout(ecsLinuxSchema());
    const writer = CaptureWriter.create(v.output, {
      layout,
      source: { host: 'synthetic', kernel: '6.1.0-18-amd64', startTime: start, kestrelVersion: KESTREL_VERSION, description: `synth ${scenario} seed=${seedText} events=${events}` },
    });
    let stats;
    try {
      stats = synthesize(layout, { scenario, events, seed, start, attackRate }, (bytes) => writer.append(bytes));
    } finally {
      writer.close();
    }
    const attacks = Object.entries(stats.attacks).map(([k, n]) => `${k}×${n}`).join(', ') || 'none';
    ctx.err.write(`wrote ${stats.events} events (${scenario}; attacks: ${attacks}) to ${v.output}\n`);
    return 0;
  },
};

function integer(flag: string, value: unknown): number {
  if (typeof value !== 'string' || !/^\d+$/.test(value)) throw new UsageError('synth.events', `${flag} must be a non-negative integer\nRun 'kestrel synth --help' for usage.`);
  return Number(value);
}

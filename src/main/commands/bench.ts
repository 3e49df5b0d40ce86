// `kestrel bench replay …`: the load harness. Its code lives in bench/ (one scenario per process,
// results as a table and JSON); this command only forwards the arguments to it.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from '../command.js';
import { UsageError } from '../../shared/errors.js';
import { packageRoot } from '../../shared/code-paths.js';

const SCENARIOS: Record<string, string> = { replay: 'replay.bench.mjs' };

export const benchCommand: Command = {
  name: 'bench',
  summary: 'load harness: replay a capture with 0..N workers, closed and open loop',
  usage: 'replay [--capture FILE | --events N --seed S] [--rules PATH]... [--workers 0,1,2] [--rate EV_PER_S] [--rate-seconds S]',
  maxPositionals: 1,
  description: `Each configuration runs in its own process. Prints events/s, ingest→alert latency p50/p99/max,
peak RSS, ring occupancy and drops as a table, and writes bench/results/<out>.json.
Without --capture, a synthetic capture of --events events is generated first.`,
  options: {
    capture: { type: 'string', arg: 'FILE', help: 'capture to replay (default: generate one)' },
    events: { type: 'string', arg: 'N', help: 'events to generate without --capture (default 300000)' },
    seed: { type: 'string', arg: 'S', help: 'generator seed (default 1)' },
    rules: { type: 'string', list: true, arg: 'PATH...', help: 'rules (default: rules/ and the Elastic corpus in ../shared)' },
    workers: { type: 'string', arg: 'LIST', help: 'worker counts to compare, 0 = single thread (default 0,1,2)' },
    rate: { type: 'string', arg: 'EV/S', help: 'open-loop input rate; 0 = closed loop only (default 50000)' },
    'rate-seconds': { type: 'string', arg: 'S', help: 'open-loop duration (default 5)' },
    out: { type: 'string', arg: 'NAME', help: 'results file bench/results/NAME.json (default replay)' },
    progress: { type: 'boolean', help: 'a progress line per configuration on stderr (default: only on a terminal)' },
    'no-progress': { type: 'boolean', help: 'never show the progress line' },
  },
  async run(args) {
    const [scenario] = args.positionals;
    const script = SCENARIOS[scenario ?? ''];
    if (!script) throw new UsageError('usage', `bench needs a scenario: ${Object.keys(SCENARIOS).join(', ')}`);
    const path = join(packageRoot(), 'bench', script);
    if (!existsSync(path)) throw new UsageError('usage', `benchmark script ${path} is missing`);
    const rest: string[] = [];
    for (const [k, v] of Object.entries(args.values)) {
      if (v === undefined || k === 'log-level' || k === 'help') continue;
      if (v === true) rest.push(`--${k}`);
      else for (const one of Array.isArray(v) ? v : [v]) rest.push(`--${k}`, String(one));
    }
    return await new Promise<number>((resolve) => {
      const child = spawn(process.execPath, [path, ...rest], { stdio: ['ignore', 'inherit', 'inherit'] });
      child.on('exit', (code) => resolve(code ?? 1));
    });
  },
};

// What the metrics cost: the full corpus replayed over one synthetic capture by
//   baseline  — the build before the operations work (no counting at all),
//   current   — this build without --metrics (the stage counters are always kept),
//   +metrics  — this build serving --metrics, scraped once a second during the run,
// at --workers 0 and 2, side by side in one run. Each cell is the median of --repeat runs.
//
//   node bench/metrics.bench.mjs [--events 300000] [--seed 11] [--baseline ac1a987] [--repeat 3]
/* global fetch, setInterval, clearInterval */
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, baselineDist, printTable, writeResults } from './lib.mjs';

const { values } = parseArgs({
  options: {
    events: { type: 'string', default: '300000' },
    seed: { type: 'string', default: '11' },
    baseline: { type: 'string', default: 'ac1a987' },
    repeat: { type: 'string', default: '3' },
    workers: { type: 'string', default: '0,2' },
  },
});
const CORPUS = join(ROOT, '../shared/rules-corpus');
const work = join(ROOT, 'bench/.work');
mkdirSync(work, { recursive: true });
const capture = join(work, `metrics-${values.events}-${values.seed}.bin`);
if (!existsSync(capture)) {
  execFileSync(process.execPath, [join(ROOT, 'bin/kestrel'), 'synth', '--events', values.events, '--seed', values.seed, '-o', capture], { stdio: 'ignore' });
}
const baseline = baselineDist(values.baseline);

/** One replay in a child process: wall seconds and CPU seconds (user + sys of the child). */
function replay(cli, workers, metrics) {
  return new Promise((resolve, reject) => {
    const script = `import('${cli}').then(m => m.main(process.argv.slice(1))).then(c => { process.exitCode = c; })`;
    const args = ['-e', script, 'replay', capture, '--rules', join(ROOT, 'rules'), CORPUS, '--workers', String(workers), '-o', '/dev/null'];
    if (metrics) args.push('--metrics', '127.0.0.1:0');
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, KESTREL_LOG_LEVEL: 'warn' } });
    let err = '';
    let scrapes = 0;
    let timer;
    child.stderr.setEncoding('utf8').on('data', (d) => {
      err += d;
      const m = /metrics on http:\/\/(\S+)\/metrics/.exec(err);
      if (m && !timer) {
        const scrape = () => fetch(`http://${m[1]}/metrics`).then((r) => r.text()).then(() => scrapes++, () => {});
        timer = setInterval(scrape, 1000);
        scrape();
      }
    });
    child.on('exit', (code) => {
      clearInterval(timer);
      const seconds = (performance.now() - t0) / 1000;
      if (code !== 0) return reject(new Error(`replay exited ${code}: ${err}`));
      resolve({ seconds, scrapes });
    });
  });
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const configs = [
  { name: `baseline ${values.baseline}`, cli: join(baseline, 'main/cli.js'), metrics: false },
  { name: 'current', cli: join(ROOT, 'dist/main/cli.js'), metrics: false },
  { name: 'current + --metrics, scraped 1/s', cli: join(ROOT, 'dist/main/cli.js'), metrics: true },
];
const rows = [];
for (const workers of values.workers.split(',').map(Number)) {
  const results = configs.map(() => []);
  // Interleaved, so drift on the machine hits every configuration alike.
  for (let r = 0; r < Number(values.repeat); r++) {
    for (const [i, c] of configs.entries()) results[i].push(await replay(c.cli, workers, c.metrics));
  }
  const base = median(results[0].map((x) => x.seconds));
  for (const [i, c] of configs.entries()) {
    const seconds = median(results[i].map((x) => x.seconds));
    rows.push({
      workers, build: c.name, 'seconds (median)': seconds, 'events/s': Math.round(Number(values.events) / seconds),
      'vs baseline': `${(((seconds - base) / base) * 100).toFixed(1)}%`, scrapes: c.metrics ? median(results[i].map((x) => x.scrapes)) : '-',
    });
  }
}
printTable(`Metrics cost: full corpus replay of ${values.events} synth events (seed ${values.seed}), wall time incl. start-up, median of ${values.repeat}`, rows);
writeResults('metrics', { events: Number(values.events), seed: Number(values.seed), baseline: values.baseline, rows });

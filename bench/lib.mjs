// Shared helpers for benchmark scripts: machine description, timing, percentiles, a text table,
// and a JSON results file. Each bench/*.bench.mjs runs in its own process (see run-all.mjs) so
// one scenario's heap and JIT state never colour another's.
import { cpus, totalmem, platform, release } from 'node:os';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const DIST = join(ROOT, 'dist');

export function machine() {
  const c = cpus();
  return {
    cpu: c[0]?.model ?? 'unknown',
    cores: c.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    os: `${platform()} ${release()}`,
  };
}

/** Peak resident set size of this process so far, in MiB. */
export function peakRssMiB() {
  return Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;
}

export function nowNs() {
  return process.hrtime.bigint();
}

/** Runs fn `repeat` times and returns the median seconds (after one warm-up run). */
export function medianSeconds(fn, repeat = 3) {
  fn();
  const times = [];
  for (let i = 0; i < repeat; i++) {
    const t0 = nowNs();
    fn();
    times.push(Number(nowNs() - t0) / 1e9);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** Percentile of a numeric array (p in 0..100), nearest-rank. */
export function percentile(values, p) {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

export function fmt(n, digits = 1) {
  if (typeof n !== 'number' || !Number.isFinite(n)) return String(n);
  if (Math.abs(n) >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (Math.abs(n) >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return n.toFixed(digits);
}

/** Prints rows (objects) as an aligned text table with the given columns. */
export function printTable(title, rows, columns = Object.keys(rows[0] ?? {})) {
  const cells = rows.map((r) => columns.map((c) => (typeof r[c] === 'number' ? fmt(r[c]) : String(r[c] ?? ''))));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i].length)));
  const line = (vals) => vals.map((v, i) => v.padStart(widths[i])).join('  ');
  console.log(`\n${title}`);
  console.log(line(columns));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of cells) console.log(line(row));
}

/**
 * The node flags a build's bin/kestrel runs with (its `#!/usr/bin/env -S node …` line): a bench
 * that runs the engine in a child process of its own passes them, so it measures what the
 * `kestrel` command runs. Older builds (`#!/usr/bin/env node`) have none.
 */
export function cliNodeFlags(root = ROOT) {
  const first = readFileSync(join(root, 'bin/kestrel'), 'utf8').split('\n', 1)[0];
  const m = /^#!\S*env -S node((?: --[\w-]+(?:=\S+)?)*)\s*$/.exec(first);
  return m ? m[1].split(' ').filter(Boolean) : [];
}

/** Writes bench/results/<name>.json with the machine description and the data. */
export function writeResults(name, data) {
  const file = join(ROOT, 'bench/results', `${name}.json`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify({ name, machine: machine(), date: new Date().toISOString(), ...data }, null, 2) + '\n');
  console.log(`\nresults: ${file}`);
  return file;
}

/** Builds (once) the given commit into bench/.baseline/<ref>/dist, with this tree's node_modules. */
export function baselineDist(ref) {
  const dir = join(ROOT, 'bench/.baseline', ref.replace(/[^\w.-]/g, '_'));
  const dist = join(dir, 'dist');
  if (existsSync(join(dist, 'main/cli.js'))) return linkAddon(dir), dist;
  process.stderr.write(`… building baseline ${ref} in ${dir}\n`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  execFileSync('sh', ['-c', 'git -C "$1" archive --format=tar "$2" | tar -x -C "$3"', 'sh', ROOT, ref, dir], { stdio: 'inherit' });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  execFileSync(process.execPath, [join(dir, 'scripts/build-grammar.mjs')], { cwd: dir, stdio: 'ignore' });
  execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: dir, stdio: 'inherit' });
  // A baseline that bundles its code (scripts/bundle.mjs, since this session) runs bundled, as it ships.
  if (existsSync(join(dir, 'scripts/bundle.mjs'))) execFileSync(process.execPath, [join(dir, 'scripts/bundle.mjs')], { cwd: dir, stdio: 'inherit' });
  linkAddon(dir);
  return dist;
}

/**
 * Lends a baseline this tree's built native addon: without it a baseline computes capture CRCs in
 * portable code (~0.2 s more per 480 MB capture) and looks slower than it is.
 */
function linkAddon(dir) {
  const built = join(ROOT, 'native/ebpf-loader/build');
  const target = join(dir, 'native/ebpf-loader/build');
  if (existsSync(built) && !existsSync(target) && existsSync(join(dir, 'native/ebpf-loader'))) symlinkSync(built, target);
}

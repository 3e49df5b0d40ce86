// Issue "EQL front end": how fast rules are parsed and checked. Two views of the same corpus:
//   in-process: rules/s for parse only (the recursive-descent parser, and nearley alone, the
//   reference it falls back to; neither cached), and check (queries already parsed), over every
//   Elastic Linux EQL rule
//   cold start: wall time of `kestrel check <corpus>` as a fresh process (what a user waits for)
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { DIST, ROOT, medianSeconds, peakRssMiB, printTable, writeResults } from './lib.mjs';

const corpus = join(ROOT, '../shared/rules-corpus/elastic-detection-rules');
if (!existsSync(corpus)) throw new Error(`rule corpus not found at ${corpus}`);
const { loadRules } = await import(join(DIST, 'shared/rules/index.js'));
const { parseQueryUncached } = await import(join(DIST, 'shared/eql/parser.js'));
const { checkRule } = await import(join(DIST, 'shared/rules/compile-rule.js'));
const { ecsLinuxSchema } = await import(join(DIST, 'shared/schema/ecs-linux.js'));

const loadStart = process.hrtime.bigint();
const { rules } = await loadRules([corpus]);
const loadSeconds = Number(process.hrtime.bigint() - loadStart) / 1e9;
const schema = ecsLinuxSchema();

const parseSeconds = medianSeconds(() => {
  for (const r of rules) parseQueryUncached(r.query, 'descent');
}, 5);
const earleySeconds = medianSeconds(() => {
  for (const r of rules) parseQueryUncached(r.query, 'earley');
}, 5);
const checkSeconds = medianSeconds(() => {
  for (const r of rules) if (!checkRule(r, { schema }).ok) throw new Error(`rule ${r.file} failed`);
}, 5);

const cold = [];
for (let i = 0; i < 5; i++) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/kestrel'), 'check', '-q', corpus], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`kestrel check failed: ${r.stdout}${r.stderr}`);
  cold.push(Number(process.hrtime.bigint() - t0) / 1e9);
}
cold.sort((a, b) => a - b);

const rows = [
  { stage: 'load (TOML read + locate)', rules: rules.length, seconds: loadSeconds, 'rules/s': rules.length / loadSeconds },
  { stage: 'parse (recursive descent)', rules: rules.length, seconds: parseSeconds, 'rules/s': rules.length / parseSeconds },
  { stage: 'parse (nearley alone, as before)', rules: rules.length, seconds: earleySeconds, 'rules/s': rules.length / earleySeconds },
  { stage: 'check (ECS schema; queries parsed already)', rules: rules.length, seconds: checkSeconds, 'rules/s': rules.length / checkSeconds },
  { stage: 'kestrel check, cold process (median of 5)', rules: rules.length, seconds: cold[2], 'rules/s': rules.length / cold[2] },
];
printTable(`EQL front end over the Elastic Linux corpus (peak RSS ${peakRssMiB()} MiB)`, rows);
writeResults('check', { stages: rows.map((r) => ({ ...r, seconds: Number(r.seconds.toFixed(4)), 'rules/s': Math.round(r['rules/s']) })), peakRssMiB: peakRssMiB() });

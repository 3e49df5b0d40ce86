#!/usr/bin/env node
// The fuzz properties of test/fuzz.test.ts (EQL parser + checker, NDJSON reader, capture reader)
// at scale: KESTREL_FUZZ_RUNS cases each (default 1,000,000), through vitest, recording the
// outcome. A failure is a crash that is not a typed Kestrel error; fast-check prints the
// shrunk counterexample.
//
//   node bench/fuzz.bench.mjs [--runs N]
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT, printTable, writeResults } from './lib.mjs';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '1000000' } } });
const t0 = Date.now();
const r = spawnSync(process.execPath, [join(ROOT, 'node_modules/vitest/vitest.mjs'), 'run', 'test/fuzz.test.ts', '--reporter', 'json'], {
  cwd: ROOT,
  env: { ...process.env, KESTREL_FUZZ_RUNS: values.runs },
  encoding: 'utf8',
  maxBuffer: 1 << 28,
});
const seconds = (Date.now() - t0) / 1000;
const report = JSON.parse(r.stdout.slice(r.stdout.indexOf('{')));
const rows = report.testResults.flatMap((f) => f.assertionResults).map((a) => ({
  property: a.title,
  cases: a.title.includes('not vacuous') ? 1 : Number(values.runs),
  status: a.status,
  seconds: Number(((a.duration ?? 0) / 1000).toFixed(1)),
  // The whole message: fast-check's counterexample and seed are what make a failure reproducible.
  failure: (a.failureMessages ?? []).join(' ').slice(0, 4000),
}));
printTable(`fuzz: ${values.runs} cases per property`, rows);
writeResults('fuzz', { casesPerProperty: Number(values.runs), seconds, crashes: rows.filter((x) => x.status !== 'passed').length, properties: rows });
process.exitCode = r.status === 0 ? 0 : 1;

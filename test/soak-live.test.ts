// The false-positive soak (#17): `kestrel run` with every rule — the bundled ones and Elastic's 408
// from ../shared/rules-corpus — while this project's own build, part of its test suite and a C
// compile workload run on the host. Every alert raised must be on the documented allow-list
// (test/fixtures/soak-allow-list.json, explained in docs/false-positives.md). To show detection
// was live the whole time, the soak ends with one real hidden-file rename in /tmp that a bundled
// rule must report.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distModule } from './helpers/dist.js';
import { EBPF_UNAVAILABLE, ebpfSuiteTitle, requireEbpfWhenAsked } from './helpers/ebpf.js';
import { startKestrelRun } from './helpers/live-run.js';
// @ts-expect-error: a plain ESM script shared with the command line, without type declarations
import { parentsFromRecording } from '../scripts/emulation.mjs';

const CORPUS = '../shared/rules-corpus/elastic-detection-rules';
const CONTROL_RULE = 'File renamed to a hidden name in a world-writable directory';

interface AllowEntry {
  rule: string;
  executable: string;
  why: string;
}
const ALLOW: AllowEntry[] = JSON.parse(readFileSync('test/fixtures/soak-allow-list.json', 'utf8'));

requireEbpfWhenAsked();

/** Pids of the workload steps: the roots of the process tree the soak judges. */
const workloadRoots = new Set<number>();

/** Runs a workload step to completion; its failure is not the soak's concern, its activity is. */
function workload(cmd: string, args: string[], cwd = process.cwd()): number {
  const r = spawnSync(cmd, args, { cwd, stdio: 'ignore', timeout: 120_000, env: { ...process.env, KESTREL_SOAK_CHILD: '1' } });
  if (r.pid) workloadRoots.add(r.pid);
  return r.status ?? -1;
}

/**
 * Every pid descended from a workload root, from the recording's process events. Other test files
 * run at the same time in CI (some trigger rules on purpose); an alert counts against the soak only
 * when its process belongs to the workload's own tree.
 */
function workloadTree(recordingNdjson: string): Set<number> {
  const parentOf: Map<number, number> = parentsFromRecording(recordingNdjson);
  const inTree = (pid: number): boolean => {
    for (let p: number | undefined = pid, depth = 0; p !== undefined && depth < 64; p = parentOf.get(p), depth++) {
      if (workloadRoots.has(p)) return true;
    }
    return false;
  };
  return new Set([...parentOf.keys(), ...workloadRoots].filter(inTree));
}

describe.skipIf(EBPF_UNAVAILABLE !== undefined || process.env.KESTREL_SOAK_CHILD === '1')(ebpfSuiteTitle('false-positive soak (live, all rules)'), () => {
  const dir = realpathSync(mkdtempSync('/tmp/kestrel-soak-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  beforeAll(() => {
    distModule('main/cli.js');
    if (!existsSync(CORPUS)) throw new Error(`${CORPUS} is missing: the soak runs with Elastic's rules beside the bundled ones`);
  });

  it('raises no alert outside the allow-list while the build, tests and a compile run', async () => {
    const out = join(dir, 'alerts.ndjson');
    const recording = join(dir, 'soak.bin');
    const { run, io, exited } = await startKestrelRun(['--rules', 'rules/', CORPUS, '--output', out, '--record', recording, '--workers', '1']);
    expect(io.stderr).toMatch(/watching this host with 4\d\d rule\(s\)/);

    // The workload: type-check the project, run part of its test suite, compile and run C.
    workload(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json', '--noEmit']);
    workload(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', 'test/eql-interp.test.ts', 'test/config.test.ts', 'test/capture-cli.test.ts']);
    const src = join(dir, 'prog.c');
    writeFileSync(src, '#include <stdio.h>\nint main(void) { puts("ok"); return 0; }\n');
    writeFileSync(join(dir, 'Makefile'), 'all: prog\nprog: prog.c\n\tcc -O2 -o prog prog.c\n');
    expect(workload('make', ['-s'], dir)).toBe(0);
    for (let i = 0; i < 5; i++) {
      expect(workload('cc', ['-O1', '-o', join(dir, `p${i}`), src])).toBe(0);
      expect(workload(join(dir, `p${i}`), [])).toBe(0);
    }

    // Positive control: a real detection at the end proves the sensor and rules were live.
    writeFileSync(join(dir, 'payload'), 'x');
    renameSync(join(dir, 'payload'), join(dir, '.payload'));
    const alertsSoFar = () => (existsSync(out) ? readFileSync(out, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);
    for (const deadline = Date.now() + 10_000; !alertsSoFar().some((a) => a.rule.name === CONTROL_RULE); await new Promise((r) => setTimeout(r, 50))) {
      if (Date.now() > deadline) throw new Error(`the control rename was not detected; stderr: ${io.stderr}`);
    }
    run.kill('SIGINT');
    expect(await exited).toBe(0);

    const summary = /(\d+) events, (\d+) alert/.exec(io.stderr);
    expect(summary, io.stderr).not.toBeNull();
    // The workload really happened under the sensor (hundreds of execs, forks and file events).
    expect(Number(summary![1])).toBeGreaterThan(300);

    // The event that completed the alert carries the process (and file) it is about.
    const last = (a: { kestrel: { events: Array<Record<string, any>> } }) => a.kestrel.events[a.kestrel.events.length - 1]!;
    const all = alertsSoFar();
    expect(all.filter((a) => a.rule.name === CONTROL_RULE && String(last(a).file?.path ?? '').startsWith(dir)).length, 'the control alert').toBeGreaterThanOrEqual(1);
    const ndjson = join(dir, 'soak.ndjson');
    expect(spawnSync(process.execPath, ['bin/kestrel', 'convert', recording, ndjson]).status).toBe(0);
    const tree = workloadTree(ndjson);
    expect(tree.size, 'processes in the workload tree').toBeGreaterThan(20);
    const alerts = all.filter((a) => tree.has(last(a).process?.pid));
    const others = all.length - alerts.length;
    if (others > 0) console.log(`soak: ${others} alert(s) from processes outside the workload (the control, and tests running alongside) not judged`);
    const unexpected = alerts.filter((a) => !ALLOW.some((e) => e.rule === a.rule.name && e.executable === last(a).process?.executable));
    expect(unexpected.map((a) => `${a.rule.name} (${last(a).process?.executable} ← ${last(a).process?.parent?.executable}): ${last(a).process?.command_line}`)).toEqual([]);
  }, 300_000);
});

// Response actions for real (#15): an Endpoint-layout rule with kill_process, on a real process.
// enforce kills exactly the matching process (through a pidfd checked against its start time);
// dry-run and an allow-listed executable leave it running; every alert says what was done, to
// which pid/entity, and how long after the triggering event. A named-step rule (a file written
// to /tmp, then executed from that path) fires on real activity and kills the program it ran.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseValidAlerts, wholeLines } from './helpers/alert-schema.js';
import { distModule } from './helpers/dist.js';
import { EBPF_UNAVAILABLE, ebpfSuiteTitle, requireEbpfWhenAsked } from './helpers/ebpf.js';
import { startKestrelRun } from './helpers/live-run.js';

requireEbpfWhenAsked();

const endpointRule = (id: string, name: string, query: string, field = 'process.entity_id', state = 0) => `[rule]
id = "${id}"
name = "${name}"
description = "Kestrel test rule"
os_list = ["linux"]
version = "1.0.0"
query = '''
${query}
'''
min_endpoint_version = "8.0.0"
optional_actions = []
[[actions]]
action = "kill_process"
field = "${field}"
state = ${state}
`;

/** Resolves with the signal that ended the child (null if it exited), or 'running' after ms. */
function outcome(child: ChildProcess, ms: number): Promise<NodeJS.Signals | null | 'running'> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('running'), ms);
    child.once('exit', (_code, signal) => {
      clearTimeout(timer);
      resolve(signal);
    });
  });
}

describe.skipIf(EBPF_UNAVAILABLE !== undefined)(ebpfSuiteTitle('response actions: kill_process (live)'), () => {
  const dir = realpathSync(mkdtempSync('/tmp/kestrel-response-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  beforeAll(() => {
    distModule('main/cli.js');
  });

  const tag = `${process.pid}${Date.now() % 100000}`;
  const rules = join(dir, 'rules');
  mkdirSync(rules);
  writeFileSync(join(rules, 'sleep.toml'), endpointRule('aaaaaaaa-1111-4000-8000-000000000001', 'Marked sleep started',
    `process where event.type == "start" and event.action == "exec" and process.name == "sleep" and process.args == "${tag}.5"`));
  // The fixture rule, narrowed to this test's own files: in enforce mode it must never kill what
  // another test writes to /tmp and runs.
  const fixture = readFileSync('test/fixtures/endpoint-rules/execution_file_written_then_run_from_tmp.toml', 'utf8');
  const narrowed = fixture.replace('not file.name like "*.so*"] as event0', `not file.name like "*.so*" and file.name == "dropped-${tag}"] as event0`);
  expect(narrowed).not.toBe(fixture);
  writeFileSync(join(rules, 'written-then-run.toml'), narrowed);

  async function withRun(mode: string, extra: string[], body: (alerts: () => any[]) => Promise<void>) {
    const out = join(dir, `alerts-${mode}-${extra.length}.ndjson`);
    const { run, io, exited } = await startKestrelRun(['--rules', rules, '--output', out, '--workers', '0', '--response', mode, ...extra]);
    try {
      expect(io.stderr).toContain(`response actions: ${mode}`);
      await body(() => (existsSync(out) ? parseValidAlerts(wholeLines(readFileSync(out, 'utf8'))) : []));
    } finally {
      run.kill('SIGINT');
    }
    expect(await exited).toBe(0);
  }

  const marked = () => spawn('sleep', [`${tag}.5`], { stdio: 'ignore' });
  const responseOf = (alerts: any[], pid: number) => alerts.flatMap((a) => a.kestrel.response ?? []).find((r: any) => r.target?.pid === pid);

  it('enforce: the matching process is killed, and the alert says so with the latency', async () => {
    await withRun('enforce', [], async (alerts) => {
      const child = marked();
      expect(await outcome(child, 5000)).toBe('SIGKILL');
      for (let i = 0; i < 100 && !responseOf(alerts(), child.pid!); i++) await new Promise((r) => setTimeout(r, 50));
      const r = responseOf(alerts(), child.pid!);
      expect(r).toMatchObject({ action: 'kill_process', mode: 'enforce', field: 'process.entity_id', state: 0, result: 'killed', target: { pid: child.pid, executable: '/usr/bin/sleep' } });
      expect(r.target.entity_id).toMatch(/^[\w-]{22}$/);
      expect(r.latency_us).toBeGreaterThanOrEqual(0);
      expect(r.latency_us).toBeLessThan(2_000_000);
      // An unrelated sleep is left alone.
      const other = spawn('sleep', ['30'], { stdio: 'ignore' });
      expect(await outcome(other, 800)).toBe('running');
      other.kill();
    });
  }, 60_000);

  it('dry-run: the process keeps running; the alert says it would have been killed', async () => {
    await withRun('dry-run', [], async (alerts) => {
      const child = marked();
      for (let i = 0; i < 100 && !responseOf(alerts(), child.pid!); i++) await new Promise((r) => setTimeout(r, 50));
      expect(responseOf(alerts(), child.pid!)).toMatchObject({ mode: 'dry-run', result: 'would kill' });
      expect(await outcome(child, 500)).toBe('running');
      child.kill();
    });
  }, 60_000);

  it('enforce with the executable allow-listed: refused, the process keeps running', async () => {
    await withRun('enforce', ['--response-allow', '/usr/bin/slee*'], async (alerts) => {
      const child = marked();
      for (let i = 0; i < 100 && !responseOf(alerts(), child.pid!); i++) await new Promise((r) => setTimeout(r, 50));
      expect(responseOf(alerts(), child.pid!)).toMatchObject({ result: 'refused: allow-listed executable' });
      expect(await outcome(child, 500)).toBe('running');
      child.kill();
    });
  }, 60_000);

  it('a named-step rule: a program written to /tmp and run from there is killed; the cross-step reference joined them', async () => {
    await withRun('enforce', [], async (alerts) => {
      const dropped = join(dir, `dropped-${tag}`);
      expect(spawnSync('cp', ['/usr/bin/sleep', dropped]).status).toBe(0);
      const child = spawn(dropped, ['30'], { stdio: 'ignore' });
      expect(await outcome(child, 5000)).toBe('SIGKILL');
      for (let i = 0; i < 100 && !responseOf(alerts(), child.pid!); i++) await new Promise((r) => setTimeout(r, 50));
      const alert = alerts().find((a) => a.kestrel.response?.some((r: any) => r.target?.pid === child.pid));
      expect(alert.rule.name).toBe('File Written to a Temporary Folder Then Executed');
      expect(alert.rule.version).toBe('1.1.0');
      expect(alert.kestrel.events[0].file.path).toBe(dropped);
      expect(alert.kestrel.events[1].process.executable).toBe(dropped);
      expect(alert.kestrel.response[0]).toMatchObject({ state: 1, result: 'killed' });
    });
  }, 60_000);
});

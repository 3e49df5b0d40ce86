// Lineage for real (#15): `descendant of [Q]` fires for a real grandchild of a distinctive ancestor
// and not for the same command run elsewhere; the run's recording replays to the same alerts with
// 0, 1 and 2 workers.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseValidAlerts } from './helpers/alert-schema.js';
import { distModule } from './helpers/dist.js';
import { EBPF_UNAVAILABLE, ebpfSuiteTitle, requireEbpfWhenAsked } from './helpers/ebpf.js';
import { startKestrelRun } from './helpers/live-run.js';

requireEbpfWhenAsked();

describe.skipIf(EBPF_UNAVAILABLE !== undefined)(ebpfSuiteTitle('lineage: descendant of (live)'), () => {
  const dir = realpathSync(mkdtempSync('/tmp/kestrel-lineage-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  beforeAll(() => {
    distModule('main/cli.js');
  });

  it('a grandchild of the marked ancestor alerts (also of one running before Kestrel); the same command elsewhere does not; replay agrees for 0-2 workers', async () => {
    const tag = `lineage${process.pid}`;
    const ancestor = join(dir, `kestrel-ancestor-${process.pid}`);
    copyFileSync('/bin/sh', ancestor);
    spawnSync('chmod', ['755', ancestor]);
    const rules = join(dir, 'rules');
    mkdirSync(rules);
    writeFileSync(join(rules, 'descendant.toml'), `[rule]
id = "cccccccc-3333-4000-8000-000000000001"
name = "Marked echo under the marked ancestor"
description = "Kestrel test rule"
os_list = ["linux"]
version = "1.0.0"
query = '''
process where event.type == "start" and event.action == "exec" and process.args == "${tag}" and process.name == "echo" and
  descendant of [process where event.action == "exec" and process.name == "kestrel-ancestor-${process.pid}"]
'''
`);
    const out = join(dir, 'alerts.ndjson');
    const rec = join(dir, 'run.bin');
    // An ancestor that is already running when Kestrel starts: known from the process-table
    // snapshot (seeded from /proc, first in the recording). It waits for a line, then runs the child.
    const older = spawn(ancestor, ['-c', `read line; sh -c '/bin/echo ${tag} older; true'`], { stdio: ['pipe', 'ignore', 'ignore'] });
    const olderDone = new Promise((resolve) => older.on('exit', resolve));
    await new Promise((r) => setTimeout(r, 200));
    const { run, io, exited } = await startKestrelRun(['--rules', rules, '--output', out, '--record', rec, '--workers', '1', '--metrics', '127.0.0.1:0']);
    try {
      // The lineage table starts with the process-table snapshot: every process alive now.
      const address = /metrics on http:\/\/(\S+)\/metrics/.exec(io.stderr)![1]!;
      const metrics = await (await fetch(`http://${address}/metrics`)).text();
      expect(Number(/^kestrel_lineage_processes (\d+)/m.exec(metrics)?.[1])).toBeGreaterThan(10);
      expect(metrics).toMatch(/^kestrel_lineage_evictions_total 0$/m);
      // Grandchild: ancestor → sh → echo. Elsewhere: sh → echo, same arguments.
      expect(spawnSync(ancestor, ['-c', `sh -c '/bin/echo ${tag}; true'`]).status).toBe(0);
      expect(spawnSync('sh', ['-c', `sh -c '/bin/echo ${tag}; true'`]).status).toBe(0);
      older.stdin!.end('go\n');
      await olderDone;
      for (let i = 0; i < 100 && !(existsSync(out) && readFileSync(out, 'utf8').split('\n').length > 2); i++) await new Promise((r) => setTimeout(r, 50));
      await new Promise((r) => setTimeout(r, 1000));
    } finally {
      run.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    const alerts = parseValidAlerts(readFileSync(out, 'utf8'));
    expect(alerts.map((a) => a.kestrel.events[0].process.args)).toEqual([['/bin/echo', tag], ['/bin/echo', tag, 'older']]);
    const ev = alerts[0].kestrel.events[0];
    // Its grandparent is the ancestor (the parent is the inner sh).
    expect(ev.process.parent.name).toBe('dash');

    const outputs = new Set<string>();
    for (const workers of ['0', '1', '2']) {
      const r = spawnSync(process.execPath, ['bin/kestrel', 'replay', rec, '--rules', rules, '--workers', workers], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      outputs.add(r.stdout);
    }
    expect(outputs.size).toBe(1);
    expect([...outputs][0]).toBe(readFileSync(out, 'utf8'));
  }, 60_000);
});

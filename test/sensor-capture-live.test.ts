// What the sensor captures beyond its fixed events, for real (#17): read-only opens of the file
// names the loaded rules look at (and nothing else), the environment variables they read, the
// executable's header bytes — and a rule reload that names a new file extends the kernel's watch
// list without a restart.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseValidAlerts, wholeLines } from './helpers/alert-schema.js';
import { distModule } from './helpers/dist.js';
import { EBPF_UNAVAILABLE, ebpfSuiteTitle, requireEbpfWhenAsked } from './helpers/ebpf.js';

requireEbpfWhenAsked();

const ruleText = (id: string, name: string, query: string) => `// id: ${id}\n// name: ${name}\n// severity: low\n// risk_score: 1\n${query}\n`;

describe.skipIf(EBPF_UNAVAILABLE !== undefined)(ebpfSuiteTitle('sensor capture from the rules: watched reads, env vars, header bytes (live)'), () => {
  const dir = realpathSync(mkdtempSync('/tmp/kestrel-capture-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  beforeAll(() => {
    distModule('main/cli.js');
  });

  it('reports exactly the watched reads, keeps only named variables, gives header bytes, and follows a reload', async () => {
    const tag = `k${process.pid}`;
    const watched = join(dir, `${tag}-watched.txt`);
    const unwatched = join(dir, `${tag}-unwatched.txt`);
    const extra = join(dir, `${tag}-extra.txt`);
    const later = join(dir, `${tag}-later.txt`);
    const script = join(dir, `${tag}-script.sh`);
    for (const f of [watched, unwatched, extra, later]) writeFileSync(f, 'data\n');
    writeFileSync(script, '#!/bin/sh\nexit 0\n');
    chmodSync(script, 0o755);
    const rules = join(dir, 'rules');
    mkdirSync(rules);
    writeFileSync(join(rules, 'read.eql'), ruleText('aaaaaaaa-0000-4000-8000-000000000001', 'Watched file read', `file where event.action == "open" and file.name == "${tag}-watched.txt"`));
    writeFileSync(join(rules, 'env.eql'), ruleText('aaaaaaaa-0000-4000-8000-000000000002', 'Env var seen', `process where event.type == "start" and process.env_vars : "${tag.toUpperCase()}_MODE=*"`));
    const out = join(dir, 'alerts.ndjson');
    const rec = join(dir, 'rec.bin');

    const run = spawn(process.execPath, ['bin/kestrel', 'run', '--rules', rules, '--output', out, '--record', rec, '--workers', '0',
      '--watch-reads', `${tag}-extra.txt`, '--capture-env', 'KESTREL_CAPTURE_EXTRA'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    run.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => run.on('exit', (code) => resolve(code)));
    const waitFor = async (what: string, done: () => boolean, ms = 10_000) => {
      for (const deadline = Date.now() + ms; !done(); await new Promise((r) => setTimeout(r, 25))) {
        if (Date.now() > deadline) throw new Error(`no ${what} within ${ms} ms; stderr: ${stderr}`);
      }
    };
    const alerts = () => (existsSync(out) ? parseValidAlerts(wholeLines(readFileSync(out, 'utf8'))) : []);
    try {
      await waitFor('start', () => stderr.includes('watching this host'));
      // The plan is reported: 2 file names (the rule's and the flag's), the env names.
      expect(stderr).toMatch(/sensor: read-only opens of 2 file name\(s\) and 0 folder name\(s\)/);

      const env = { PATH: process.env.PATH, [`${tag.toUpperCase()}_MODE`]: 'debug', KESTREL_CAPTURE_EXTRA: 'yes', KESTREL_NOT_CAPTURED: 'secret' };
      for (const f of [watched, unwatched, extra]) expect(spawnSync('cat', [f], { env }).status).toBe(0);
      expect(spawnSync(script, [], { env }).status).toBe(0);
      await waitFor('read and env alerts', () => alerts().length >= 2);

      // A new rule naming another file: the reload extends the kernel's watch list.
      writeFileSync(join(rules, 'later.eql'), ruleText('aaaaaaaa-0000-4000-8000-000000000003', 'Later file read', `file where event.action == "open" and file.name == "${tag}-later.txt"`));
      await waitFor('reload', () => /rule files changed: sensor: read-only opens of 3 file name/.test(stderr));
      expect(spawnSync('cat', [later]).status).toBe(0);
      await waitFor('alert after the reload', () => alerts().some((a) => a.rule.name === 'Later file read'));
    } finally {
      run.kill('SIGINT');
    }
    expect(await exited).toBe(0);

    const byRule = (name: string) => alerts().filter((a) => a.rule.name === name);
    expect(byRule('Watched file read').map((a: any) => a.kestrel.events[0].file.path)).toEqual([watched]);
    expect(byRule('Env var seen').length).toBeGreaterThanOrEqual(1);

    // The recording: what the kernel sent for these files and processes.
    const ndjson = join(dir, 'rec.ndjson');
    expect(spawnSync(process.execPath, ['bin/kestrel', 'convert', rec, ndjson]).status).toBe(0);
    const events = readFileSync(ndjson, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const opened = events.filter((e) => e.event.action === 'open' && String(e.file?.path).startsWith(join(dir, tag))).map((e) => e.file.path);
    expect(opened.sort()).toEqual([extra, later, watched].sort());
    const ours = events.filter((e) => e.event.action === 'exec' && (e.process.args?.includes(script) || e.process.args?.[0] === 'cat') && e.process.env_vars?.length);
    expect(ours.length).toBeGreaterThanOrEqual(4);
    for (const e of ours) expect(e.process.env_vars.sort()).toEqual([`${tag.toUpperCase()}_MODE=debug`, 'KESTREL_CAPTURE_EXTRA=yes']);
    const catExec = ours.find((e) => e.process.args[0] === 'cat');
    expect(catExec.process.Ext.header_bytes).toMatch(/^7f454c46[0-9a-f]{504}$/); // ELF, 256 bytes
    // A script: process.executable is its interpreter, and so are the header bytes (the kernel
    // re-reads bprm->buf from the interpreter after "#!").
    const scriptExec = ours.find((e) => e.process.args.includes(script));
    expect(scriptExec.process.executable).toMatch(/\/(dash|bash|sh)$/);
    expect(scriptExec.process.Ext.header_bytes).toMatch(/^7f454c46/);
  }, 90_000);
});

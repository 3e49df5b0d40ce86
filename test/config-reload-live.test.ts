// SIGHUP with --config on a live `kestrel run`: a rule path added to the file starts detecting,
// a changed sink list reopens the sinks, a setting that needs a restart is reported as such, a
// setting also given as a flag keeps the flag's value, and a file that fails to check changes
// nothing (the error is printed with file:line:col).
import { distModule } from './helpers/dist.js';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EBPF_UNAVAILABLE, ebpfSuiteTitle, requireEbpfWhenAsked } from './helpers/ebpf.js';
import { parseValidAlerts } from './helpers/alert-schema.js';

requireEbpfWhenAsked();

describe.skipIf(EBPF_UNAVAILABLE !== undefined)(ebpfSuiteTitle('config reload on SIGHUP (live)'), () => {
  const dir = realpathSync(mkdtempSync('/tmp/kestrel-config-reload-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  beforeAll(() => {
    distModule('main/cli.js');
  });

  it('applies rules, sinks and log level in place and names what needs a restart', async () => {
    const quiet = join(dir, 'quiet');
    mkdirSync(quiet);
    writeFileSync(join(quiet, 'never.eql'), '// id: 33333333-2222-3333-4444-555555555555\n// name: Never\n// severity: low\nprocess where process.name == "kestrel-never-runs-this"\n');
    const config = join(dir, 'kestrel.toml');
    const fileA = join(dir, 'a.ndjson');
    const fileB = join(dir, 'b.ndjson');
    writeFileSync(config, `workers = 1\n[rules]\npaths = ["quiet"]\n[[sinks]]\nurl = "file:${fileA}"\n`);
    const run = spawn(process.execPath, ['bin/kestrel', 'run', '--config', config, '--duration', '20', '--engine', 'wasm'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    run.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((r) => run.on('exit', (code) => r(code)));
    const waitFor = async (what: string, done: () => boolean, ms: number) => {
      for (const deadline = Date.now() + ms; !done(); await new Promise((r) => setTimeout(r, 25))) {
        if (Date.now() > deadline) throw new Error(`no ${what} within ${ms} ms; stderr: ${stderr}`);
      }
    };
    await waitFor('start', () => stderr.includes('watching this host with 1 rule(s), 1 worker(s)'), 15_000);

    // A broken edit: nothing changes, the error names the line.
    writeFileSync(config, `workers = 1\n[rules]\npaths = 7\n`);
    run.kill('SIGHUP');
    await waitFor('refusal', () => stderr.includes('not reloaded'), 5000);
    expect(stderr).toContain(`${config}:3:9: input error: rules.paths must be a path or a non-empty list of paths`);

    // Add the hidden-rename rule, move alerts to another file, change workers (restart) and the
    // engine, which the command line fixed (flag wins).
    writeFileSync(config, `workers = 2\nengine = "interp"\n[rules]\npaths = ["quiet", "${resolve('rules/defense_evasion/file_renamed_to_hidden_name_in_temp_dir.eql')}"]\n[[sinks]]\nurl = "file:${fileB}"\n`);
    run.kill('SIGHUP');
    await waitFor('reload', () => /ruleset generation 3/.test(stderr), 10_000);
    expect(stderr).toMatch(/config \S+ reloaded: .*workers \(needs a restart to take effect\)/);
    expect(stderr).toMatch(/engine \(ignored: given as a flag, which wins\)/);
    expect(stderr).toMatch(/rules\.paths \(rules reloaded\)/);
    expect(stderr).toMatch(/sinks \(sinks reopened\)/);

    const payload = join(dir, 'payload');
    copyFileSync('/bin/true', payload);
    renameSync(payload, join(dir, '.payload'));
    await waitFor('alert in the new sink', () => {
      try {
        return readFileSync(fileB, 'utf8').includes('\n');
      } catch {
        return false;
      }
    }, 5000);
    run.kill('SIGTERM');
    expect(await exited).toBe(0);
    const alerts = parseValidAlerts(readFileSync(fileB, 'utf8'));
    expect(alerts.map((a) => a.rule.name)).toEqual(['File renamed to a hidden name in a world-writable directory']);
    expect(readFileSync(fileA, 'utf8')).toBe('');
  }, 60_000);
});

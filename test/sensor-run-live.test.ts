// `kestrel run` for real: live detection must alert on matching activity while it runs (not only
// at the end), with the rule and the triggering event in the alert.
import { distModule } from './helpers/dist.js';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseValidAlerts } from './helpers/alert-schema.js';
import { EBPF_UNAVAILABLE, ebpfSuiteTitle, requireEbpfWhenAsked } from './helpers/ebpf.js';

const RULE = 'rules/defense_evasion/file_renamed_to_hidden_name_in_temp_dir.eql';

requireEbpfWhenAsked();

/** A `kestrel run` child with its output collected; resolves once the sensor is watching. */
async function startRun(args: string[]) {
  const run = spawn(process.execPath, ['bin/kestrel', 'run', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const io = { stdout: '', stderr: '' };
  run.stdout.setEncoding('utf8').on('data', (d: string) => (io.stdout += d));
  run.stderr.setEncoding('utf8').on('data', (d: string) => (io.stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => run.on('exit', (code, signal) => resolve({ code, signal })));
  const waitFor = async (what: string, done: () => boolean, ms: number) => {
    for (const deadline = Date.now() + ms; !done(); await new Promise((r) => setTimeout(r, 20))) {
      if (Date.now() > deadline) throw new Error(`no ${what} within ${ms} ms; stderr: ${io.stderr}`);
    }
  };
  await waitFor('start', () => io.stderr.includes('watching this host'), 10_000);
  return { run, io, exited, waitFor };
}

describe.skipIf(EBPF_UNAVAILABLE !== undefined)(ebpfSuiteTitle('kestrel run (live)'), () => {
  // Under /tmp: the rule watches world-writable directories.
  const dir = realpathSync(mkdtempSync('/tmp/kestrel-run-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // bin/kestrel runs dist/, built by `npm test` first (never rebuilt here: other files use it concurrently).
  beforeAll(() => {
    distModule('main/cli.js');
  });

  for (const workers of ['0', '1']) {
    it(`alerts while running (--workers ${workers}) and exits 0 with a summary`, async () => {
      const recording = join(dir, `run-${workers}.bin`);
      const { io, exited, waitFor } = await startRun(['--rules', RULE, '--workers', workers, '--duration', '4', '--record', recording]);

      const payload = join(dir, `payload-${workers}`);
      copyFileSync('/bin/true', payload);
      execFileSync('mv', [payload, join(dir, `.payload-${workers}`)]);
      renameSync(join(dir, `.payload-${workers}`), join(dir, `visible-${workers}`)); // no alert: not hidden
      const alertedAt = Date.now();
      await waitFor('alert', () => io.stdout.includes('\n'), 3000);
      expect(Date.now() - alertedAt).toBeLessThan(1000);

      expect((await exited).code).toBe(0);
      const alerts = parseValidAlerts(io.stdout);
      expect(alerts).toHaveLength(1);
      expect(alerts[0].rule.name).toBe('File renamed to a hidden name in a world-writable directory');
      expect(alerts[0].kestrel.events).toHaveLength(1);
      expect(alerts[0].kestrel.events[0]).toMatchObject({
        event: { action: 'rename', category: ['file'] },
        process: { name: 'mv', args: ['mv', payload, join(dir, `.payload-${workers}`)] },
        file: { path: join(dir, `.payload-${workers}`), Ext: { original: { path: payload } } },
      });
      expect(io.stderr).toMatch(/\d+ events, 1 alert\(s\); dropped in the kernel \(ring full\) 0/);

      // Record → replay equivalence: the recording of exactly what detection saw replays to the
      // same alert bytes, in either execution mode.
      for (const replayWorkers of ['0', '2']) {
        const replayed = execFileSync(process.execPath, ['bin/kestrel', 'replay', recording, '--rules', RULE, '--workers', replayWorkers, '--log-level', 'warn'], { encoding: 'utf8' });
        expect(replayed).toBe(io.stdout);
      }
    }, 30_000);
  }

  /** Starts `kestrel run --record` on the rename rule; resolves once the sensor is watching. */
  async function startRecording(name: string) {
    const recording = join(dir, `${name}.bin`);
    const { run, io, exited } = await startRun(['--rules', RULE, '--workers', '0', '--duration', '20', '--record', recording]);
    const trigger = () => {
      const payload = join(dir, `payload-${name}`);
      copyFileSync('/bin/true', payload);
      renameSync(payload, join(dir, `.payload-${name}`));
      return payload;
    };
    return { run, recording, exited, trigger, stderr: () => io.stderr };
  }

  function captureInfo(file: string): { records: number; chunks: number; footer: string } {
    const info = JSON.parse(execFileSync(process.execPath, ['bin/kestrel', 'capture', 'info', '--format', 'json', file], { encoding: 'utf8' }));
    return { records: info.records, chunks: info.chunks.length, footer: info.integrity.footer };
  }

  it('stdout closed by its reader (| head -1): a clean shutdown with the recording closed', async () => {
    const r = await startRecording('epipe');
    r.run.stdout.destroy(); // the reader goes away: the first alert written meets EPIPE
    r.trigger();
    const { code } = await r.exited;
    expect(code, r.stderr()).toBe(0);
    expect(r.stderr()).toContain('stdout closed: stopped');
    const info = captureInfo(r.recording);
    expect(info.footer).toBe('ok');
    expect(info.records).toBeGreaterThan(0);
  }, 30_000);

  it('kill -9: the recording holds everything up to the last flush (at most a second old)', async () => {
    const r = await startRecording('kill9');
    const payload = r.trigger();
    await new Promise((res) => setTimeout(res, 1800));
    r.run.kill('SIGKILL');
    expect((await r.exited).signal).toBe('SIGKILL');
    const info = captureInfo(r.recording);
    expect(info.chunks).toBeGreaterThan(0);
    expect(info.records).toBeGreaterThan(0);
    // Replay reads what was flushed and finds the rename made before the last flush.
    const replayed = spawnSync(process.execPath, ['bin/kestrel', 'replay', r.recording, '--rules', RULE, '--workers', '0', '--log-level', 'warn'], { encoding: 'utf8' });
    expect(replayed.status, replayed.stderr).toBe(0);
    expect(replayed.stderr).toMatch(/not closed cleanly|cut off/);
    const alerts = parseValidAlerts(replayed.stdout);
    expect(alerts.map((a) => a.kestrel.events[0].file.Ext.original.path)).toContain(payload);
  }, 30_000);

  it('reload never weakens detection: a broken edit keeps the old version, new files are added (folder watch and SIGHUP)', async () => {
    const rulesDir = join(dir, 'rules-reload');
    mkdirSync(rulesDir);
    const ruleFile = join(rulesDir, 'hidden.eql');
    copyFileSync(RULE, ruleFile);
    const { run, io, exited, waitFor } = await startRun(['--rules', rulesDir, '--workers', '1', '--duration', '25']);

    // A broken edit: reported with file:line:col, and the previous version keeps running.
    writeFileSync(ruleFile, readFileSync(RULE, 'utf8') + '\n  and process.name ==\n');
    await waitFor('reload', () => io.stderr.includes('rule files changed: reload: ruleset generation 2'), 8_000);
    expect(io.stderr).toMatch(new RegExp(`${ruleFile.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:\\d+:\\d+`));
    expect(io.stderr).toContain('1 kept at their previous version');
    const payload = join(dir, 'reload-payload');
    copyFileSync('/bin/true', payload);
    renameSync(payload, join(dir, '.reload-payload'));
    await waitFor('alert from the kept rule', () => io.stdout.includes('\n'), 3000);

    // A new rule file, picked up on SIGHUP as well.
    writeFileSync(join(rulesDir, 'new.eql'), '// id: 11111111-2222-3333-4444-555555555555\n// name: Reload test rule\n// severity: low\n// risk_score: 1\nprocess where process.name == "kestrel-reload-test-never"\n');
    await new Promise((r) => setTimeout(r, 100));
    run.kill('SIGHUP');
    await waitFor('added', () => /added 1: Reload test rule/.test(io.stderr), 8_000);
    run.kill('SIGTERM');
    expect((await exited).code).toBe(0);
    expect(JSON.parse(io.stdout.split('\n')[0]).rule.name).toBe('File renamed to a hidden name in a world-writable directory');
  }, 40_000);

  it('names what ran from a memfd or a deleted file as the kernel does (/memfd:NAME (deleted)), name from comm', async () => {
    const rule = join(dir, 'fileless.eql');
    writeFileSync(rule, '// id: 22222222-3333-4444-5555-666666666666\n// name: Exec of an unlinked file (test)\n// severity: low\n// risk_score: 1\nprocess where event.action == "exec" and process.executable : ("/memfd:kestrel-*", "*/kestrel-gone-*")\n');
    const { run, io, exited } = await startRun(['--rules', rule, '--workers', '0', '--duration', '20']);
    const gone = join(dir, 'kestrel-gone-true');
    // fexecve of a memfd holding /bin/true, and of a file unlinked after it was opened.
    const script = [
      'import os, sys',
      'def fexec(fd):',
      '    pid = os.fork()',
      '    if pid == 0:',
      '        os.execve(fd, ["x"], {})',
      '    os.waitpid(pid, 0)',
      'm = os.memfd_create("kestrel-exec", 0)',
      'os.write(m, open("/bin/true", "rb").read())',
      'fexec(m)',
      `open(${JSON.stringify(gone)}, "wb").write(open("/bin/true", "rb").read())`,
      `os.chmod(${JSON.stringify(gone)}, 0o755)`,
      `g = os.open(${JSON.stringify(gone)}, os.O_RDONLY)`,
      `os.unlink(${JSON.stringify(gone)})`,
      'fexec(g)',
    ].join('\n');
    execFileSync('python3', ['-c', script]);
    for (const deadline = Date.now() + 5000; io.stdout.split('\n').length < 3; await new Promise((r) => setTimeout(r, 20))) {
      if (Date.now() > deadline) throw new Error(`expected 2 alerts, got: ${io.stdout}; stderr: ${io.stderr}`);
    }
    run.kill('SIGTERM');
    expect((await exited).code).toBe(0);
    const procs = io.stdout.trim().split('\n').map((l) => JSON.parse(l).kestrel.events[0].process);
    expect(procs.map((p: { executable: string }) => p.executable).sort()).toEqual(['/memfd:kestrel-exec (deleted)', `${gone} (deleted)`]);
    // The comm the kernel gave the new program (for fexecve the file's name, cut to 15 bytes, or
    // the fd number on older kernels), never the basename of a path ending in "(deleted)".
    const byExe = new Map(procs.map((p: { executable: string; name: string }) => [p.executable, p.name]));
    expect(byExe.get('/memfd:kestrel-exec (deleted)')).toMatch(/^(memfd:kestrel-e|\d+)$/);
    expect(byExe.get(`${gone} (deleted)`)).toMatch(/^(kestrel-gone-tr|\d+)$/);
  }, 30_000);

  it('a sample rule alerts seconds after the act, not when run exits', async () => {
    const { run, io, exited } = await startRun(['--rules', 'rules/execution/base64_payload_piped_to_shell.eql', '--workers', '1', '--duration', '20']);
    const actedAt = Date.now();
    execFileSync('bash', ['-c', 'echo ZWNobyBoaQo= | base64 -d | sh'], { stdio: 'ignore' });
    for (const deadline = actedAt + 3000; !io.stdout.includes('\n'); await new Promise((r) => setTimeout(r, 20))) {
      if (Date.now() > deadline) throw new Error(`no sample alert within 3 s; stderr: ${io.stderr}`);
    }
    // Well before --duration ends: the verdict came while running.
    expect(Date.now() - actedAt).toBeLessThan(3000);
    run.kill('SIGTERM');
    expect((await exited).code).toBe(0);
    const alert = JSON.parse(io.stdout.split('\n')[0]!);
    expect(alert.rule.name).toMatch(/base64/i);
    // sh is a link: the kernel reports the binary it runs (dash on Debian).
    const names = alert.kestrel.events.map((e: { process: { name: string } }) => e.process.name);
    expect(names[0]).toBe('base64');
    expect(['sh', 'dash', 'bash']).toContain(names[1]);
  }, 30_000);
});

// Live trigger tests (#17): every bundled rule with a `<rule>.trigger.sh` beside it is proven on
// real activity. One `kestrel run` watches the host with those rules; each trigger script performs
// the behaviour for real inside a throw-away mount + network namespace (`unshare --mount --net`;
// the scripts cover what they touch with a private tmpfs), and the rule's alert must arrive. The
// host's copies of the folders the scripts touch must be unchanged afterwards. `kestrel coverage`
// reports these scripts as the live verification of each technique.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distModule } from './helpers/dist.js';
import { EBPF_UNAVAILABLE, ebpfSuiteTitle, requireEbpfWhenAsked } from './helpers/ebpf.js';
import { parseValidAlerts, wholeLines } from './helpers/alert-schema.js';
import { startKestrelRun } from './helpers/live-run.js';

requireEbpfWhenAsked();

function triggers(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...triggers(p));
    else if (name.endsWith('.trigger.sh')) out.push(p);
  }
  return out;
}

const TRIGGERS = triggers('rules');
const ruleIdOf = (eql: string) => /^\/\/ id: (\S+)/m.exec(readFileSync(eql, 'utf8'))![1]!;

/** Names and mtimes under the host folders the scripts cover with tmpfs. */
function hostSnapshot(): string {
  const lines: string[] = [];
  lines.push(`/etc/ld.so.preload ${existsSync('/etc/ld.so.preload')}`, `/root/.ssh/authorized_keys ${statSync('/root/.ssh/authorized_keys', { throwIfNoEntry: false })?.mtimeMs}`);
  for (const dir of ['/etc/pam.d', '/etc/profile.d', '/root', '/etc/cron.d', '/etc/systemd/system', '/etc/sudoers.d']) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) {
      const st = statSync(join(dir, name), { throwIfNoEntry: false });
      lines.push(`${dir}/${name} ${st?.mtimeMs ?? 'gone'} ${st?.size ?? ''}`);
    }
  }
  return lines.join('\n');
}

describe.skipIf(EBPF_UNAVAILABLE !== undefined)(ebpfSuiteTitle('bundled rules fire on real activity (live triggers in throw-away namespaces)'), () => {
  const dir = realpathSync(mkdtempSync('/tmp/kestrel-trigger-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  beforeAll(() => {
    distModule('main/cli.js');
  });

  it('there are live triggers for the own rules', () => {
    expect(TRIGGERS.length).toBeGreaterThanOrEqual(18);
    for (const t of TRIGGERS) expect(existsSync(t.replace(/\.trigger\.sh$/, '.eql')), t).toBe(true);
  });

  it('each trigger raises its rule’s alert, and the host is unchanged', async () => {
    const rules = TRIGGERS.map((t) => t.replace(/\.trigger\.sh$/, '.eql'));
    const out = join(dir, 'alerts.ndjson');
    const { run, io, exited } = await startKestrelRun(['--rules', ...rules, '--output', out, '--workers', '0']);
    const before = hostSnapshot();
    const missed: string[] = [];
    try {
      for (const t of TRIGGERS) {
        const id = ruleIdOf(t.replace(/\.trigger\.sh$/, '.eql'));
        const r = spawnSync('unshare', ['--mount', '--net', '--fork', 'sh', '-eu', t], { encoding: 'utf8', timeout: 30_000 });
        expect(r.status, `${t}: ${r.stderr}`).toBe(0);
        const fired = () => existsSync(out) && parseValidAlerts(wholeLines(readFileSync(out, 'utf8'))).some((a) => a.rule.id === id);
        const deadline = Date.now() + 8_000;
        while (!fired() && Date.now() < deadline) await new Promise((res) => setTimeout(res, 50));
        if (!fired()) missed.push(t);
      }
    } finally {
      run.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(missed, `no alert for these triggers; stderr: ${io.stderr}`).toEqual([]);
    // Once Kestrel has exited, every line it wrote is whole.
    const written = readFileSync(out, 'utf8');
    expect(written.endsWith('\n')).toBe(true);
    expect(parseValidAlerts(written).length).toBeGreaterThanOrEqual(TRIGGERS.length);
    expect(hostSnapshot()).toBe(before);
  }, 240_000);
});

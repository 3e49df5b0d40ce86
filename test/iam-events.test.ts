// Account changes as ECS iam events (src/main/sensor/account-changes.ts): the target named on the
// tool's command line, and — live, under eBPF — Elastic's account rules firing on real useradd,
// groupadd, userdel and groupdel runs inside a throw-away mount + network namespace whose /etc is a
// private copy (the host's accounts never change).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { accountChangeOf } from '../src/main/sensor/account-changes.js';
import { distModule } from './helpers/dist.js';
import { EBPF_UNAVAILABLE, ebpfSuiteTitle, requireEbpfWhenAsked } from './helpers/ebpf.js';
import { parseValidAlerts, wholeLines } from './helpers/alert-schema.js';
import { startKestrelRun } from './helpers/live-run.js';

describe('accountChangeOf', () => {
  it('finds the account after options, with and without values', () => {
    expect(accountChangeOf('useradd', ['useradd', '-m', '-s', '/bin/sh', '-G', 'sudo', 'mallory'])).toEqual({ kind: 'user', type: 'creation', action: 'added-user-account', target: 'mallory' });
    expect(accountChangeOf('useradd', ['useradd', '-mu', '0', '-o', 'toor'])?.target).toBe('toor');
    expect(accountChangeOf('useradd', ['useradd', '-u0', '--home-dir', '/root', '--comment=x', 'toor'])?.target).toBe('toor');
    expect(accountChangeOf('usermod', ['usermod', '-aG', 'sudo', 'bob'])).toMatchObject({ type: 'change', target: 'bob' });
    expect(accountChangeOf('groupadd', ['groupadd', '-g', '2000', 'ops'])).toMatchObject({ kind: 'group', type: 'creation', target: 'ops' });
    expect(accountChangeOf('userdel', ['userdel', '-r', 'bob'])).toMatchObject({ kind: 'user', type: 'deletion', target: 'bob' });
    expect(accountChangeOf('passwd', ['passwd'])).toEqual({ kind: 'user', type: 'change', action: 'changed-password', target: undefined });
    expect(accountChangeOf('bash', ['bash', '-c', 'useradd x'])).toBeNull();
  });
});

requireEbpfWhenAsked();

const CORPUS = '../shared/rules-corpus/elastic-detection-rules/linux';
const RULES = ['persistence_linux_user_account_creation.toml', 'persistence_linux_group_creation.toml', 'defense_evasion_user_or_group_deletion.toml'];

describe.skipIf(EBPF_UNAVAILABLE !== undefined)(ebpfSuiteTitle('iam events from real account tools (live)'), () => {
  const dir = realpathSync(mkdtempSync('/tmp/kestrel-iam-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("Elastic's account rules fire on real useradd / groupadd / userdel / groupdel, not on a failed useradd", async () => {
    distModule('main/cli.js');
    const rules = RULES.map((r) => join(CORPUS, r));
    for (const r of rules) expect(existsSync(r), r).toBe(true);
    const out = join(dir, 'alerts.ndjson');
    const { run, exited } = await startKestrelRun(['--rules', ...rules, '--output', out, '--workers', '0']);
    const passwd = readFileSync('/etc/passwd', 'utf8');
    // /etc is a private copy and /home a tmpfs inside the namespace.
    const script = 'mount -t tmpfs kestrel-trigger /tmp; cp -a /etc /tmp/etc; mount --bind /tmp/etc /etc; mount -t tmpfs kestrel-trigger /home; ' +
      'useradd -m -s /bin/sh kestrel-iam-user; groupadd kestrel-iam-group; userdel -r kestrel-iam-user; groupdel kestrel-iam-group; ' +
      'useradd root 2>/dev/null || true';
    const r = spawnSync('unshare', ['--mount', '--net', '--fork', 'sh', '-euc', script], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const names = () => (existsSync(out) ? parseValidAlerts(wholeLines(readFileSync(out, 'utf8'))).map((a) => a.rule.name as string) : []);
    for (const deadline = Date.now() + 10_000; names().length < 4 && Date.now() < deadline; ) await new Promise((res) => setTimeout(res, 50));
    await new Promise((res) => setTimeout(res, 500)); // anything extra (a failed useradd) would arrive now
    run.kill('SIGINT');
    expect(await exited).toBe(0);
    const alerts = parseValidAlerts(readFileSync(out, 'utf8'));
    expect(alerts.map((a) => a.rule.name).sort()).toEqual(['Linux Group Creation', 'Linux User Account Creation', 'Linux User or Group Deletion', 'Linux User or Group Deletion']);
    const created = alerts.find((a) => a.rule.name === 'Linux User Account Creation')!;
    const ev = created.kestrel.events[0];
    expect(ev.event).toMatchObject({ category: ['iam'], type: ['user', 'creation'], action: 'added-user-account', outcome: 'success' });
    expect(ev.user.name).toBe('kestrel-iam-user');
    expect(ev.process.name).toBe('useradd');
    expect(readFileSync('/etc/passwd', 'utf8')).toBe(passwd);
  }, 120_000);
});

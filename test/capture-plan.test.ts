// What the sensor captures for a rule set (src/main/sensor/capture-plan.ts): the file and folder
// names whose read-only opens become events, and the environment variables kept at exec.
import { describe, expect, it } from 'vitest';
import { DEFAULT_ENV_NAMES, capturePlanOf, defaultCapturePlan } from '../src/main/sensor/capture-plan.js';

describe('capture plan from rules', () => {
  it('watches the file names a read-capable file rule compares file.path / file.name with', () => {
    const p = capturePlanOf([
      'file where event.action == "open" and file.path in ("/etc/shadow", "/root/.ssh/*")',
      'file where file.name : "id_rsa" and process.name != "ssh"',
      'any where file.path == "/var/lib/secret.db"',
    ]);
    expect(p.watchFiles).toEqual(['id_rsa', 'secret.db', 'shadow']);
    expect(p.watchDirs).toEqual(['.ssh']);
  });

  it('ignores rules that only match writes, other categories, and names under a negation', () => {
    const p = capturePlanOf([
      'file where event.type in ("creation", "change") and file.path == "/etc/cron.d/x"',
      'file where event.action == "modification" and file.name == "authorized_keys"',
      'process where process.executable == "/usr/bin/cat" and process.args == "/etc/gshadow"',
      'file where event.action == "open" and file.name == "token" and not file.path == "/etc/exclusion"',
      'file where event.action == "open" and not file.name in ("noise.txt")',
    ]);
    expect(p.watchFiles).toEqual(['token']);
    expect(p.watchDirs).toEqual([]);
  });

  it('keeps names every process reads out of the kernel filter, and reports wildcard names it cannot watch', () => {
    const p = capturePlanOf([
      'file where event.action == "open" and file.path in ("/etc/passwd", "/home/alice/.bashrc", "/etc/*", "/etc/sudoers*", "/opt/app/*.pem")',
    ]);
    expect(p.watchFiles).toEqual([]);
    expect(p.watchDirs).toEqual([]);
    expect(p.hot).toEqual(['.bashrc', 'etc/', 'passwd']);
    expect(p.partial).toEqual(['/etc/sudoers*', '/opt/app/*.pem']);
  });

  it('refuses names the kernel key cannot hold, and nothing else', () => {
    const long = 'x'.repeat(32);
    const p = capturePlanOf([`file where event.action == "open" and file.name in ("${long}", "ok.key")`]);
    expect(p.watchFiles).toEqual(['ok.key']);
    expect(p.dropped).toEqual([long]);
  });

  it('environment names from process.env_vars patterns, case variants for insensitive ones, plus the defaults and config', () => {
    const p = capturePlanOf([
      'process where process.env_vars : "*GLIBC_TUNABLES=glibc.*"',
      'process where process.env_vars like~ ("http_proxy=socks5h://*")',
      'process where process.env_vars == "MY_APP_MODE=debug" and not process.env_vars like "NOISE=*"',
      'process where process.env_vars : "*=*"',
    ], { envNames: ['CUSTOM_VAR'] });
    for (const n of ['GLIBC_TUNABLES', 'http_proxy', 'HTTP_PROXY', 'MY_APP_MODE', 'NOISE', 'CUSTOM_VAR', ...DEFAULT_ENV_NAMES]) expect(p.envNames).toContain(n);
    expect(p.envNames).not.toContain('');
  });

  it('kestrel record (no rules) watches the default sensitive files plus the configured ones', () => {
    const p = defaultCapturePlan({ watchFiles: ['vault.kdbx'], watchDirs: ['.password-store'] });
    expect(p.watchFiles).toEqual(expect.arrayContaining(['shadow', 'gshadow', 'id_rsa', '.bash_history', 'vault.kdbx']));
    expect(p.watchDirs).toEqual(expect.arrayContaining(['.ssh', '.password-store']));
  });
});

// `kestrel coverage`: ATT&CK technique → rules → live trigger, and docs/coverage.md generated from it.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { distModule } from './helpers/dist.js';

function kestrel(...args: string[]) {
  distModule('main/cli.js');
  return spawnSync(process.execPath, ['bin/kestrel', ...args], { encoding: 'utf8' });
}

describe('kestrel coverage', () => {
  it('maps each technique to its rules and names the live trigger that verifies a rule', () => {
    const r = kestrel('coverage', '--format', 'json');
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    const pam = report.techniques.find((t: { tactic: { id: string }; technique: { id: string } }) => t.tactic.id === 'TA0003' && t.technique.id === 'T1556.003');
    expect(pam.rules.map((x: { name: string }) => x.name)).toEqual(['PAM configuration or module changed']);
    expect(pam.rules[0].liveTrigger).toBe('rules/persistence/pam_configuration_or_module_changed.trigger.sh');
    expect(pam.verifiedLive).toBe(true);
    // A technique whose rules have no trigger script is reported as not verified live.
    const ptrace = report.techniques.find((t: { technique: { id: string } }) => t.technique.id === 'T1055.008');
    expect(ptrace.verifiedLive).toBe(false);
    expect(report.rules).toBeGreaterThanOrEqual(34);
    const live = report.techniques.filter((t: { verifiedLive: boolean }) => t.verifiedLive).length;
    expect(live).toBeGreaterThanOrEqual(10);
    expect(report.tactics.reduce((n: number, t: { verifiedLive: number }) => n + t.verifiedLive, 0)).toBe(live);
  });

  it('reads Elastic TOML rules with their technique names beside the bundled ones', () => {
    const r = kestrel('coverage', '--format', 'json', 'rules', '../shared/rules-corpus/elastic-detection-rules');
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.rules).toBeGreaterThan(400);
    expect(report.techniques.some((t: { technique: { name?: string } }) => typeof t.technique.name === 'string')).toBe(true);
  });

  it('docs/coverage.md is the generated page, up to date', () => {
    const r = kestrel('coverage', '--format', 'markdown');
    expect(r.status).toBe(0);
    expect(readFileSync('docs/coverage.md', 'utf8')).toBe(r.stdout);
  });

  it('refuses an unknown format (64) and a missing path (2)', () => {
    expect(kestrel('coverage', '--format', 'xml').status).toBe(64);
    expect(kestrel('coverage', '/nonexistent/rules').status).toBe(2);
  });
});

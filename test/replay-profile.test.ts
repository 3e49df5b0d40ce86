// `kestrel replay --profile`: per-rule costs, through the CLI. The profile must not change the
// alerts, and its counts must agree with what the run did.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KESTREL_BIN } from './helpers/dist.js';

const dir = mkdtempSync(join(tmpdir(), 'kestrel-profile-'));
const capture = join(dir, 'synth.bin');
// The bundled EQL rules (the profile lists each one).
const RULES = readdirSync('rules', { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.eql')).length;
const kestrel = (...args: string[]) => spawnSync(process.execPath, [KESTREL_BIN, ...args], { encoding: 'utf8' });

describe('replay --profile', () => {
  it('prints each rule\'s evaluations, true steps, deliveries and time without changing the alerts', () => {
    expect(kestrel('synth', '--events', '20000', '--seed', '5', '-o', capture).status).toBe(0);
    const plain = kestrel('replay', capture, '--rules', 'rules', '--workers', '0');
    expect(plain.status).toBe(0);
    const json = join(dir, 'profile.json');
    const profiled = kestrel('replay', capture, '--rules', 'rules', '--profile-json', json);
    expect(profiled.status, profiled.stderr).toBe(0);
    expect(profiled.stdout).toBe(plain.stdout);
    expect(profiled.stderr).toMatch(new RegExp(`profile of ${RULES} rules over 20000 events`));
    const p = JSON.parse(readFileSync(json, 'utf8')) as { events: number; rules: { rule: string; predicateCalls: number; trueSteps: number; delivered: number; predicateMs: number; stateMs: number }[] };
    expect(p.events).toBe(20000);
    expect(RULES).toBeGreaterThan(30);
    expect(p.rules).toHaveLength(RULES);
    for (const r of p.rules) {
      expect(r.trueSteps).toBeLessThanOrEqual(r.predicateCalls);
      // An engine gets an event only for a true step of its rule (at most once per event).
      expect(r.delivered).toBeLessThanOrEqual(r.trueSteps);
      expect(r.predicateMs).toBeGreaterThanOrEqual(0);
      expect(r.stateMs).toBeGreaterThanOrEqual(0);
    }
    // Predicate time is timed, not left at zero: the rules evaluated most get a figure.
    const busiest = [...p.rules].sort((a, b) => b.predicateCalls - a.predicateCalls).slice(0, 10);
    expect(busiest.filter((r) => r.predicateMs > 0).length, JSON.stringify(busiest.map((r) => [r.rule, r.predicateCalls, r.predicateMs]))).toBeGreaterThanOrEqual(5);
    // Every alerting rule had steps that were true and delivered.
    const alerting = new Set(plain.stdout.trim().split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { rule: { name: string } }).rule.name));
    expect(alerting.size).toBeGreaterThan(0);
    for (const name of alerting) expect(p.rules.find((r) => r.rule === name)!.delivered).toBeGreaterThan(0);
  });

  it('refuses to profile across workers rather than ignore --workers', () => {
    const r = kestrel('replay', capture, '--rules', 'rules', '--profile', '--workers', '2');
    expect(r.status).toBe(64);
    expect(r.stderr).toMatch(/--profile runs single-threaded/);
  });
});

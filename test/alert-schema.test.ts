// Alerts are ECS documents of one documented shape (docs/alert.schema.json): every alert of a
// replay of synthetic host activity under the bundled rules and Elastic's corpus is validated,
// ids are stable across worker counts and distinct per match, and the header the sinks read off
// the front of a line agrees with the full parse.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KESTREL_BIN, distModule } from './helpers/dist.js';
import { CORPUS } from './helpers/shared.js';
import { alertSchemaProblems, parseValidAlerts } from './helpers/alert-schema.js';
import { alertHeader, alertId } from '../src/shared/pipeline/alert.js';
import { alertThreat } from '../src/shared/pipeline/alert-threat.js';

const dir = mkdtempSync(join(tmpdir(), 'kestrel-alert-schema-'));
const capture = join(dir, 'synth.bin');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function kestrel(...args: string[]) {
  const r = spawnSync(process.execPath, [KESTREL_BIN, ...args], { encoding: 'utf8', maxBuffer: 1 << 28, env: { ...process.env, KESTREL_LOG_LEVEL: 'warn' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

let w0 = '';
beforeAll(() => {
  distModule('main/cli.js');
  expect(kestrel('synth', '--events', '60000', '--seed', '3', '-o', capture).code).toBe(0);
  const r = kestrel('replay', capture, '--rules', 'rules/', CORPUS, '--workers', '0');
  expect(r.code, r.err).toBe(0);
  w0 = r.out;
}, 180_000);

describe('alert shape', () => {
  it('every alert of a full-corpus replay matches docs/alert.schema.json', () => {
    const alerts = parseValidAlerts(w0);
    expect(alerts.length).toBeGreaterThan(10);
    expect(new Set(alerts.map((a) => a.rule.id)).size).toBeGreaterThan(5);
    for (const a of alerts) {
      expect(a.kestrel.alert.id).toBe(a.event.id);
      expect(a.event.severity).toBe({ low: 21, medium: 47, high: 73, critical: 99 }[a.kestrel.alert.severity as string]);
      // host.* comes from the completing event, so a replay says which host raised it.
      expect(a.host.hostname).toBe(a.kestrel.events.findLast((e: unknown) => e !== null).host.hostname);
    }
  });

  it('alert ids are distinct per match and the same for 2 workers', () => {
    const ids = parseValidAlerts(w0).map((a) => a.event.id);
    expect(new Set(ids).size).toBe(ids.length);
    const w2 = kestrel('replay', capture, '--rules', 'rules/', CORPUS, '--workers', '2');
    expect(w2.out).toBe(w0);
  }, 180_000);

  it('the line header sinks read agrees with the parsed alert', () => {
    for (const line of w0.split('\n').filter(Boolean)) {
      const a = JSON.parse(line);
      expect(alertHeader(line)).toEqual({ id: a.event.id, severity: a.kestrel.alert.severity, ruleId: a.rule.id });
    }
  });

  it('the schema rejects the old non-ECS shape and a wrong severity number', () => {
    const a = parseValidAlerts(w0)[0]!;
    expect(alertSchemaProblems({ ...a, rule: { ...a.rule, severity: 'high' } }).join()).toMatch(/must NOT have additional properties/);
    expect(alertSchemaProblems({ ...a, event: { ...a.event, severity: 50 } }).join()).toMatch(/event\/severity/);
    expect(alertSchemaProblems({ ...a, events: a.kestrel.events }).join()).toMatch(/additional properties/);
  });
});

describe('alert id', () => {
  const ev = (seq: number, time: number) => ({ seq, time, view: null });
  it('depends on the rule, each event seq and time, and missing-event slots', () => {
    const base = alertId('r1', { events: [ev(1, 1000), ev(2, 2000)], joinKeys: [] });
    expect(base).toMatch(/^[0-9a-f]{32}$/);
    expect(alertId('r1', { events: [ev(1, 1000), ev(2, 2000)], joinKeys: ['x'] })).toBe(base);
    expect(alertId('r2', { events: [ev(1, 1000), ev(2, 2000)], joinKeys: [] })).not.toBe(base);
    expect(alertId('r1', { events: [ev(1, 1000), ev(3, 2000)], joinKeys: [] })).not.toBe(base);
    // A second live run counts seqs from 1 again: the event times keep its ids apart.
    expect(alertId('r1', { events: [ev(1, 5000), ev(2, 6000)], joinKeys: [] })).not.toBe(base);
    expect(alertId('r1', { events: [ev(1, 1000), null], joinKeys: [] })).not.toBe(alertId('r1', { events: [ev(1, 1000)], joinKeys: [] }));
  });
});

describe('threat.* in ECS', () => {
  it('flattens tactic/technique/subtechnique into parallel arrays, without empty name arrays', () => {
    const t = alertThreat([
      { framework: 'MITRE ATT&CK', tactic: { id: 'TA0002', name: 'Execution', reference: 'https://attack.mitre.org/tactics/TA0002/' }, technique: [{ id: 'T1059', name: 'Command and Scripting Interpreter', subtechnique: [{ id: 'T1059.004', name: 'Unix Shell' }] }] },
      { framework: 'MITRE ATT&CK', tactic: { id: 'TA0003' }, technique: [{ id: 'T1059' }] },
    ]);
    expect(t).toEqual({
      framework: 'MITRE ATT&CK',
      tactic: { id: ['TA0002', 'TA0003'], name: ['Execution', ''], reference: ['https://attack.mitre.org/tactics/TA0002/', ''] },
      technique: { id: ['T1059'], name: ['Command and Scripting Interpreter'], subtechnique: { id: ['T1059.004'], name: ['Unix Shell'] } },
    });
    expect(alertThreat([])).toBeUndefined();
  });
});

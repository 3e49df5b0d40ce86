// The responder's decisions without killing anything (src/main/response/responder.ts): a fake
// /proc says which processes exist; dry-run is the furthest these cases go. The live kill is in
// test/response-live.test.ts.
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Responder, type ResponderOptions } from '../src/main/response/responder.js';
import { entityId } from '../src/main/sensor/entity-id.js';
import type { RuleSpec } from '../src/shared/pipeline/ruleset.js';
import { parseValidAlerts } from './helpers/alert-schema.js';

const BOOT = 'boot-1';
const proc = mkdtempSync(join(tmpdir(), 'kestrel-fake-proc-'));
/** A fake /proc/PID with start ticks and (unless a kernel thread) an exe link. */
function fakeProcess(pid: number, ticks: number, exe: string | null, ppid = 1) {
  mkdirSync(join(proc, String(pid)), { recursive: true });
  // Fields after ")": state ppid pgrp session tty tpgid flags … starttime is the 20th.
  const rest = ['S', ppid, pid, pid, 0, -1, 4194560, ...Array(12).fill(0), ticks, 0].join(' ');
  writeFileSync(join(proc, String(pid), 'stat'), `${pid} (na me) ${rest}\n`);
  if (exe) symlinkSync(exe, join(proc, String(pid), 'exe'));
}
fakeProcess(500, 1234, '/usr/bin/sleep');
fakeProcess(501, 99, null);
fakeProcess(502, 77, '/opt/agent/bin/agentd');

const rule = (actions: RuleSpec['actions']): RuleSpec => ({
  id: 'r1', name: 'n', description: '', severity: 'high', riskScore: 73, version: 1, tags: [], threat: [], language: 'eql', query: 'x', file: 'f', dialect: 'endpoint', actions,
});
const KILL = [{ action: 'kill_process', field: 'process.entity_id', state: 0 }];

function alertLine(pid: number, entity: string, extra = '') {
  const event = { '@timestamp': '2026-12-06T10:00:00.000Z', process: { pid, entity_id: entity, executable: '/usr/bin/sleep' } };
  return `{"@timestamp":"2026-12-06T10:00:00.000Z","event":{"id":"0123456789abcdef0123456789abcdef","kind":"alert","severity":73,"risk_score":73,"module":"kestrel","dataset":"kestrel.alert"},"ecs":{"version":"8.11.0"},"rule":{"id":"r1","name":"n","version":"1","description":""},"kestrel":{"alert":{"id":"0123456789abcdef0123456789abcdef","severity":"high"},"seq":1,"join_keys":[${extra}],"events":[${JSON.stringify(event)}]}}\n`;
}

function respond(line: string, o: Partial<ResponderOptions> = {}, actions = KILL) {
  const r = new Responder([rule(actions)], { mode: 'dry-run', bootId: BOOT, proc, nowUs: () => Date.parse('2026-12-06T10:00:00.250Z') * 1000, ...o });
  const out = r.handle(line);
  return { out, response: JSON.parse(out).kestrel.response };
}

describe('Responder', () => {
  const live = entityId(BOOT, 500, 1234);

  it('dry-run: decides "would kill" for the exact process, with the latency from the event', () => {
    const { out, response } = respond(alertLine(500, live));
    expect(response).toEqual([{ action: 'kill_process', mode: 'dry-run', field: 'process.entity_id', state: 0, target: { pid: 500, entity_id: live, executable: '/usr/bin/sleep' }, result: 'would kill', latency_us: 250_000 }]);
    expect(parseValidAlerts(out)).toHaveLength(1);
  });

  it('a pid that now belongs to another process, or none, is never acted on', () => {
    expect(respond(alertLine(500, entityId(BOOT, 500, 1233))).response[0].result).toBe('gone (pid now belongs to another process)');
    expect(respond(alertLine(777, entityId(BOOT, 777, 1))).response[0].result).toBe('gone');
  });

  it('refuses pid 1, kernel threads, Kestrel and its ancestors, and allow-listed executables', () => {
    expect(respond(alertLine(1, 'x')).response[0].result).toBe('refused: pid 1');
    expect(respond(alertLine(501, entityId(BOOT, 501, 99))).response[0].result).toBe('refused: kernel thread');
    const self = new Responder([rule(KILL)], { mode: 'enforce', bootId: BOOT }).handle(alertLine(process.pid, 'anything'));
    expect(JSON.parse(self).kestrel.response[0].result).toBe('refused: Kestrel or one of its ancestors');
    const parent = new Responder([rule(KILL)], { mode: 'enforce', bootId: BOOT }).handle(alertLine(process.ppid, 'anything'));
    expect(JSON.parse(parent).kestrel.response[0].result).toBe('refused: Kestrel or one of its ancestors');
    expect(respond(alertLine(500, live), { allow: ['/usr/bin/s*'] }).response[0].result).toBe('refused: allow-listed executable');
  });

  it('rate-limits each rule', () => {
    const r = new Responder([rule(KILL)], { mode: 'dry-run', bootId: BOOT, proc, maxPerMinute: 2, nowUs: () => 1e15 });
    const results = [1, 2, 3].map(() => JSON.parse(r.handle(alertLine(500, live))).kestrel.response[0].result);
    expect(results).toEqual(['would kill', 'would kill', 'refused: rate limit (2 per minute for this rule)']);
  });

  it('off and replay never act; replay reports the target only, with no clock in it', () => {
    expect(respond(alertLine(500, live), { mode: 'off' }).response[0].result).toBe('disabled');
    const replay = respond(alertLine(500, live), { mode: 'replay' }).response[0];
    expect(replay).toEqual({ action: 'kill_process', mode: 'replay', field: 'process.entity_id', state: 0, target: { pid: 500, entity_id: live, executable: '/usr/bin/sleep' }, result: 'not acted (replay)' });
  });

  it('unknown actions and missing targets are refused, named', () => {
    expect(respond(alertLine(500, live), {}, [{ action: 'isolate_host', field: 'host.id', state: 0 }]).response[0].result).toBe('refused: unsupported action isolate_host');
    expect(respond(alertLine(500, live), {}, [{ action: 'kill_process', field: 'process.parent.entity_id', state: 0 }]).response[0].result).toMatch(/^refused: no process\.parent\.entity_id/);
  });

  it('keeps the rest of the line byte for byte (64-bit integers are not rounded), and leaves other rules alone', () => {
    const line = alertLine(500, live, '18446744073709551615');
    const { out } = respond(line);
    expect(out.startsWith(line.slice(0, line.indexOf('"events"')))).toBe(true);
    expect(out).toContain('"join_keys":[18446744073709551615]');
    const other = new Responder([{ ...rule(KILL), id: 'other' }], { mode: 'enforce', bootId: BOOT, proc });
    expect(other.handle(line)).toBe(line);
  });
});

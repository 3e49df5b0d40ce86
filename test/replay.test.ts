// Whole-process tests of `kestrel replay`: the same capture and rules give byte-identical alerts
// for every worker count (0 = single thread), and across runs.
import { describe, expect, it, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KESTREL_BIN, distModule } from './helpers/dist.js';

const dir = mkdtempSync(join(tmpdir(), 'kestrel-replay-'));
const capture = join(dir, 'mixed.bin');

function kestrel(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [KESTREL_BIN, ...args], { encoding: 'utf8', env: { ...process.env, KESTREL_LOG_LEVEL: 'warn' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  distModule('main/cli.js');
  const r = kestrel('synth', '--events', '30000', '--seed', '11', '--attack-rate', '0.01', '-o', capture);
  expect(r.status, r.stderr).toBe(0);
});

describe('kestrel replay', () => {
  it('prints the same alerts, byte for byte, for 0, 1, 2, 3 and 8 workers', () => {
    const outputs = ['0', '1', '2', '3', '8'].map((w) => {
      const r = kestrel('replay', capture, '--rules', 'rules', '--workers', w);
      expect(r.status, r.stderr).toBe(0);
      return r.stdout;
    });
    const lines = outputs[0].trim().split('\n');
    expect(lines.length).toBeGreaterThan(20);
    // Sequence rules whose steps use different keys (parent entity → entity) fired too.
    const names = new Set(lines.map((l) => JSON.parse(l).rule.name));
    expect(names).toContain('Shell process opened an outbound network connection');
    for (const o of outputs.slice(1)) expect(o).toBe(outputs[0]);
    // Alerts come in ordering-seq order.
    const seqs = lines.map((l) => JSON.parse(l).kestrel.seq as number);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  });

  it('without --workers, replays a small capture on one thread; --workers 1 still starts a helper', () => {
    const debug = (...args: string[]) => {
      const r = spawnSync(process.execPath, [KESTREL_BIN, 'replay', capture, '--rules', 'rules', '--log-level', 'debug', ...args], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      return { stdout: r.stdout, messages: r.stderr.trim().split('\n').map((l) => JSON.parse(l) as { msg: string; records?: number; workers?: number }) };
    };
    const byDefault = debug();
    const small = byDefault.messages.find((m) => m.msg === 'small capture: replaying on one thread');
    expect(small?.records).toBe(30000);
    expect(byDefault.messages.find((m) => m.msg === 'replay done')?.workers).toBe(0);
    const asked = debug('--workers', '1');
    expect(asked.messages.some((m) => m.msg.startsWith('small capture'))).toBe(false);
    expect(asked.messages.find((m) => m.msg === 'replay done')?.workers).toBe(1);
    expect(asked.stdout).toBe(byDefault.stdout);
  });

  it('reports a broken rule at file:line:col and still runs the others', () => {
    const rules = join(dir, 'rules');
    mkdirSync(rules, { recursive: true });
    writeFileSync(join(rules, 'bad.eql'), '// id: bad-1\n// name: broken\nprocess where process.name = "sh"\n');
    writeFileSync(join(rules, 'good.eql'), '// id: good-1\n// name: any exec\nprocess where event.action == "exec" and process.name == "bash"\n');
    const r = kestrel('replay', capture, '--rules', rules, '--workers', '2');
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('bad.eql:3:28: syntax error: unexpected =');
    expect(r.stderr).toContain('hint: Compare with == instead of =');
    expect(r.stdout.trim().split('\n').length).toBeGreaterThan(10);
    expect(new Set(r.stdout.trim().split('\n').map((l) => JSON.parse(l).rule.id))).toEqual(new Set(['good-1']));
  });

  it('names the chunk and offset of a corrupt capture, and --skip-corrupt goes on', () => {
    const bytes = readFileSync(capture);
    const bad = join(dir, 'bad.bin');
    const copy = Buffer.from(bytes);
    copy[Math.floor(copy.length / 2)] ^= 0xff; // somewhere inside a chunk payload
    writeFileSync(bad, copy);
    const r = kestrel('replay', bad, '--rules', 'rules', '--workers', '1');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/chunk \d+ at byte \d+/);
    const skip = kestrel('replay', bad, '--rules', 'rules', '--workers', '1', '--skip-corrupt');
    expect(skip.status, skip.stderr).toBe(0);
  });
});

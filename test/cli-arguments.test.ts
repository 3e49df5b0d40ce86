// Every command takes arguments the same way and never ignores one silently; unusable outputs and
// inputs are input errors (exit 2, one clear line), and alert files are appended to, never truncated.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expandListOptions } from '../src/main/cli.js';
import { replayCommand } from '../src/main/commands/replay.js';
import { KESTREL_BIN, distModule } from './helpers/dist.js';

const dir = mkdtempSync(join(tmpdir(), 'kestrel-cli-args-'));
const capture = join(dir, 'cap.bin');
const env = { ...process.env, KESTREL_LOG_LEVEL: 'warn' };

function kestrel(...args: string[]) {
  const r = spawnSync(process.execPath, [KESTREL_BIN, ...args], { encoding: 'utf8', env, maxBuffer: 1 << 26 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeAll(() => {
  distModule('main/cli.js');
  expect(kestrel('synth', '--events', '20000', '--seed', '3', '-o', capture).code).toBe(0);
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('--rules takes several paths', () => {
  it('expands `--rules A B` up to the next option, keeps `--rules=A` and stops at --', () => {
    expect(expandListOptions(replayCommand, ['cap', '--rules', 'a', 'b', '--workers', '2', 'c'])).toEqual(['cap', '--rules', 'a', '--rules', 'b', '--workers', '2', 'c']);
    expect(expandListOptions(replayCommand, ['--rules=a', 'b'])).toEqual(['--rules=a', 'b']);
    expect(expandListOptions(replayCommand, ['--rules', 'a', '--', 'b'])).toEqual(['--rules', 'a', '--', 'b']);
  });

  it('replay CAP --rules A B loads both, as --rules A --rules B does', () => {
    const both = kestrel('replay', capture, '--rules', 'rules/credential_access', 'rules/persistence', '--workers', '0');
    const repeated = kestrel('replay', capture, '--rules', 'rules/credential_access', '--rules', 'rules/persistence', '--workers', '0');
    const first = kestrel('replay', capture, '--rules', 'rules/credential_access', '--workers', '0');
    expect(both.code, both.err).toBe(0);
    expect(both.out).toBe(repeated.out);
    // The second path really added rules (synth has persistence attacks).
    expect(both.out.split('\n').length).toBeGreaterThan(first.out.split('\n').length);
  }, 60_000);

  it('a capture given after --rules is explained, not guessed', () => {
    const r = kestrel('replay', '--rules', 'rules', capture);
    expect(r.code).toBe(64);
    expect(r.err).toContain('replay needs a capture');
  });

  it('commands without positional arguments reject them (exit 64) instead of ignoring them', () => {
    for (const args of [['run', '--rules', 'rules', '--duration', '1', '--', 'extra'], ['synth', '--events', '10', '--seed', '1', '-o', join(dir, 'x.bin'), 'extra']]) {
      const r = kestrel(...args);
      expect(r.code, args.join(' ')).toBe(64);
      expect(r.err).toContain('unexpected argument: extra');
    }
  });
});

describe('unusable outputs and inputs are input errors', () => {
  it('-o into a missing folder or onto a directory: exit 2, one line, no stack trace', () => {
    const sub = join(dir, 'a-dir');
    mkdirSync(sub);
    for (const [cmd, out, why] of [
      ['run', '/nonexistent/x.ndjson', 'its folder does not exist'],
      ['replay', '/nonexistent/x.ndjson', 'its folder does not exist'],
      ['run', sub, 'it is a directory'],
      ['replay', sub, 'it is a directory'],
    ] as const) {
      const args = cmd === 'run' ? ['run', '--rules', 'rules', '--duration', '1', '-o', out] : ['replay', capture, '--rules', 'rules', '-o', out];
      const r = kestrel(...args);
      expect(r.code, `${cmd} -o ${out}: ${r.err}`).toBe(2);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      expect(r.err).toContain(`cannot write alerts to ${out}: ${why}`);
      expect(r.err).not.toMatch(/\n\s+at /);
    }
  });

  it('a directory as a capture and a missing rule path: exit 2', () => {
    const r = kestrel('replay', dir, '--rules', 'rules');
    expect(r.code).toBe(2);
    expect(r.err).toContain('is a directory');
    expect(kestrel('check', '/nonexistent').code).toBe(2);
  });

  it('query and convert: a directory or a missing file as input is an input error naming it (exit 2)', () => {
    for (const input of [dir, join(dir, 'missing.ndjson')]) {
      for (const args of [['query', 'process where true', input], ['convert', input, join(dir, 'out.ndjson')]]) {
        const r = kestrel(...args);
        expect(r.code, `${args.join(' ')}: ${r.err}`).toBe(2);
        expect(r.err).toContain(`${input}: input error: cannot read:`);
        expect(r.err).not.toContain('internal error');
      }
    }
  });

  it('-o appends: alerts are a log, a second run adds to the first', () => {
    const out = join(dir, 'alerts.ndjson');
    const once = kestrel('replay', capture, '--rules', 'rules', '--workers', '0');
    expect(once.out.length).toBeGreaterThan(0);
    for (let i = 0; i < 2; i++) expect(kestrel('replay', capture, '--rules', 'rules', '--workers', '0', '-o', out).code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe(once.out + once.out);
  }, 60_000);
});

describe('memory caps: the same options for run, replay and query', () => {
  it('each command lists them', () => {
    for (const cmd of ['run', 'replay', 'query']) {
      const help = kestrel(cmd, '--help').out;
      for (const flag of ['--max-partials N', '--max-partials-per-key N', '--max-partials-total N']) expect(help, cmd).toContain(flag);
    }
  });

  it('query evicts beyond the cap and says so; without a cap hit, no warning', () => {
    const file = join(dir, 'flood.ndjson');
    const lines = Array.from({ length: 3000 }, (_, i) => JSON.stringify({ '@timestamp': i, event: { category: 'process' }, process: { entity_id: `e${i}`, name: 'bash' } }));
    lines.push(JSON.stringify({ '@timestamp': 5000, event: { category: 'network' }, process: { entity_id: 'e0' } }));
    lines.push(JSON.stringify({ '@timestamp': 5001, event: { category: 'network' }, process: { entity_id: 'e2999' } }));
    writeFileSync(file, lines.join('\n') + '\n');
    const q = 'sequence by process.entity_id [process where process.name == "bash"] [network where true]';
    const capped = kestrel('query', '--max-partials', '100', '--id-field', 'process.entity_id', q, file);
    expect(capped.code).toBe(0);
    // The oldest partials went: e0's sequence is lost, the newest key's survives.
    expect(capped.out).toBe('["e2999","e2999"]\n');
    expect(capped.err).toContain('memory caps evicted sequence partials (per key 0, per rule 2900,');
    const free = kestrel('query', '--id-field', 'process.entity_id', q, file);
    expect(free.out).toBe('["e0","e0"]\n["e2999","e2999"]\n');
    expect(free.err).toBe('');
  });
});

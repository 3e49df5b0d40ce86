// `replay --progress`: a progress line on stderr (redrawn with \r, cleared at the end), never
// mixed into the alerts on stdout; off by default when stderr is not a terminal; --no-progress wins.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KESTREL_BIN, distModule } from './helpers/dist.js';

const dir = mkdtempSync(join(tmpdir(), 'kestrel-progress-'));
const capture = join(dir, 'c.bin');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function kestrel(...args: string[]) {
  const r = spawnSync(process.execPath, [KESTREL_BIN, ...args], { encoding: 'utf8', env: { ...process.env, KESTREL_LOG_LEVEL: 'warn' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

beforeAll(() => {
  distModule('main/cli.js');
  expect(kestrel('synth', '--events', '150000', '--seed', '4', '-o', capture).code).toBe(0);
}, 60_000);

describe('replay progress', () => {
  it('--progress draws on stderr with the total from the capture trailer; stdout is the same alerts', () => {
    const plain = kestrel('replay', capture, '--rules', 'rules/', '--workers', '0');
    const shown = kestrel('replay', capture, '--rules', 'rules/', '--workers', '0', '--progress');
    expect(shown.code, shown.err).toBe(0);
    expect(shown.out).toBe(plain.out);
    expect(plain.err).not.toContain('\r');
    const frames = shown.err.split('\r').filter((f) => f.startsWith('c.bin'));
    expect(frames.length).toBeGreaterThan(0);
    expect(frames[0]).toMatch(/\/150,000 events/);
    // The line is cleared when the replay ends.
    expect(shown.err).toContain('\r\x1b[K');
  }, 60_000);

  it('--no-progress wins over --progress', () => {
    const r = kestrel('replay', capture, '--rules', 'rules/', '--workers', '0', '--progress', '--no-progress');
    expect(r.code).toBe(0);
    expect(r.err).not.toContain('\r');
  }, 60_000);
});

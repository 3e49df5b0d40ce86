// A crash in the detection engine (injected with the KESTREL_FAILPOINT_CRASH_AFTER failpoint) is
// one failure whatever the worker count: exit 4, one line on stderr naming the partition and cause.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KESTREL_BIN, distModule } from './helpers/dist.js';

const dir = mkdtempSync(join(tmpdir(), 'kestrel-crash-'));
const capture = join(dir, 'cap.bin');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(() => {
  distModule('main/cli.js');
  expect(spawnSync(process.execPath, [KESTREL_BIN, 'synth', '--events', '5000', '--seed', '2', '-o', capture]).status).toBe(0);
});

describe('a crashing engine', () => {
  for (const workers of ['0', '1', '2']) {
    it(`--workers ${workers}: exit 4 and exactly one line`, () => {
      const r = spawnSync(process.execPath, [KESTREL_BIN, 'replay', capture, '--rules', 'rules', '--workers', workers], {
        encoding: 'utf8',
        env: { ...process.env, KESTREL_FAILPOINT_CRASH_AFTER: '20', KESTREL_LOG_LEVEL: 'info' },
      });
      expect(r.status, r.stderr).toBe(4);
      const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^runtime error: partition \d+ (worker|\(main thread\)) crashed: failpoint KESTREL_FAILPOINT_CRASH_AFTER=20 reached/);
    }, 30_000);
  }
  it('without the failpoint the same replay succeeds', () => {
    expect(spawnSync(process.execPath, [KESTREL_BIN, 'replay', capture, '--rules', 'rules', '--workers', '1']).status).toBe(0);
  });
});

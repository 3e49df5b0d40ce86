// A replay with one or two workers keeps every rule's state on the main thread and sends the
// workers only predicate jobs (detection.ts stateOnMain); with more workers the state is
// partitioned across them. Either way the alerts are the same bytes as a single-thread run's, and
// a worker that fails while evaluating is one error (exit 4), never a hang.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KESTREL_BIN, distModule } from './helpers/dist.js';

const dir = mkdtempSync(join(tmpdir(), 'kestrel-helpers-'));
const capture = join(dir, 'cap.bin');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(() => {
  distModule('main/cli.js');
  const made = spawnSync(process.execPath, [KESTREL_BIN, 'synth', '--events', '40000', '--seed', '21', '--attack-rate', '0.05', '-o', capture], { encoding: 'utf8' });
  expect(made.status, made.stderr).toBe(0);
});

function replay(workers: string, env: Record<string, string> = {}) {
  return spawnSync(process.execPath, [KESTREL_BIN, 'replay', capture, '--rules', 'rules', '--workers', workers], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    env: { ...process.env, KESTREL_LOG_LEVEL: 'debug', ...env },
  });
}

describe('predicate helpers (state on main, predicates on the workers)', () => {
  it('gives the single-thread alerts at 1 and 2 workers, and so does partitioned state', () => {
    const single = replay('0');
    expect(single.status, single.stderr).toBe(0);
    expect(single.stdout.split('\n').length).toBeGreaterThan(500);
    expect(single.stdout.endsWith('\n')).toBe(true);
    for (const workers of ['1', '2']) {
      const helped = replay(workers);
      expect(helped.status, helped.stderr).toBe(0);
      expect(helped.stderr).toContain('workers evaluate predicates');
      expect(helped.stdout, `--workers ${workers}`).toBe(single.stdout);
      // The same worker count with the state partitioned instead.
      const sharded = replay(workers, { KESTREL_STATE_ON_MAIN_MAX_WORKERS: '0' });
      expect(sharded.status, sharded.stderr).toBe(0);
      expect(sharded.stderr).not.toContain('workers evaluate predicates');
      expect(sharded.stdout, `--workers ${workers}, partitioned`).toBe(single.stdout);
    }
    const three = replay('3');
    expect(three.stderr).not.toContain('workers evaluate predicates');
    expect(three.stdout).toBe(single.stdout);
  }, 120_000);

  it('fails with exit 4 and one line when a helper crashes on a job', () => {
    // Main evaluates jobs itself until the helper is up, so a short capture can end before the
    // helper gets its third job when the machine is busy (40k events are ~30 jobs, and main took
    // up to 13 of them itself on an idle VM). 200k events are ~180 jobs: the helper takes well over
    // a hundred even with other replays running beside it.
    const big = join(dir, 'big.bin');
    const made = spawnSync(process.execPath, [KESTREL_BIN, 'synth', '--events', '200000', '--seed', '21', '-o', big], { encoding: 'utf8' });
    expect(made.status, made.stderr).toBe(0);
    const r = spawnSync(process.execPath, [KESTREL_BIN, 'replay', big, '--rules', 'rules', '--workers', '1'], {
      encoding: 'utf8',
      env: { ...process.env, KESTREL_FAILPOINT_CRASH_JOB: '3', KESTREL_LOG_LEVEL: 'info' },
      timeout: 60_000,
    });
    expect(r.status, r.stderr).toBe(4);
    const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^runtime error: partition 0 worker crashed: .*failpoint KESTREL_FAILPOINT_CRASH_JOB=3 reached/);
  }, 60_000);
});

// Whole-process test: `kestrel replay` stopped by SIGINT/SIGTERM mid-run finishes cleanly. It drains
// the rings, prints only complete JSON lines, prints a prefix of what a full run prints (alerts that
// wait for later events are held back, not guessed), says it was stopped, and exits 130 (SIGINT) or
// 143 (SIGTERM), so a script can tell a partial output from a complete one.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KESTREL_BIN, distModule } from './helpers/dist.js';

const dir = mkdtempSync(join(tmpdir(), 'kestrel-signal-'));
const capture = join(dir, 'big.bin');
const env = { ...process.env, KESTREL_LOG_LEVEL: 'warn' };
const replayArgs = [KESTREL_BIN, 'replay', capture, '--rules', 'rules', '--workers', '2'];
let full = '';

beforeAll(() => {
  distModule('main/cli.js');
  const synth = spawnSync(process.execPath, [KESTREL_BIN, 'synth', '--events', '300000', '--seed', '5', '-o', capture], { encoding: 'utf8', env });
  expect(synth.status, synth.stderr).toBe(0);
  const r = spawnSync(process.execPath, replayArgs, { encoding: 'utf8', env, maxBuffer: 1 << 28 });
  expect(r.status, r.stderr).toBe(0);
  full = r.stdout;
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the replay and sends `signal` once the first alert line is out. */
function stoppedRun(signal: NodeJS.Signals): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, replayArgs, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let sent = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (!sent && stdout.includes('\n')) {
        sent = true;
        child.kill(signal);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('kestrel replay stopped by a signal', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`${signal}: exits ${signal === 'SIGINT' ? 130 : 143} with complete lines, a prefix of the full run's alerts, and says it stopped`, async () => {
      const r = await stoppedRun(signal);
      expect(r.code, r.stderr).toBe(signal === 'SIGINT' ? 130 : 143);
      expect(r.stdout.endsWith('\n')).toBe(true);
      const lines = r.stdout.slice(0, -1).split('\n');
      for (const l of lines) expect(() => JSON.parse(l) as unknown).not.toThrow();
      const fullLines = full.slice(0, -1).split('\n');
      // It did stop early, and what it printed is exactly the start of the full output.
      expect(lines.length).toBeLessThan(fullLines.length);
      expect(lines).toEqual(fullLines.slice(0, lines.length));
      expect(r.stderr).toMatch(new RegExp(`replay stopped by ${signal} after \\d+ events; \\d+ alerts waiting for later events were not printed`));
    }, 30_000);
  }
});

// openSinks(): every URL checked before anything opens, min_severity per sink, stats by sink name,
// and a dead destination that holds up neither the caller nor the other sinks.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSinks } from '../src/main/sinks/sink-set.js';
import { InputError, UsageError } from '../src/shared/errors.js';
import { initLogger } from '../src/shared/log.js';
import { freePort, testAlert } from './helpers/servers.js';

let root: string;

beforeAll(() => {
  initLogger(process.env.KESTREL_LOG_LEVEL ?? 'silent');
  root = mkdtempSync(join(tmpdir(), 'kestrel-sinks-set-'));
});

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

const idsIn = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => (JSON.parse(l) as { kestrel: { alert: { id: string } } }).kestrel.alert.id);

describe('openSinks', () => {
  it('checks every URL before opening any', async () => {
    const file = join(root, 'never.ndjson');
    await expect(openSinks([`file:${file}`, 'redis://h/s?maxlen=x'], { spoolDir: join(root, 'spool'), stdout: process.stdout })).rejects.toThrow(UsageError);
    expect(existsSync(file)).toBe(false);
  });

  it('refuses the same destination twice', async () => {
    await expect(openSinks(['redis://h:1/s', 'redis://h:1/s?min_severity=high'], { spoolDir: join(root, 'spool'), stdout: process.stdout })).rejects.toThrow('sink redis://h:1/s is given twice');
  });

  it('offers each sink the alerts at or above its min_severity; the rest are not counted as dropped', async () => {
    const all = join(root, 'all.ndjson');
    const high = join(root, 'high.ndjson');
    const set = await openSinks([`file:${all}`, `file:${high}?min_severity=high`], { spoolDir: join(root, 'spool'), stdout: process.stdout });
    expect(set.sinks.map((s) => s.name)).toEqual([`file:${all}`, `file:${high}`]);
    for (let i = 0; i < 8; i++) set.offer(testAlert(i)); // low, medium, high, critical, low, …
    expect(await set.close(1000)).toEqual({ undelivered: 0 });
    expect(idsIn(all)).toHaveLength(8);
    expect(idsIn(high)).toEqual(['a-000002', 'a-000003', 'a-000006', 'a-000007']);
    expect(set.stats()[`file:${high}`]).toMatchObject({ delivered: 4, dropped: 0 });
  });

  it('a dead destination holds up neither the caller nor the other sinks', async () => {
    const port = await freePort(); // nothing listens there
    const file = join(root, 'beside-dead.ndjson');
    const spoolDir = join(root, 'dead-spool');
    const set = await openSinks([`redis://127.0.0.1:${port}/s`, `nats://127.0.0.1:${port}/s`, `http://127.0.0.1:${port}/h`, `file:${file}`], { spoolDir, stdout: process.stdout });
    const started = performance.now();
    for (let i = 0; i < 500; i++) set.offer(testAlert(i));
    expect(performance.now() - started).toBeLessThan(1000);
    await new Promise((r) => setTimeout(r, 300));
    expect(idsIn(file)).toHaveLength(500);
    const stats = set.stats();
    for (const name of [`redis://127.0.0.1:${port}/s`, `nats://127.0.0.1:${port}/s`, `http://127.0.0.1:${port}/h`]) {
      expect(stats[name]).toMatchObject({ delivered: 0, pending: 500, dropped: 0 });
      expect(stats[name]!.spooledBytes).toBeGreaterThan(0);
    }
    const closing = performance.now();
    expect(await set.close(500)).toEqual({ undelivered: 1500 });
    expect(performance.now() - closing).toBeLessThan(3000);
  });

  it('refuses a spool another sink set is using (input error)', async () => {
    const port = await freePort();
    const spoolDir = join(root, 'shared-spool');
    const first = await openSinks([`redis://127.0.0.1:${port}/s`], { spoolDir, stdout: process.stdout });
    const err = await openSinks([`redis://127.0.0.1:${port}/s`], { spoolDir, stdout: process.stdout }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).code).toBe('spool.unusable');
    expect((err as Error).message).toMatch(/is in use by process/);
    await first.close(0);
    await (await openSinks([`redis://127.0.0.1:${port}/s`], { spoolDir, stdout: process.stdout })).close(0);
  });

  it('counts alerts beyond a full spool as dropped', async () => {
    const port = await freePort();
    const set = await openSinks([`http://127.0.0.1:${port}/h?spool_max_bytes=8KiB`], { spoolDir: join(root, 'full-spool'), stdout: process.stdout });
    for (let i = 0; i < 200; i++) set.offer(testAlert(i));
    const s = Object.values(set.stats())[0]!;
    expect(s.dropped).toBeGreaterThan(0);
    expect(s.pending + s.dropped).toBe(200);
    expect(s.spooledBytes).toBeLessThanOrEqual(8192);
    await set.close(0);
  });
});

// The Redis Streams sink against a real redis-server: an outage mid-stream (SIGKILL, restart on
// the same port and data) loses nothing and keeps the order of first delivery; a Kestrel restart
// during an outage resumes from the spool.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstDeliveries, runOutage, runRestartDuringOutage, startRedis, testAlert, type TestServer } from './helpers/servers.js';
import { openSinks } from '../src/main/sinks/sink-set.js';
import { initLogger } from '../src/shared/log.js';

let redis: TestServer;
let root: string;

beforeAll(async () => {
  initLogger(process.env.KESTREL_LOG_LEVEL ?? 'error');
  redis = await startRedis();
  root = mkdtempSync(join(tmpdir(), 'kestrel-sinks-redis-'));
});

afterAll(async () => {
  await redis?.dispose();
  if (root) rmSync(root, { recursive: true, force: true });
});

/** The `id` field of every entry of `stream`, in stream order. */
async function streamIds(stream: string): Promise<{ ids: string[]; entries: { id: string; message: Record<string, string> }[] }> {
  const client = createClient({ url: `redis://${redis.url}` });
  client.on('error', () => undefined);
  await client.connect();
  try {
    const entries = (await client.xRange(stream, '-', '+')) as { id: string; message: Record<string, string> }[];
    return { ids: entries.map((e) => e.message.id!), entries };
  } finally {
    client.destroy();
  }
}

describe('redis sink', () => {
  it('delivers every alert in order through a server crash and restart', async () => {
    const run = await runOutage({
      url: `redis://${redis.url}/kestrel:alerts?maxlen=100000&batch=20`,
      spoolDir: join(root, 'outage'),
      down: () => redis.kill(),
      up: () => redis.start(),
    });
    const { ids, entries } = await streamIds('kestrel:alerts');
    expect(new Set(ids)).toEqual(new Set(run.offered));
    expect(firstDeliveries(ids)).toEqual(run.offered);
    expect(run.undelivered).toBe(0);
    expect(run.failedDuringOutage).toBeGreaterThan(0);
    expect(run.maxSpooledBytes).toBeGreaterThan(0);
    expect(run.stats).toMatchObject({ delivered: run.offered.length, dropped: 0, spooledBytes: 0, pending: 0 });
    // The entry carries the alert id, rule, severity and the alert line itself.
    const first = entries.find((e) => e.message.id === run.offered[0])!;
    expect(first.message).toMatchObject({ rule: 'test-rule', severity: 'low' });
    expect(JSON.parse(first.message.alert!).kestrel.alert.id).toBe(run.offered[0]);
  });

  it('keeps alerts spooled across a Kestrel restart while the server is down', async () => {
    const run = await runRestartDuringOutage({
      url: `redis://${redis.url}/kestrel:resumed`,
      spoolDir: join(root, 'restart'),
      down: () => redis.kill(),
      up: () => redis.start(),
    });
    expect(run.first.undelivered).toBe(run.offered.length);
    expect(run.pendingAtReopen).toBe(run.offered.length);
    expect(run.second.undelivered).toBe(0);
    expect(run.resumed).toMatchObject({ delivered: run.offered.length, spooledBytes: 0, pending: 0 });
    const { ids } = await streamIds('kestrel:resumed');
    expect(ids).toEqual(run.offered);
  });

  it('caps the stream with MAXLEN ~', async () => {
    const set = await openSinks([`redis://${redis.url}/kestrel:capped?maxlen=10&batch=500`], { spoolDir: join(root, 'capped'), stdout: process.stdout });
    for (let i = 0; i < 2000; i++) set.offer(testAlert(i, 'c'));
    expect(await set.close(10_000)).toEqual({ undelivered: 0 });
    const { ids } = await streamIds('kestrel:capped');
    // Approximate trimming keeps whole macro nodes (100 entries by default): far fewer than 2000.
    expect(ids.length).toBeLessThan(500);
    expect(ids.at(-1)).toBe('c-001999');
  });
});

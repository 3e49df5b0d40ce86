// Sinks through the CLI, against real servers: `kestrel replay --sink …` delivers exactly the
// alerts stdout would carry (same ids, same order) to Redis Streams, NATS JetStream and a file at
// once, honours a sink's min_severity, and a redis-server that is down during a replay costs
// nothing: the alerts wait in the spool, the exit message says so, and the next start delivers
// them (de-duplicable by id).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KESTREL_BIN, distModule } from './helpers/dist.js';
import { CORPUS } from './helpers/shared.js';
import { parseValidAlerts } from './helpers/alert-schema.js';
import { startNats, startRedis, type TestServer } from './helpers/servers.js';

const dir = mkdtempSync(join(tmpdir(), 'kestrel-sinks-cli-'));
const capture = join(dir, 'c.bin');
const spool = join(dir, 'spool');
let redis: TestServer;
let nats: TestServer;
let expected: { id: string; severity: string }[] = [];

function kestrel(...args: string[]) {
  const r = spawnSync(process.execPath, [KESTREL_BIN, ...args], { encoding: 'utf8', maxBuffer: 1 << 28, env: { ...process.env, KESTREL_LOG_LEVEL: 'error' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const replayArgs = () => ['replay', capture, '--rules', 'rules/', CORPUS, '--workers', '0', '--spool-dir', spool];

async function streamIds(stream: string): Promise<string[]> {
  const client = createClient({ url: `redis://${redis.url}` });
  await client.connect();
  try {
    const entries = (await client.xRange(stream, '-', '+')) as { message: Record<string, string> }[];
    return entries.map((e) => e.message.id!);
  } finally {
    await client.quit();
  }
}

async function natsIds(stream: string): Promise<string[]> {
  const nc = await connect({ servers: nats.url });
  try {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(stream);
    const ids: string[] = [];
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const m = await jsm.streams.getMessage(stream, { seq });
      if (m) ids.push((m.json() as { event: { id: string } }).event.id);
    }
    return ids;
  } finally {
    await nc.close();
  }
}

beforeAll(async () => {
  distModule('main/cli.js');
  [redis, nats] = await Promise.all([startRedis(), startNats()]);
  expect(kestrel('synth', '--events', '60000', '--seed', '3', '-o', capture).code).toBe(0);
  const base = kestrel(...replayArgs());
  expect(base.code, base.err).toBe(0);
  expected = parseValidAlerts(base.out).map((a) => ({ id: a.event.id as string, severity: a.kestrel.alert.severity as string }));
  expect(expected.length).toBeGreaterThan(10);
}, 180_000);

afterAll(async () => {
  await Promise.all([redis?.dispose(), nats?.dispose()]);
  rmSync(dir, { recursive: true, force: true });
});

describe('kestrel replay --sink', () => {
  it('delivers to Redis, NATS and a file at once: the same alerts as stdout, in order; stdout stays empty', async () => {
    const file = join(dir, 'alerts.ndjson');
    const high = join(dir, 'high.ndjson');
    const r = kestrel(...replayArgs(),
      '--sink', `redis://${redis.url}/kestrel-alerts`, `nats://${nats.url}/kestrel.alerts?stream=KESTREL_ALERTS`, `file:${file}`, `file:${high}?min_severity=high`);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe('');
    const ids = expected.map((a) => a.id);
    expect(await streamIds('kestrel-alerts')).toEqual(ids);
    expect(await natsIds('KESTREL_ALERTS')).toEqual(ids);
    expect(parseValidAlerts(readFileSync(file, 'utf8')).map((a) => a.event.id)).toEqual(ids);
    const wanted = expected.filter((a) => a.severity === 'high' || a.severity === 'critical').map((a) => a.id);
    expect(wanted.length).toBeGreaterThan(0);
    expect(wanted.length).toBeLessThan(ids.length);
    expect(parseValidAlerts(readFileSync(high, 'utf8')).map((a) => a.event.id)).toEqual(wanted);
  }, 120_000);

  it('a server down during the replay: alerts wait in the spool and the next start delivers them', async () => {
    await redis.kill();
    const url = `redis://${redis.url}/kestrel-outage`;
    const down = kestrel(...replayArgs(), '--sink', url);
    expect(down.code, down.err).toBe(0);
    expect(down.err).toContain(`kestrel: ${expected.length} alert(s) not yet delivered stay in the spool under ${spool}`);
    await redis.start();
    // Any later start with that sink resumes its spool first; this one also re-sends the same
    // alerts, with the same ids: at-least-once, de-duplicated by id.
    const again = kestrel(...replayArgs(), '--sink', url);
    expect(again.code, again.err).toBe(0);
    const got = await streamIds('kestrel-outage');
    expect(got.slice(0, expected.length)).toEqual(expected.map((a) => a.id));
    expect([...new Set(got)]).toEqual(expected.map((a) => a.id));
  }, 120_000);

  it('a bad sink URL is a usage error before any work', () => {
    const r = kestrel(...replayArgs(), '--sink', 'redis://127.0.0.1:1/');
    expect(r.code).toBe(64);
    expect(r.err).toMatch(/redis/i);
  });
});

// The NATS JetStream sink against a real nats-server: the stream is created on first use, an
// outage mid-stream (SIGKILL, restart on the same port and store) loses nothing and keeps the order
// of first delivery, and a Kestrel restart during an outage resumes from the spool.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstDeliveries, runOutage, runRestartDuringOutage, startNats, type TestServer } from './helpers/servers.js';
import { initLogger } from '../src/shared/log.js';

let nats: TestServer;
let root: string;

beforeAll(async () => {
  initLogger(process.env.KESTREL_LOG_LEVEL ?? 'error');
  nats = await startNats();
  root = mkdtempSync(join(tmpdir(), 'kestrel-sinks-nats-'));
});

afterAll(async () => {
  await nats?.dispose();
  if (root) rmSync(root, { recursive: true, force: true });
});

/** Every message the stream holds, in stream order: its Nats-Msg-Id, subject and alert id. */
async function streamMessages(stream: string): Promise<{ msgIds: string[]; subjects: Set<string>; alertIds: string[] }> {
  const nc = await connect({ servers: nats.url });
  try {
    const jsm = await jetstreamManager(nc);
    const info = await jsm.streams.info(stream);
    const msgIds: string[] = [];
    const alertIds: string[] = [];
    const subjects = new Set<string>();
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const m = await jsm.streams.getMessage(stream, { seq });
      if (!m) continue;
      msgIds.push(m.header?.get('Nats-Msg-Id') ?? '');
      subjects.add(m.subject);
      alertIds.push((m.json() as { kestrel: { alert: { id: string } } }).kestrel.alert.id);
    }
    return { msgIds, subjects, alertIds };
  } finally {
    await nc.close();
  }
}

describe('nats sink', () => {
  it('delivers every alert in order through a server crash and restart', async () => {
    const run = await runOutage({
      url: `nats://${nats.url}/kestrel.alerts?stream=KESTREL_ALERTS&batch=20`,
      spoolDir: join(root, 'outage'),
      down: () => nats.kill(),
      up: () => nats.start(),
    });
    const { msgIds, alertIds, subjects } = await streamMessages('KESTREL_ALERTS');
    expect(msgIds).toEqual(alertIds);
    expect(new Set(alertIds)).toEqual(new Set(run.offered));
    expect(firstDeliveries(alertIds)).toEqual(run.offered);
    expect([...subjects]).toEqual(['kestrel.alerts']);
    expect(run.undelivered).toBe(0);
    expect(run.failedDuringOutage).toBeGreaterThan(0);
    expect(run.maxSpooledBytes).toBeGreaterThan(0);
    expect(run.stats).toMatchObject({ delivered: run.offered.length, dropped: 0, spooledBytes: 0, pending: 0 });
  });

  it('keeps alerts spooled across a Kestrel restart while the server is down', async () => {
    const run = await runRestartDuringOutage({
      url: `nats://${nats.url}/kestrel.resumed?stream=RESUMED`,
      spoolDir: join(root, 'restart'),
      down: () => nats.kill(),
      up: () => nats.start(),
    });
    expect(run.first.undelivered).toBe(run.offered.length);
    expect(run.pendingAtReopen).toBe(run.offered.length);
    expect(run.second.undelivered).toBe(0);
    expect(run.resumed).toMatchObject({ delivered: run.offered.length, spooledBytes: 0, pending: 0 });
    expect((await streamMessages('RESUMED')).alertIds).toEqual(run.offered);
  });

  it('publishes into a stream that already exists with another configuration', async () => {
    const nc = await connect({ servers: nats.url });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'WIDE', subjects: ['wide.>'], max_msgs: 1000 });
    await nc.close();
    const run = await runOutage({
      url: `nats://${nats.url}/wide.alerts?stream=WIDE`,
      spoolDir: join(root, 'existing'),
      count: 30,
      paceMs: 1,
      down: async () => undefined,
      up: async () => undefined,
    });
    expect(run.undelivered).toBe(0);
    expect((await streamMessages('WIDE')).alertIds).toEqual(run.offered);
  });
});

// The webhook sink against a real HTTP server in the test: batches arrive as JSON arrays; a 503
// and then a closed port mid-stream lose nothing and keep the order of first delivery; a 4xx is
// retried; a Kestrel restart while the receiver is away resumes from the spool.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstDeliveries, freePort, runOutage, runRestartDuringOutage, sleep, testAlert } from './helpers/servers.js';
import { openSinks } from '../src/main/sinks/sink-set.js';
import { initLogger } from '../src/shared/log.js';

/** A receiver that answers `status` (200 unless told otherwise) and keeps what it accepted. */
class Receiver {
  status = 200;
  /** Alert ids of accepted requests, in arrival order. */
  readonly accepted: string[] = [];
  readonly refused: number[] = [];
  readonly requests: { url: string; headers: IncomingHttpHeaders }[] = [];
  private server: Server | undefined;

  constructor(readonly port: number) {}

  static async start(): Promise<Receiver> {
    const r = new Receiver(await freePort());
    await r.listen();
    return r;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  listen(): Promise<void> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.requests.push({ url: req.url!, headers: req.headers });
        const status = this.status;
        if (status >= 200 && status < 300) {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { kestrel: { alert: { id: string } } }[];
          if (!Array.isArray(body)) throw new Error('webhook body is not an array');
          for (const a of body) this.accepted.push(a.kestrel.alert.id);
        } else this.refused.push(status);
        res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : `status ${status}`);
      });
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
  }

  /** Stops listening and cuts every open connection: the port refuses from now on. */
  close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return Promise.resolve();
    return new Promise((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });
  }
}

let root: string;

beforeAll(() => {
  initLogger(process.env.KESTREL_LOG_LEVEL ?? 'error');
  root = mkdtempSync(join(tmpdir(), 'kestrel-sinks-webhook-'));
});

afterAll(() => {
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('webhook sink', () => {
  it('delivers every alert in order through 503s and a closed port', async () => {
    const rx = await Receiver.start();
    let closing: Promise<void> | undefined;
    const run = await runOutage({
      url: `${rx.url}/hook?batch=20`,
      spoolDir: join(root, 'outage'),
      // First the receiver answers 503, then it goes away altogether.
      down: async () => {
        rx.status = 503;
        closing = sleep(400).then(() => rx.close());
      },
      up: async () => {
        await closing;
        rx.status = 200;
        await rx.listen();
      },
    });
    await rx.close();
    expect(new Set(rx.accepted)).toEqual(new Set(run.offered));
    expect(firstDeliveries(rx.accepted)).toEqual(run.offered);
    expect(rx.refused.length).toBeGreaterThan(0);
    expect(run.undelivered).toBe(0);
    expect(run.failedDuringOutage).toBeGreaterThan(0);
    expect(run.maxSpooledBytes).toBeGreaterThan(0);
    expect(run.stats).toMatchObject({ delivered: run.offered.length, dropped: 0, spooledBytes: 0, pending: 0 });
    expect(rx.requests.every((r) => r.headers['content-type'] === 'application/json')).toBe(true);
  });

  it('retries a 4xx until the receiver accepts', async () => {
    const rx = await Receiver.start();
    rx.status = 401;
    const set = await openSinks([`${rx.url}/hook`], { spoolDir: join(root, '4xx'), stdout: process.stdout });
    const name = set.sinks[0]!.name;
    for (let i = 0; i < 10; i++) set.offer(testAlert(i, 'x'));
    await sleep(400);
    expect(set.stats()[name]!.failed).toBeGreaterThanOrEqual(10);
    expect(set.stats()[name]!.delivered).toBe(0);
    rx.status = 200;
    expect(await set.close(10_000)).toEqual({ undelivered: 0 });
    await rx.close();
    expect(rx.accepted).toEqual(Array.from({ length: 10 }, (_, i) => testAlert(i, 'x').id));
  });

  it('sends basic auth from the URL, keeps the receiver\'s query, hides secrets from the name', async () => {
    const rx = await Receiver.start();
    const set = await openSinks([`http://kestrel:s3cret@127.0.0.1:${rx.port}/hook?token=abc&tenant=7&batch=5&min_severity=high`], { spoolDir: join(root, 'auth'), stdout: process.stdout });
    expect(Object.keys(set.stats())).toEqual([`http://kestrel@127.0.0.1:${rx.port}/hook?token=***&tenant=7`]);
    for (let i = 0; i < 8; i++) set.offer(testAlert(i, 'h')); // severities low, medium, high, critical, …
    expect(await set.close(10_000)).toEqual({ undelivered: 0 });
    await rx.close();
    expect(rx.accepted).toEqual(['h-000002', 'h-000003', 'h-000006', 'h-000007']);
    expect(rx.requests[0]!.url).toBe('/hook?token=abc&tenant=7');
    expect(rx.requests[0]!.headers.authorization).toBe(`Basic ${Buffer.from('kestrel:s3cret').toString('base64')}`);
  });

  it('keeps alerts spooled across a Kestrel restart while the receiver is away', async () => {
    const rx = await Receiver.start();
    const run = await runRestartDuringOutage({
      url: `${rx.url}/hook`,
      spoolDir: join(root, 'restart'),
      down: () => rx.close(),
      up: () => rx.listen(),
    });
    await rx.close();
    expect(run.first.undelivered).toBe(run.offered.length);
    expect(run.pendingAtReopen).toBe(run.offered.length);
    expect(run.second.undelivered).toBe(0);
    expect(run.resumed).toMatchObject({ delivered: run.offered.length, spooledBytes: 0, pending: 0 });
    expect(rx.accepted).toEqual(run.offered);
  });
});

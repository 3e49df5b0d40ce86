// Real Redis and NATS servers for the sink tests, on free loopback ports, each with its own data
// folder, that a test can SIGKILL and start again on the same port and folder (an outage, not a
// fresh server). Plus the outage scenario every network sink goes through.
//
// The binaries come from scripts/setup.sh (Debian's redis-server and nats-server). A missing one
// fails the test: a sink test that skips itself is a sink nobody tested.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, openSync, closeSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSinks } from '../../src/main/sinks/sink-set.js';
import type { AlertSeverity, OutgoingAlert, SinkStats } from '../../src/main/sinks/types.js';

export const REDIS_SERVER = '/usr/bin/redis-server';
export const NATS_SERVER = '/usr/sbin/nats-server';

/** A port nothing listens on right now (the kernel's pick for port 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts TCP connections on 127.0.0.1:port; rejects after `timeoutMs`. */
export async function waitForPort(port: number, timeoutMs = 10_000, alive: () => boolean = () => true): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (!alive()) throw new Error(`server on port ${port} exited before accepting connections`);
    if (Date.now() > until) throw new Error(`nothing accepted connections on 127.0.0.1:${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of running) p.kill('SIGKILL');
});

/** A server process that can be killed and started again on the same port and data folder. */
export class TestServer {
  private proc: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();

  private constructor(
    readonly what: string,
    private readonly binary: string,
    private readonly args: (port: number, dir: string) => string[],
    readonly port: number,
    readonly dir: string,
  ) {}

  static async create(what: string, binary: string, args: (port: number, dir: string) => string[]): Promise<TestServer> {
    if (!existsSync(binary)) throw new Error(`${binary} not found: run scripts/setup.sh (it installs ${what} for the sink tests)`);
    const server = new TestServer(what, binary, args, await freePort(), mkdtempSync(join(tmpdir(), `kestrel-${what}-`)));
    await server.start();
    return server;
  }

  get url(): string {
    return `127.0.0.1:${this.port}`;
  }

  get isRunning(): boolean {
    return this.proc !== undefined;
  }

  /** Starts the server (again) and waits until it accepts connections. */
  async start(): Promise<void> {
    if (this.proc) throw new Error(`${this.what} is already running`);
    const log = openSync(join(this.dir, 'server.log'), 'a');
    const proc = spawn(this.binary, this.args(this.port, this.dir), { stdio: ['ignore', log, log] });
    closeSync(log);
    this.proc = proc;
    running.add(proc);
    let alive = true;
    this.exited = new Promise((resolve) => {
      proc.once('exit', () => {
        alive = false;
        running.delete(proc);
        resolve();
      });
      proc.once('error', () => {
        alive = false;
        running.delete(proc);
        resolve();
      });
    });
    try {
      await waitForPort(this.port, 15_000, () => alive);
    } catch (e) {
      throw new Error(`${this.what} did not start (log: ${join(this.dir, 'server.log')}): ${(e as Error).message}`);
    }
  }

  /** SIGKILL: no shutdown, no flush — what a crash or an OOM kill does. */
  async kill(): Promise<void> {
    const p = this.proc;
    if (!p) return;
    this.proc = undefined;
    p.kill('SIGKILL');
    await this.exited;
  }

  /** Kills the server and removes its data folder. */
  async dispose(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** redis-server with an fsync'ed append-only file, so acknowledged XADDs survive SIGKILL. */
export function startRedis(): Promise<TestServer> {
  return TestServer.create('redis-server', REDIS_SERVER, (port, dir) => [
    '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always', '--dir', dir, '--daemonize', 'no',
  ]);
}

/** nats-server with JetStream storing in its own folder. */
export function startNats(): Promise<TestServer> {
  return TestServer.create('nats-server', NATS_SERVER, (port, dir) => ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir]);
}

const SEVERITIES: AlertSeverity[] = ['low', 'medium', 'high', 'critical'];

/** Alert number `i`: a distinct id, and a line shaped like Kestrel's (the id where a consumer looks for it). */
export function testAlert(i: number, prefix = 'a'): OutgoingAlert {
  const id = `${prefix}-${String(i).padStart(6, '0')}`;
  const severity = SEVERITIES[i % 4]!;
  const line = JSON.stringify({ '@timestamp': new Date(1_700_000_000_000 + i).toISOString(), event: { id, kind: 'alert' }, rule: { id: 'test-rule', name: 'Test rule' }, kestrel: { alert: { id, severity }, n: i } });
  return { id, ruleId: 'test-rule', severity, line };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Waits until `cond()` holds, polling; throws `what` after `timeoutMs`. */
export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/**
 * The ids in `received` with repeats removed, first occurrence kept: what a consumer that
 * de-duplicates by id sees. A retried batch may repeat alerts, never reorder their first arrival.
 */
export function firstDeliveries(received: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const id of received) {
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(id);
  }
  return out;
}

export interface OutageRun {
  /** Ids offered, in order. */
  offered: string[];
  /** The sink's stats after close. */
  stats: SinkStats;
  /** stats.failed just before the destination came back. */
  failedDuringOutage: number;
  /** Most bytes the spool held during the run. */
  maxSpooledBytes: number;
  undelivered: number;
}

/**
 * Offers `count` alerts to the sink `url`, one every `paceMs`; takes the destination down a third
 * of the way in (`down`), brings it back at two thirds (`up`), then closes with `graceMs` for the
 * sink to catch up. Every alert gets a distinct id.
 */
export async function runOutage(o: {
  url: string;
  spoolDir: string;
  down: () => Promise<void>;
  up: () => Promise<void>;
  count?: number;
  paceMs?: number;
  graceMs?: number;
}): Promise<OutageRun> {
  const count = o.count ?? 300;
  const pace = o.paceMs ?? 10;
  const set = await openSinks([o.url], { spoolDir: o.spoolDir, stdout: process.stdout });
  const name = set.sinks[0]!.name;
  const offered: string[] = [];
  let failedDuringOutage = 0;
  let maxSpooledBytes = 0;
  for (let i = 0; i < count; i++) {
    if (i === Math.floor(count / 3)) await o.down();
    if (i === Math.floor((2 * count) / 3)) {
      failedDuringOutage = set.stats()[name]!.failed;
      await o.up();
    }
    const a = testAlert(i);
    set.offer(a);
    offered.push(a.id);
    maxSpooledBytes = Math.max(maxSpooledBytes, set.stats()[name]!.spooledBytes);
    await sleep(pace);
  }
  const { undelivered } = await set.close(o.graceMs ?? 20_000);
  return { offered, stats: set.stats()[name]!, failedDuringOutage, maxSpooledBytes, undelivered };
}

/**
 * A Kestrel restart during an outage: alerts offered while the destination is down, the sink set
 * closed with no grace (they stay spooled), the destination back, and a new sink set over the same
 * spool folder delivering them. Returns the ids offered and both closes' results.
 */
export async function runRestartDuringOutage(o: {
  url: string;
  spoolDir: string;
  down: () => Promise<void>;
  up: () => Promise<void>;
  count?: number;
}): Promise<{ offered: string[]; first: { undelivered: number }; second: { undelivered: number }; resumed: SinkStats; pendingAtReopen: number }> {
  const count = o.count ?? 50;
  await o.down();
  const set = await openSinks([o.url], { spoolDir: o.spoolDir, stdout: process.stdout });
  const name = set.sinks[0]!.name;
  const offered: string[] = [];
  for (let i = 0; i < count; i++) {
    const a = testAlert(i, 'r');
    set.offer(a);
    offered.push(a.id);
  }
  await sleep(300); // a few failed attempts
  const first = await set.close(0);
  await o.up();
  const again = await openSinks([o.url], { spoolDir: o.spoolDir, stdout: process.stdout });
  const pendingAtReopen = again.stats()[name]!.pending;
  await waitFor('the resumed spool to drain', () => again.stats()[name]!.pending === 0, 20_000);
  const second = await again.close(5000);
  return { offered, first, second, resumed: again.stats()[name]!, pendingAtReopen };
}

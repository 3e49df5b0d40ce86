// NATS JetStream transport: each alert is published to the subject with `msgID` = alert id, and
// the batch is acknowledged once every publish got its PubAck (the stream stored it).
//
// Publishes go one at a time, each awaiting its PubAck before the next: a batch that breaks off
// midway has stored a prefix of itself, so a retry can never put a later alert before an earlier
// one; JetStream drops the re-sent prefix as duplicates (same msgID within the stream's duplicate
// window, 2 minutes by default). The connection is made by the delivery loop (a failed connect is
// a failed attempt, retried with backoff); once up, the client reconnects by itself forever.
// The stream is created on first use, or taken as it is if it already exists.
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient } from '@nats-io/jetstream';
import { logger } from '../../shared/log.js';
import type { Transport } from './network-sink.js';
import type { NatsSinkSpec } from './parse-sink-url.js';
import type { OutgoingAlert } from './types.js';

const CONNECT_TIMEOUT_MS = 5000;
const PUBLISH_TIMEOUT_MS = 5000;

export class NatsTransport implements Transport {
  private nc: NatsConnection | undefined;
  private connecting: Promise<NatsConnection> | undefined;
  private js: JetStreamClient | undefined;
  /** The stream was created or found on this connection. */
  private streamReady = false;
  /** False between a 'disconnect' and the next 'reconnect': publishing then only fills a buffer. */
  private connected = false;
  /**
   * Rejects when the current connection drops: a publish in flight then fails at once instead of
   * waiting out its timeout (or quietly succeeding after a reconnect), so an outage shows as
   * failed attempts and the batch is retried on the new connection.
   */
  private dropped = deferredFailure();
  private closed = false;

  constructor(private readonly spec: NatsSinkSpec) {}

  async send(alerts: readonly OutgoingAlert[], signal: AbortSignal): Promise<void> {
    const nc = this.nc ?? (await this.connect());
    if (!this.connected) throw new Error('not connected to nats (reconnecting)');
    if (!this.streamReady) await this.ensureStream(nc);
    const js = (this.js ??= jetstream(nc, { timeout: PUBLISH_TIMEOUT_MS }));
    const dropped = this.dropped.promise;
    for (const a of alerts) {
      if (signal.aborted) throw new Error('aborted');
      try {
        await Promise.race([js.publish(this.spec.subject, a.line, { msgID: a.id, timeout: PUBLISH_TIMEOUT_MS }), dropped]);
      } catch (e) {
        // "no responders": nothing captures the subject (the stream was deleted, or the server
        // lost its store): look for the stream again before the next attempt.
        if (/no responders|503/i.test((e as Error).message)) this.streamReady = false;
        throw e;
      }
    }
  }

  private connect(): Promise<NatsConnection> {
    this.connecting ??= (async () => {
      try {
        const nc = await connect({
          servers: this.spec.server,
          name: 'kestrel',
          maxReconnectAttempts: -1,
          reconnectTimeWait: 500,
          timeout: CONNECT_TIMEOUT_MS,
          ...(this.spec.user !== undefined && { user: this.spec.user }),
          ...(this.spec.pass !== undefined && { pass: this.spec.pass }),
          ...(this.spec.token !== undefined && { token: this.spec.token }),
        });
        if (this.closed) {
          await nc.close();
          throw new Error('sink closed');
        }
        this.nc = nc;
        this.connected = true;
        void this.watch(nc);
        logger().info({ sink: this.spec.name }, 'connected to nats');
        return nc;
      } finally {
        this.connecting = undefined;
      }
    })();
    return this.connecting;
  }

  /** Follows the connection's status so a publish is not buffered into a dead connection. */
  private async watch(nc: NatsConnection): Promise<void> {
    try {
      for await (const s of nc.status()) {
        if (s.type === 'disconnect') {
          this.connected = false;
          this.dropped.fail(new Error('nats connection lost'));
          this.dropped = deferredFailure();
          logger().warn({ sink: this.spec.name }, 'nats connection lost; reconnecting');
        } else if (s.type === 'reconnect') {
          this.connected = true;
          logger().info({ sink: this.spec.name }, 'nats reconnected');
        }
      }
    } catch {
      // the iterator ends with the connection
    }
  }

  private async ensureStream(nc: NatsConnection): Promise<void> {
    const jsm = await jetstreamManager(nc, { timeout: PUBLISH_TIMEOUT_MS });
    try {
      await jsm.streams.add({ name: this.spec.stream, subjects: [this.spec.subject] });
    } catch (e) {
      // Already there with another configuration (more subjects, limits): use it as it is, as long
      // as it captures our subject — publishes tell us soon enough if it does not.
      const info = await jsm.streams.info(this.spec.stream).catch(() => undefined);
      if (!info) throw e;
      if (!info.config.subjects?.some((s) => subjectMatches(s, this.spec.subject))) {
        logger().error({ sink: this.spec.name, stream: this.spec.stream, subjects: info.config.subjects }, 'the nats stream exists but does not capture the subject; publishes will fail');
      }
    }
    this.streamReady = true;
  }

  async close(): Promise<void> {
    this.closed = true;
    const nc = this.nc;
    this.nc = undefined;
    await nc?.close();
  }
}

/** A promise that only ever rejects, when told to (and never counts as unhandled). */
function deferredFailure(): { promise: Promise<never>; fail: (e: Error) => void } {
  let fail!: (e: Error) => void;
  const promise = new Promise<never>((_, reject) => (fail = reject));
  promise.catch(() => undefined);
  return { promise, fail };
}

/** NATS subject wildcard match: `*` one token, `>` the rest. */
function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length || (p[i] !== '*' && p[i] !== s[i])) return false;
  }
  return p.length === s.length;
}

// The delivery loop every network sink (webhook, Redis, NATS) shares: offer → spool → transport.
//
// offer() appends to the on-disk spool and wakes the loop; it never waits for the network. The
// loop reads a batch from the spool's cursor, hands it to the transport, and moves the cursor only
// when the transport resolved (the destination acknowledged every alert of the batch). A failed
// attempt is counted, logged (once per outage, then every 30 s) and retried with exponential
// backoff — the same batch, in order, never skipped: the next alert waits for the one before it.
// A batch that half-arrived is sent whole again; consumers de-duplicate by alert id.
import { logger } from '../../shared/log.js';
import type { Spool, SpoolBatch } from './spool.js';
import type { AlertSinkTarget, OutgoingAlert, SinkStats } from './types.js';

/** The destination-specific half of a network sink. */
export interface Transport {
  /**
   * Delivers `alerts` in order; resolves once the destination acknowledged all of them, rejects
   * otherwise (the whole batch is retried). Should stop early when `signal` aborts (attempt
   * timeout or close deadline); the loop stops waiting for it then anyway.
   */
  send(alerts: readonly OutgoingAlert[], signal: AbortSignal): Promise<void>;
  /** Releases connections; pending work is abandoned (it is still in the spool). */
  close(): Promise<void>;
}

export interface DeliveryOptions {
  /** Most alerts per attempt. */
  batch: number;
  /** An attempt not acknowledged within this is a failure (the transport's own timeout may be shorter). */
  attemptTimeoutMs: number;
  /** First retry delay; doubles per consecutive failure up to `maxBackoffMs`. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

/** Upper bound on one batch's bytes (before the transport's framing). */
const BATCH_BYTES = 1024 * 1024;
const INITIAL_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 30_000;
/** While closing, retries come at least this often so a short grace still gets a few tries. */
const CLOSING_BACKOFF_MS = 1000;
/** During an outage, a failure is logged at most this often. */
const LOG_EVERY_MS = 30_000;

/** `ms` with equal jitter: between half and all of it, so many sinks do not retry in step. */
function jittered(ms: number): number {
  return ms / 2 + Math.random() * (ms / 2);
}

export class SpooledSink implements AlertSinkTarget {
  private delivered = 0;
  private failed = 0;
  /** Offers after close (the caller's mistake; nothing to spool them to). */
  private late = 0;
  private backoff: number;
  private readonly initialBackoff: number;
  private readonly maxBackoff: number;
  /** Resolves the loop's current wait (for work or for the backoff to end). */
  private wakeUp: (() => void) | undefined;
  /** The current wait is a backoff: new alerts do not end it (only close() does). */
  private backingOff = false;
  /** close() was called: finish when the spool is empty. */
  private stopping = false;
  /** The close deadline passed: stop at once, leaving the rest in the spool. */
  private readonly deadline = new AbortController();
  private closing: Promise<{ undelivered: number }> | undefined;
  private readonly loop: Promise<void>;
  /** Start of the current outage (first failed attempt since the last success), for the logs. */
  private outageSince: number | undefined;
  private outageFailures = 0;
  private lastLogged = 0;

  constructor(
    readonly name: string,
    private readonly spool: Spool,
    private readonly transport: Transport,
    private readonly opts: DeliveryOptions,
  ) {
    this.initialBackoff = opts.initialBackoffMs ?? INITIAL_BACKOFF_MS;
    this.maxBackoff = opts.maxBackoffMs ?? MAX_BACKOFF_MS;
    this.backoff = this.initialBackoff;
    this.loop = this.run().catch((e: unknown) => {
      // run() catches everything it expects; reaching this is a bug, but it must not crash detection.
      logger().error({ sink: name, err: (e as Error).message }, 'sink delivery loop stopped unexpectedly; alerts stay in the spool');
    });
  }

  offer(alert: OutgoingAlert): void {
    try {
      if (this.spool.append(alert) && !this.backingOff) this.wake();
    } catch {
      this.late++; // the spool was closed under us
    }
  }

  stats(): SinkStats {
    return {
      delivered: this.delivered,
      failed: this.failed,
      dropped: this.spool.dropped + this.late,
      spooledBytes: this.spool.bytes(),
      pending: this.spool.pending(),
    };
  }

  close(graceMs: number): Promise<{ undelivered: number }> {
    this.closing ??= this.shutdown(graceMs);
    return this.closing;
  }

  private async shutdown(graceMs: number): Promise<{ undelivered: number }> {
    this.stopping = true;
    this.backoff = Math.min(this.backoff, CLOSING_BACKOFF_MS);
    const timer = graceMs > 0 ? setTimeout(() => this.deadline.abort(), graceMs) : undefined;
    if (graceMs <= 0) this.deadline.abort();
    this.wake();
    await this.loop;
    clearTimeout(timer);
    this.deadline.abort();
    const undelivered = this.spool.pending();
    this.spool.close();
    try {
      await this.transport.close();
    } catch (e) {
      logger().warn({ sink: this.name, err: (e as Error).message }, 'closing the sink connection failed');
    }
    if (undelivered > 0) logger().warn({ sink: this.name, undelivered, spool: this.spool.dir }, 'alerts not yet delivered stay in the spool for the next start');
    return { undelivered };
  }

  private wake(): void {
    const w = this.wakeUp;
    this.wakeUp = undefined;
    w?.();
  }

  /** Waits until woken, `ms` passed (if given), or the close deadline. */
  private wait(ms?: number): Promise<void> {
    if (this.deadline.signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.deadline.signal.removeEventListener('abort', done);
        if (this.wakeUp === done) this.wakeUp = undefined;
        resolve();
      };
      const timer = ms === undefined ? undefined : setTimeout(done, ms);
      this.wakeUp = done;
      this.deadline.signal.addEventListener('abort', done);
    });
  }

  private async run(): Promise<void> {
    while (!this.deadline.signal.aborted) {
      let batch: SpoolBatch | undefined;
      try {
        batch = this.spool.readBatch(this.opts.batch, BATCH_BYTES);
      } catch (e) {
        this.failure(0, e, 'reading the spool failed');
        await this.backOff();
        continue;
      }
      if (!batch) {
        if (this.stopping) return;
        await this.wait();
        continue;
      }
      try {
        await this.attempt(batch.alerts);
      } catch (e) {
        this.failure(batch.alerts.length, e, 'delivery failed; retrying');
        await this.backOff();
        continue;
      }
      this.spool.ack(batch);
      this.delivered += batch.alerts.length;
      this.backoff = this.initialBackoff;
      if (this.outageSince !== undefined) {
        logger().info({ sink: this.name, failedAttempts: this.outageFailures, outageMs: Date.now() - this.outageSince }, 'sink delivering again');
        this.outageSince = undefined;
        this.outageFailures = 0;
      }
    }
  }

  /** One delivery attempt, bounded by the attempt timeout and the close deadline. */
  private async attempt(alerts: readonly OutgoingAlert[]): Promise<void> {
    // A controller per attempt rather than AbortSignal.any(): nothing stays attached to the
    // long-lived deadline signal once the attempt is over.
    const ctl = new AbortController();
    let fail!: (e: Error) => void;
    const stopped = new Promise<never>((_, reject) => (fail = reject));
    const stop = (why: string) => {
      ctl.abort(new Error(why));
      fail(new Error(why));
    };
    const timer = setTimeout(() => stop(`no acknowledgement within ${this.opts.attemptTimeoutMs} ms`), this.opts.attemptTimeoutMs);
    const onDeadline = () => stop('closing: grace period over');
    this.deadline.signal.addEventListener('abort', onDeadline, { once: true });
    stopped.catch(() => undefined);
    const sent = this.transport.send(alerts, ctl.signal);
    // The transport may settle after we stopped waiting: keep that from being an unhandled rejection.
    sent.catch(() => undefined);
    try {
      await Promise.race([sent, stopped]);
    } finally {
      clearTimeout(timer);
      this.deadline.signal.removeEventListener('abort', onDeadline);
    }
  }

  /** Sleeps the current backoff (jittered) and doubles it; close() cuts the sleep short. */
  private async backOff(): Promise<void> {
    const ms = jittered(this.backoff);
    this.backoff = Math.min(this.backoff * 2, this.stopping ? CLOSING_BACKOFF_MS : this.maxBackoff);
    this.backingOff = true;
    try {
      await this.wait(ms);
    } finally {
      this.backingOff = false;
    }
  }

  private failure(alerts: number, e: unknown, msg: string): void {
    this.failed += alerts;
    const now = Date.now();
    this.outageFailures++;
    if (this.outageSince === undefined) this.outageSince = now;
    else if (now - this.lastLogged < LOG_EVERY_MS) return;
    this.lastLogged = now;
    const err = e instanceof Error ? e.message : String(e);
    logger().warn({ sink: this.name, err, alerts, failedAttempts: this.outageFailures, pending: this.spool.pending() }, msg);
  }
}

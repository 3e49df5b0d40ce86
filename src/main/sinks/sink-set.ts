// The --sink set: every configured destination behind one offer().
//
// All URLs are parsed before anything opens, so a typo is a usage error with nothing half-open.
// Each sink has its own queue (a spool for network sinks, a block buffer for local ones), so a
// dead destination never holds up detection or the other sinks; a sink's `min_severity` is applied
// here, and an alert below it is simply not offered (not counted as dropped).
import { mkdirSync } from 'node:fs';
import { InputError, UsageError } from '../../shared/errors.js';
import { openFileSink } from './file-sink.js';
import { SpooledSink, type Transport } from './network-sink.js';
import { parseSinkUrl, severityAtLeast, type SinkSpec } from './parse-sink-url.js';
import { Spool } from './spool.js';
import { StdoutSink } from './stdout-sink.js';
import type { AlertSeverity, AlertSinkTarget, OutgoingAlert, SinkStats } from './types.js';

export interface SinkSet {
  readonly sinks: AlertSinkTarget[];
  offer(alert: OutgoingAlert): void;
  stats(): Record<string, SinkStats>;
  close(graceMs: number): Promise<{ undelivered: number }>;
}

export interface OpenSinksOptions {
  /** Root of the network sinks' spools (one folder per sink inside). */
  spoolDir: string;
  /** Where `stdout` sinks write. */
  stdout: NodeJS.WritableStream;
}

/** Redis and NATS attempts not acknowledged within this are failures (the webhook has its own timeout). */
const ATTEMPT_TIMEOUT_MS = 15_000;

export async function openSinks(urls: string[], opts: { spoolDir: string; stdout: NodeJS.WritableStream }): Promise<SinkSet> {
  const specs = urls.map(parseSinkUrl);
  const seen = new Set<string>();
  for (const s of specs) {
    // Two sinks with one name would share a spool folder and a metrics label.
    if (seen.has(s.name)) throw new UsageError('sink.url', `sink ${s.name} is given twice`, { hint: 'give each destination once (min_severity applies per sink)' });
    seen.add(s.name);
  }
  const opened: { sink: AlertSinkTarget; min: AlertSeverity }[] = [];
  try {
    for (const spec of specs) opened.push({ sink: await openSink(spec, opts), min: spec.minSeverity });
  } catch (e) {
    await Promise.allSettled(opened.map((o) => o.sink.close(0)));
    throw e;
  }
  return new Fanout(opened);
}

async function openSink(spec: SinkSpec, opts: OpenSinksOptions): Promise<AlertSinkTarget> {
  switch (spec.kind) {
    case 'stdout':
      return new StdoutSink(opts.stdout);
    case 'file':
      return openFileSink(spec);
    // Clients are loaded only for the sinks in use: importing undici, node-redis and the NATS
    // client costs ~250 ms of start-up that a run without such sinks must not pay.
    case 'webhook': {
      const { WebhookTransport } = await import('./webhook-sink.js');
      // The webhook's own timeout bounds the request; the loop's bound is only a backstop.
      return spooled(spec, new WebhookTransport(spec), spec.timeoutMs + 1000, opts.spoolDir);
    }
    case 'redis': {
      const { RedisTransport } = await import('./redis-sink.js');
      return spooled(spec, new RedisTransport(spec), ATTEMPT_TIMEOUT_MS, opts.spoolDir);
    }
    case 'nats': {
      const { NatsTransport } = await import('./nats-sink.js');
      return spooled(spec, new NatsTransport(spec), ATTEMPT_TIMEOUT_MS, opts.spoolDir);
    }
  }
}

function spooled(spec: Extract<SinkSpec, { batch: number }>, transport: Transport, attemptTimeoutMs: number, root: string): SpooledSink {
  let spool: Spool;
  try {
    mkdirSync(root, { recursive: true });
    spool = Spool.open(root, spec.name, { maxBytes: spec.spoolMaxBytes });
  } catch (e) {
    void transport.close();
    throw new InputError('spool.unusable', `cannot use the spool folder ${root} for sink ${spec.name}: ${(e as Error).message}`, { file: root, cause: e, hint: 'set --spool-dir (config spool.dir) to a writable folder' });
  }
  return new SpooledSink(spec.name, spool, transport, { batch: spec.batch, attemptTimeoutMs });
}

class Fanout implements SinkSet {
  readonly sinks: AlertSinkTarget[];
  private closed = false;

  constructor(private readonly entries: { sink: AlertSinkTarget; min: AlertSeverity }[]) {
    this.sinks = entries.map((e) => e.sink);
  }

  offer(alert: OutgoingAlert): void {
    if (this.closed) return;
    for (const { sink, min } of this.entries) if (severityAtLeast(alert.severity, min)) sink.offer(alert);
  }

  stats(): Record<string, SinkStats> {
    const out: Record<string, SinkStats> = {};
    for (const s of this.sinks) out[s.name] = s.stats();
    return out;
  }

  /** Closes every sink at once; sums what stays undelivered; throws the first error after all closed. */
  async close(graceMs: number): Promise<{ undelivered: number }> {
    this.closed = true;
    const results = await Promise.allSettled(this.sinks.map((s) => s.close(graceMs)));
    let undelivered = 0;
    for (const r of results) if (r.status === 'fulfilled') undelivered += r.value.undelivered;
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
    return { undelivered };
  }
}

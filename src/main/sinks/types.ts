// The contract between detection and the places alerts go (stdout, files, webhooks, Redis
// Streams, NATS JetStream). Detection hands each alert to every sink once and never waits: a sink
// queues (network sinks spool to disk first), delivers on its own schedule, and counts what it
// did for the metrics endpoint. Delivery is at-least-once; consumers de-duplicate by `id`.

export type AlertSeverity = 'low' | 'medium' | 'high' | 'critical';

/** One alert as it leaves the engine. */
export interface OutgoingAlert {
  /** kestrel.alert.id: stable for the same rule and matched events (a replay gives the same ids). */
  readonly id: string;
  readonly ruleId: string;
  readonly severity: AlertSeverity;
  /** The alert as one line of JSON, without the trailing newline. */
  readonly line: string;
}

export interface SinkStats {
  /** Alerts the destination acknowledged (or, for stdout/files, wrote). */
  delivered: number;
  /** Alerts in delivery attempts that failed (each failed attempt counts its alerts again). */
  failed: number;
  /** Alerts thrown away: a full spool, or below the sink's minimum severity is NOT counted here. */
  dropped: number;
  /** Bytes waiting in the on-disk spool (0 for sinks without one). */
  spooledBytes: number;
  /** Alerts accepted but not yet delivered (in memory or spooled). */
  pending: number;
}

export interface AlertSinkTarget {
  /** Label for metrics and logs: the URL with any password removed (e.g. "redis://127.0.0.1:6379/kestrel"). */
  readonly name: string;
  /** Takes one alert; never blocks and never throws (a failure is counted, logged, retried). */
  offer(alert: OutgoingAlert): void;
  stats(): SinkStats;
  /**
   * Stops accepting alerts and tries to deliver everything pending for up to `graceMs`. What is
   * still undelivered then stays in the spool for the next start (network sinks) or is reported
   * as lost (stdout/file sinks cannot lose anything short of a write error, which throws here).
   */
  close(graceMs: number): Promise<{ undelivered: number }>;
}

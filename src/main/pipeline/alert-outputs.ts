// Everything an alert released by the engine goes to: the primary output (stdout or --output),
// the --sink destinations (each with its own queue), and the metrics. The engine calls write()
// once per alert, in the deterministic order; nothing here blocks it.
import { alertHeader } from '../../shared/pipeline/alert.js';
import type { AlertSink } from './alert-sink.js';
import type { KestrelMetrics } from '../metrics/kestrel-metrics.js';
import type { OutgoingAlert, SinkStats } from '../sinks/types.js';

/** The --sink set (sinks/sink-set.ts), as detection sees it. */
export interface SinkFanout {
  offer(alert: OutgoingAlert): void;
  stats(): Record<string, SinkStats>;
}

export class AlertOutputs {
  private alerts = 0;

  constructor(
    private readonly primary: AlertSink | undefined,
    private sinks: SinkFanout | undefined,
    private readonly metrics: KestrelMetrics | undefined,
    /** Live mode: observe ingest→alert latency against the sensor's clock. */
    private readonly clock?: () => number,
  ) {}

  /** Alerts released so far (to every output). */
  get count(): number {
    return this.alerts;
  }

  /** Alerts released while the sink set is being replaced (the old one closing, the new opening). */
  private held: OutgoingAlert[] | undefined;

  /**
   * SIGHUP with changed sinks: from now on alerts are held in memory until `replaceSinks`, so
   * none falls between the old set's close (its spools must be released first: the new set may
   * reopen the same ones) and the new set's open.
   */
  holdSinks(): void {
    this.held ??= [];
  }

  replaceSinks(sinks: SinkFanout | undefined): void {
    this.sinks = sinks;
    const held = this.held ?? [];
    this.held = undefined;
    for (const a of held) sinks?.offer(a);
  }

  sinkStats(): Record<string, SinkStats> {
    return this.sinks?.stats() ?? {};
  }

  write(line: string): void {
    this.alerts++;
    this.primary?.write(line);
    if (!this.sinks && !this.held && !this.metrics) return;
    const header = alertHeader(line);
    if (this.held) this.held.push({ ...header, line });
    else this.sinks?.offer({ ...header, line });
    if (this.metrics) {
      let latency: number | undefined;
      if (this.clock) {
        // "@timestamp":"2024-01-01T00:00:03.300Z" opens every alert line (alert.ts).
        const eventMs = Date.parse(line.slice(15, 39));
        if (Number.isFinite(eventMs)) latency = (this.clock() - eventMs) / 1000;
      }
      this.metrics.alertRaised(header.ruleId, latency);
    }
  }
}

// Kestrel's Prometheus metrics (prom-client). Nothing here runs per event: every value is read
// when /metrics is scraped, from counters the pipeline, the workers (shared memory), the sensor
// and the sinks already keep. The only per-alert work is one counter increment and one histogram
// observation. Names follow Prometheus conventions (base units, _total for counters).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { PipelineMetrics } from '../pipeline/detection.js';
import type { SinkStats } from '../sinks/types.js';

export interface SensorCounters {
  /** Events drained from the kernel ring. */
  kernelEvents: number;
  /** Events the kernel could not queue (ring full). */
  kernelDrops: number;
  /** Events that made no record (an unknown kind: a sensor/decoder version mismatch). */
  undecodable: number;
}

/** Where the values come from; each is read at scrape time. */
export interface MetricsSources {
  pipeline(): PipelineMetrics | undefined;
  sensor?(): SensorCounters;
  sinks(): Record<string, SinkStats>;
}

export class KestrelMetrics {
  readonly registry = new Registry();
  private readonly alerts: Counter<'rule'>;
  private readonly latency: Histogram;

  constructor(sources: MetricsSources) {
    const r = this.registry;
    collectDefaultMetrics({ register: r });
    new Counter({
      name: 'kestrel_events_total', help: 'Events by pipeline stage: kernel_read (drained from the BPF ring), records_built, evaluated (step predicates run), matched (at least one true step).',
      labelNames: ['stage'], registers: [r],
      collect() {
        const p = sources.pipeline();
        const s = sources.sensor?.();
        this.reset();
        if (s) this.inc({ stage: 'kernel_read' }, s.kernelEvents);
        this.inc({ stage: 'records_built' }, p?.eventsIn ?? 0);
        this.inc({ stage: 'evaluated' }, p?.evaluated ?? 0);
        this.inc({ stage: 'matched' }, p?.matched ?? 0);
      },
    });
    new Counter({
      name: 'kestrel_events_dropped_total', help: 'Events lost by stage: kernel_ring_full (BPF ring), partition_ring_full (live mode, a worker fell behind), decode_failed (no record could be made), worker_crash (queued for a worker that crashed).',
      labelNames: ['stage'], registers: [r],
      collect() {
        const p = sources.pipeline();
        const s = sources.sensor?.();
        this.reset();
        this.inc({ stage: 'kernel_ring_full' }, s?.kernelDrops ?? 0);
        this.inc({ stage: 'partition_ring_full' }, p?.ringFullDrops ?? 0);
        this.inc({ stage: 'decode_failed' }, s?.undecodable ?? 0);
        this.inc({ stage: 'worker_crash' }, p?.eventsLostInCrashes ?? 0);
      },
    });
    this.alerts = new Counter({ name: 'kestrel_alerts_total', help: 'Alerts raised, by rule id.', labelNames: ['rule'], registers: [r] });
    new Counter({
      name: 'kestrel_rule_faults_total', help: 'Wasm user rule faults by rule and kind: fuel, memory, trap, stack, circuit-open (calls skipped while the breaker is open), init (refused at start).',
      labelNames: ['rule', 'kind'], registers: [r],
      collect() {
        this.reset();
        for (const f of sources.pipeline()?.ruleFaults ?? []) this.inc({ rule: f.rule, kind: f.kind }, f.count);
      },
    });
    new Gauge({
      name: 'kestrel_partials', help: 'Open sequence state (partials and pending verdicts) per partition.',
      labelNames: ['partition'], registers: [r],
      collect() {
        this.reset();
        (sources.pipeline()?.partials ?? []).forEach((n, i) => this.set({ partition: String(i) }, n));
      },
    });
    new Counter({
      name: 'kestrel_partial_evictions_total', help: 'Sequence partials evicted by the memory caps, by reason: per_key, per_rule, total.',
      labelNames: ['reason'], registers: [r],
      collect() {
        const e = sources.pipeline()?.evictions ?? { perKey: 0, perRule: 0, total: 0 };
        this.reset();
        this.inc({ reason: 'per_key' }, e.perKey);
        this.inc({ reason: 'per_rule' }, e.perRule);
        this.inc({ reason: 'total' }, e.total);
      },
    });
    new Gauge({
      name: 'kestrel_lineage_processes', help: 'Processes in the lineage table (Endpoint rules with descendant of / child of / event of).', registers: [r],
      collect() {
        this.set(sources.pipeline()?.lineageProcesses ?? 0);
      },
    });
    new Counter({
      name: 'kestrel_lineage_evictions_total', help: 'Processes evicted from the bounded lineage table (their descendants then answer as if unseen).', registers: [r],
      collect() {
        this.reset();
        this.inc(sources.pipeline()?.lineageEvictions ?? 0);
      },
    });
    new Counter({
      name: 'kestrel_worker_restarts_total', help: 'Partition workers restarted after a crash.', registers: [r],
      collect() {
        this.reset();
        this.inc(sources.pipeline()?.workerRestarts ?? 0);
      },
    });
    const perSink = (name: string, help: string, pick: (s: SinkStats) => number, type: 'counter' | 'gauge') => {
      const collect = function (this: Counter<'sink'> | Gauge<'sink'>) {
        this.reset();
        for (const [sink, s] of Object.entries(sources.sinks())) {
          if (this instanceof Gauge) this.set({ sink }, pick(s));
          else this.inc({ sink }, pick(s));
        }
      };
      if (type === 'counter') new Counter({ name, help, labelNames: ['sink'], registers: [r], collect });
      else new Gauge({ name, help, labelNames: ['sink'], registers: [r], collect });
    };
    perSink('kestrel_sink_delivered_total', 'Alerts a sink delivered (acknowledged by the destination, or written).', (s) => s.delivered, 'counter');
    perSink('kestrel_sink_failed_total', 'Alerts in delivery attempts that failed (each retry counts again).', (s) => s.failed, 'counter');
    perSink('kestrel_sink_dropped_total', 'Alerts a sink threw away (its spool was full).', (s) => s.dropped, 'counter');
    perSink('kestrel_sink_spooled_bytes', 'Bytes waiting in a sink\'s on-disk spool.', (s) => s.spooledBytes, 'gauge');
    perSink('kestrel_sink_pending', 'Alerts accepted by a sink and not yet delivered.', (s) => s.pending, 'gauge');
    this.latency = new Histogram({
      name: 'kestrel_ingest_to_alert_seconds', help: 'Live mode: from the completing event\'s time (sensor clock) to the alert leaving the engine.',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [r],
    });
  }

  /** One alert released by the engine; `latencySeconds` only in live mode. */
  alertRaised(ruleId: string, latencySeconds?: number): void {
    this.alerts.inc({ rule: ruleId });
    if (latencySeconds !== undefined && latencySeconds >= 0) this.latency.observe(latencySeconds);
  }
}

// The outputs run and replay share: the primary alert output (stdout or --output), the --sink
// set, and the --metrics endpoint. Opened before detection starts, so an unusable output or a
// taken metrics port is an error (exit 2) before any work, never a silent loss later.
import type { CommandContext, ParsedArgs } from '../command.js';
import { UsageError } from '../../shared/errors.js';
import { openAlertSink, type AlertSink } from '../pipeline/alert-sink.js';
import { AlertOutputs } from '../pipeline/alert-outputs.js';
import { defaultSpoolDir } from '../pipeline/state-dir.js';

const openSinks = async (urls: string[], opts: { spoolDir: string; stdout: NodeJS.WritableStream }): Promise<SinkSet> =>
  (await import('../sinks/sink-set.js')).openSinks(urls, opts);
import type { KestrelMetrics, MetricsSources } from '../metrics/kestrel-metrics.js';
import type { MetricsServer, ReadinessChecks } from '../metrics/metrics-server.js';
import { parseListenAddress } from '../config/load-config.js';
import type { SinkSet } from '../sinks/sink-set.js';

/** How long closing waits for sinks to deliver what they hold; the rest stays spooled. */
export const SINK_CLOSE_GRACE_MS = 5000;

export interface Outputs {
  alerts: AlertOutputs;
  metrics: KestrelMetrics | undefined;
  server: MetricsServer | undefined;
  /** Replaces the --sink set (a config reload); alerts released meanwhile are held, not lost. */
  reopenSinks(urls: readonly string[]): Promise<void>;
  /** Closes everything; throws when the primary output lost alerts (a write error). */
  close(): Promise<void>;
}

export interface OutputsOptions {
  live: boolean;
  sources: Omit<MetricsSources, 'sinks'>;
  ready: ReadinessChecks;
}

export async function openOutputs(values: ParsedArgs['values'], ctx: CommandContext, o: OutputsOptions): Promise<Outputs> {
  const urls = (values.sink as string[] | undefined) ?? [];
  const output = values.output as string | undefined;
  const spoolDir = (values['spool-dir'] as string | undefined) ?? defaultSpoolDir();
  const listen = values.metrics as string | undefined;
  const address = listen === undefined ? undefined : parseListenAddress(listen);
  if (listen !== undefined && !address) throw new UsageError('usage', '--metrics must be HOST:PORT (e.g. 127.0.0.1:9464; port 0 picks a free one)');

  // With --sink, stdout carries alerts only when asked (--sink stdout); --output always gets them.
  const primary: AlertSink | undefined = urls.length === 0 || output !== undefined ? await openAlertSink(output, ctx.out, { immediate: o.live }) : undefined;
  let sinks: SinkSet | undefined = urls.length ? await openSinks([...urls], { spoolDir, stdout: ctx.out }) : undefined;
  const sinkStats = () => sinks?.stats() ?? {};
  // prom-client and the sink clients are loaded only when asked for: start-up stays as it was.
  const metrics = address ? new (await import('../metrics/kestrel-metrics.js')).KestrelMetrics({ ...o.sources, sinks: sinkStats }) : undefined;
  const startedWall = Date.now();
  const startedMono = performance.now();
  const clock = o.live ? () => startedWall + (performance.now() - startedMono) : undefined;
  const alerts = new AlertOutputs(primary, sinks, metrics, clock);
  let server: MetricsServer | undefined;
  if (metrics && address) {
    const { startMetricsServer } = await import('../metrics/metrics-server.js');
    server = await startMetricsServer(address.host, address.port, metrics.registry, o.ready);
    ctx.err.write(`metrics on http://${server.address}/metrics (also /healthz, /readyz)\n`);
  }
  return {
    alerts,
    metrics,
    server,
    async reopenSinks(next) {
      alerts.holdSinks();
      try {
        await sinks?.close(SINK_CLOSE_GRACE_MS);
      } finally {
        sinks = next.length ? await openSinks([...next], { spoolDir, stdout: ctx.out }) : undefined;
        alerts.replaceSinks(sinks);
      }
    },
    async close() {
      await server?.close();
      const undelivered = sinks ? (await sinks.close(SINK_CLOSE_GRACE_MS)).undelivered : 0;
      if (undelivered > 0) ctx.err.write(`kestrel: ${undelivered} alert(s) not yet delivered stay in the spool under ${spoolDir}; the next start delivers them\n`);
      await primary?.close();
    },
  };
}

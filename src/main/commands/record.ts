// `kestrel record`: runs the eBPF sensor and writes every event, as an ECS Linux record, to a
// capture file until --duration passes or SIGINT/SIGTERM arrives; then closes the capture
// cleanly and prints what it recorded.
import type { Command } from '../command.js';
import { CaptureWriter, type SyncPolicy } from '../../shared/capture/writer.js';
import { UsageError } from '../../shared/errors.js';
import { buildLayout } from '../../shared/record/layout.js';
import { ecsLinuxSchema } from '../../shared/schema/ecs-linux.js';
import { KESTREL_VERSION } from '../../shared/version.js';
import { LiveSource, untilStopped, type LiveSourceStats } from '../sensor/live-source.js';
import type { EcsEventClass } from '../sensor/ecs-events.js';
import { SENSOR_OPTIONS, parseDuration, parseNames, parseRingBytes, watchNames } from './sensor-options.js';
import { defaultCapturePlan } from '../sensor/capture-plan.js';

/** Seal the open chunk this often, so a crash loses at most this much of a quiet recording. */
const FLUSH_EVERY_MS = 1000;
const SYNC_POLICIES: readonly SyncPolicy[] = ['none', 'chunk', 'interval'];

export const recordCommand: Command = {
  name: 'record',
  summary: 'record live host activity (eBPF) to a capture file',
  usage: '-o capture.bin [--duration S] [--ring-bytes N] [--sync none|chunk|interval]',
  maxPositionals: 0,
  description: 'Needs root (or CAP_BPF + CAP_PERFMON), kernel BTF and the built sensor addon. Stops after\n--duration seconds or on SIGINT/SIGTERM, always leaving a complete capture.',
  options: {
    output: { type: 'string', short: 'o', arg: 'FILE', help: 'capture file to write' },
    ...SENSOR_OPTIONS,
    sync: { type: 'string', arg: 'P', help: 'fsync policy: none (default), chunk or interval (1 s)' },
  },
  async run(args, ctx) {
    const v = args.values;
    if (typeof v.output !== 'string') throw new UsageError('usage', "missing -o FILE\nRun 'kestrel record --help' for usage.");
    const duration = parseDuration(v.duration);
    const ringBufferBytes = parseRingBytes(v['ring-bytes']);
    const sync = (v.sync ?? 'none') as SyncPolicy;
    if (!SYNC_POLICIES.includes(sync)) throw new UsageError('usage', '--sync must be none, chunk or interval');

    const layout = buildLayout(ecsLinuxSchema());
    // The sensor calls back from the event loop only, so the writer exists before any record comes.
    let writer: CaptureWriter | undefined;
    // No rules here: the sensor watches the default sensitive reads and environment names, plus
    // the configured ones, so the capture serves the rules a later replay brings.
    const capture = defaultCapturePlan({ envNames: parseNames(v['capture-env'], 'capture-env'), ...watchNames(parseNames(v['watch-reads'], 'watch-reads')) });
    const source = LiveSource.start({ layout, ringBufferBytes, capture, onRecord: (record) => writer!.append(record) });
    const started = Date.now();
    let stats: LiveSourceStats;
    try {
      writer = CaptureWriter.create(v.output, {
        layout,
        sync,
        source: { host: source.host.hostname, kernel: source.host.kernel, startTime: new Date(started).toISOString(), kestrelVersion: KESTREL_VERSION, description: 'ebpf' },
      });
      source.sendSnapshot();
      // Listening for SIGINT/SIGTERM before the line below says they stop the recording: a signal
      // sent the moment it appears closes the capture instead of killing the process.
      const stopped = untilStopped(duration);
      ctx.err.write(`recording to ${v.output}${duration === undefined ? '' : ` for ${duration} s`} (SIGINT/SIGTERM stops)\n`);
      const flusher = setInterval(() => writer!.flush(), FLUSH_EVERY_MS);
      const why = await stopped;
      clearInterval(flusher);
      if (why !== 'duration') ctx.err.write(`${why}: stopping\n`);
    } finally {
      stats = source.stop();
      writer?.close();
    }
    ctx.err.write(summary(v.output, (Date.now() - started) / 1000, stats, writer.stats, source.converter.recordsByClass));
    return 0;
  },
};

function summary(file: string, seconds: number, s: LiveSourceStats, w: CaptureWriter['stats'], byClass: ReadonlyMap<EcsEventClass, number>): string {
  const categories = new Map<string, Array<[string, number]>>();
  for (const [cls, n] of byClass) {
    const key = cls.category.join('+');
    if (!categories.has(key)) categories.set(key, []);
    categories.get(key)!.push([cls.action, n]);
  }
  const lines = [`recorded ${s.records} events in ${seconds.toFixed(1)} s to ${file} (${w.chunks} chunks, ${w.bytes} bytes)`];
  for (const [category, actions] of [...categories].sort()) {
    const total = actions.reduce((a, [, n]) => a + n, 0);
    lines.push(`  ${category.padEnd(16)} ${String(total).padStart(8)}  (${actions.map(([a, n]) => `${a} ${n}`).join(', ')})`);
  }
  lines.push(`kernel events ${s.kernelEvents}, dropped in the kernel (ring full) ${s.drops}`);
  return lines.join('\n') + '\n';
}

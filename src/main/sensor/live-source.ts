// The live event source shared by `kestrel record` and `kestrel run`: checks that eBPF can work
// here, seeds the process table from /proc, starts the sensor and turns every drained batch into
// records (to-record.ts) handed to one sink. The sensor drains when libuv reports its ring
// readable (epoll), so an idle host costs nothing.
import { RuntimeError } from '../../shared/errors.js';
import type { RecordLayout } from '../../shared/record/layout.js';
import { bootClockOffsetNs } from '../../shared/sensor/addon.js';
import { Sensor, ebpfUnavailableReason } from '../../shared/sensor/sensor.js';
import { BootClock } from './boot-clock.js';
import type { CapturePlan } from './capture-plan.js';
import { readHostInfo, type HostInfo } from './host-info.js';
import { ProcessTable } from './process-table.js';
import { KernelRecordConverter, type RecordSink } from './to-record.js';

export interface LiveSourceOptions {
  layout: RecordLayout;
  /** Kernel ring buffer bytes (power of two; default 8 MiB). */
  ringBufferBytes?: number;
  /** Receives each record; the bytes are reused after the call returns. */
  onRecord: RecordSink;
  /** What the sensor captures beyond its fixed events (capture-plan.ts). */
  capture: CapturePlan;
  /** Called after the records of each drained batch were handed to onRecord (to send them on at once). */
  onBatchEnd?: () => void;
}

export interface LiveSourceStats {
  records: number;
  /** Events the kernel could not queue (ring full). */
  drops: number;
  /** Events drained from the ring. */
  kernelEvents: number;
  /** Events of a kind this decoder does not know (a sensor/decoder mismatch): no record made. */
  undecodable: number;
}

export class LiveSource {
  readonly host: HostInfo;
  readonly table: ProcessTable;
  readonly converter: KernelRecordConverter;
  private readonly sensor: Sensor;
  private records = 0;
  /** Records of the process-table snapshot sent at start. */
  snapshotRecords = 0;
  private sink: RecordSink | undefined;
  private batchEnd: (() => void) | undefined;

  /**
   * Sends the process-table snapshot: call right after start, before yielding to the event loop
   * (the sensor calls back from it only, so no live record can come first). Lineage then knows
   * processes older than Kestrel, and a recording carries the same tree to its replays.
   */
  sendSnapshot(): number {
    this.snapshotRecords = this.converter.snapshot(Math.round((performance.timeOrigin + performance.now()) * 1000), this.sink!);
    this.records += this.snapshotRecords;
    this.batchEnd?.();
    return this.snapshotRecords;
  }
  private capture: CapturePlan;

  private constructor(o: LiveSourceOptions) {
    this.capture = o.capture;
    this.host = readHostInfo();
    this.table = new ProcessTable({ bootId: this.host.bootId || undefined });
    this.table.seedFromProc();
    this.converter = new KernelRecordConverter({ layout: o.layout, table: this.table, host: this.host, clock: new BootClock(bootClockOffsetNs()), envNames: o.capture.envNames });
    this.sensor = new Sensor({
      ringBufferBytes: o.ringBufferBytes,
      captureEnv: o.capture.envNames.length > 0,
      watchFiles: o.capture.watchFiles,
      watchDirs: o.capture.watchDirs,
    });
  }

  /** Starts recording; throws RuntimeError naming what is missing when eBPF cannot run here. */
  static start(o: LiveSourceOptions): LiveSource {
    const reason = ebpfUnavailableReason();
    if (reason !== undefined) {
      throw new RuntimeError('sensor.unavailable', `the eBPF sensor cannot run: ${reason}`, { hint: 'run as root on Linux ≥ 5.17 with BTF, after bash scripts/setup.sh' });
    }
    const source = new LiveSource(o);
    const sink = o.onRecord;
    try {
      const batchEnd = o.onBatchEnd;
      source.sensor.start((view, bytes) => {
        source.records += source.converter.convertBatch(view, bytes, sink);
        batchEnd?.();
      });
    } catch (err) {
      throw new RuntimeError('sensor.start', `the eBPF sensor did not start: ${(err as Error).message}`, { cause: err });
    }
    source.sink = sink;
    source.batchEnd = o.onBatchEnd;
    return source;
  }

  /** Drains what the kernel already produced, then detaches the sensor. */
  stop(): LiveSourceStats {
    // Sensor.stop drains once more: count after it, or the summary misses that last batch.
    const s = this.sensor.stop();
    return { records: this.records, drops: s?.drops ?? 0, kernelEvents: s?.events ?? 0, undecodable: this.converter.unknownKinds };
  }

  /** Applies a new capture plan (after a rule reload); returns whether anything changed. */
  updateCapture(plan: CapturePlan): boolean {
    const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
    const old = this.capture;
    if (same(old.envNames, plan.envNames) && same(old.watchFiles, plan.watchFiles) && same(old.watchDirs, plan.watchDirs)) return false;
    this.converter.setEnvNames(plan.envNames);
    if (!same(old.watchFiles, plan.watchFiles) || !same(old.watchDirs, plan.watchDirs)) this.sensor.setWatchLists(plan.watchFiles, plan.watchDirs);
    this.capture = plan;
    return true;
  }

  stats(): LiveSourceStats {
    const s = this.sensor.stats();
    return { records: this.records, drops: s?.drops ?? 0, kernelEvents: s?.events ?? 0, undecodable: this.converter.unknownKinds };
  }
}

/** Resolves when `seconds` have passed (if given) or on SIGINT/SIGTERM, with what happened. */
export type StopReason = 'duration' | 'SIGINT' | 'SIGTERM' | 'stdout closed';

/**
 * Resolves when the run should stop: after `seconds` (if given), on SIGINT/SIGTERM, or when
 * `stdoutGone` fires (the reader of our output went away: a clean shutdown, not a crash).
 */
export function untilStopped(seconds: number | undefined, stdoutGone?: AbortSignal): Promise<StopReason> {
  return new Promise((resolve) => {
    const done = (why: StopReason) => {
      clearTimeout(timer);
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      stdoutGone?.removeEventListener('abort', onGone);
      resolve(why);
    };
    const onInt = () => done('SIGINT');
    const onTerm = () => done('SIGTERM');
    const onGone = () => done('stdout closed');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    stdoutGone?.addEventListener('abort', onGone);
    const timer = seconds === undefined ? undefined : setTimeout(() => done('duration'), seconds * 1000);
    if (stdoutGone?.aborted) done('stdout closed');
  });
}

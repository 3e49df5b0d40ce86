// The sensor as the rest of Kestrel sees it: start() loads and attaches the BPF programs and
// drains the ring into one SharedArrayBuffer whenever libuv reports it readable; every drained
// batch is handed to the consumer as (view, byteLength) — frames of raw kernel events, no
// per-event JS objects. stop() drains what is left and detaches.
import { existsSync, readFileSync } from 'node:fs';
import { EbpfLoader, addonUnavailableReason, type LoaderStats, type ProgramInfo } from './addon.js';
import { MAX_EVENT_BYTES, frameBytes } from './layout.js';

export interface SensorOptions {
  /** Kernel ring buffer bytes (power of two). Default 8 MiB. */
  ringBufferBytes?: number;
  /** Drain buffer bytes (SharedArrayBuffer). Default 1 MiB. */
  batchBytes?: number;
  /** Program names to load (default: all that this kernel supports). */
  programs?: string[];
  /**
   * After the ring becomes readable, wait this long before draining (default 10 ms; 0 drains at
   * once). The kernel wakes the reader only for the first event after it has caught up, so a
   * reader that drains every event at once is woken once per event: under an exec storm that
   * wake-up, not the BPF programs, was most of the sensor's cost (+50% vs +2% with 10 ms).
   */
  coalesceMs?: number;
  /** Exec events carry the environment (default false). */
  captureEnv?: boolean;
  /** The read watch list (see OpenOptions). */
  watchFiles?: string[];
  watchDirs?: string[];
}

/** Receives each drained batch: frames in view[0, bytes). Valid only during the call. */
export type BatchHandler = (view: DataView, bytes: number) => void;

const DEFAULT_RING_BYTES = 8 << 20;
const DEFAULT_BATCH_BYTES = 1 << 20;
const DEFAULT_COALESCE_MS = 10;
/** Batches per readable callback before yielding to the event loop (fairness under a storm). */
const MAX_BATCHES_PER_WAKEUP = 16;

/** Why live eBPF cannot run here (not root, no BTF, addon not built …), or undefined. */
export function ebpfUnavailableReason(): string | undefined {
  if (process.platform !== 'linux') return `eBPF needs Linux (this is ${process.platform})`;
  if (!existsSync('/sys/kernel/btf/vmlinux')) return 'no kernel BTF: /sys/kernel/btf/vmlinux is missing (CONFIG_DEBUG_INFO_BTF=y needed)';
  if (process.getuid?.() !== 0) {
    const missing = missingBpfCapabilities();
    if (missing.length) return `not root and missing ${missing.join(' + ')}: loading BPF programs needs root or CAP_BPF + CAP_PERFMON (packaging/kestrel.service grants them)`;
  }
  return addonUnavailableReason();
}

/** CapEff bits (include/uapi/linux/capability.h) that allow loading and attaching tracing programs. */
const CAP_SYS_ADMIN = 21n;
const CAP_PERFMON = 38n;
const CAP_BPF = 39n;

/**
 * Which of CAP_BPF + CAP_PERFMON this process lacks in its effective set (none with CAP_SYS_ADMIN): a
 * non-root service holds both when systemd grants them (packaging/kestrel.service). The addon's own
 * preflight names what is missing if loading is refused anyway.
 */
function missingBpfCapabilities(): string[] {
  let effective: bigint;
  try {
    const hex = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    if (hex === undefined) return ['CAP_BPF', 'CAP_PERFMON'];
    effective = BigInt(`0x${hex}`);
  } catch {
    return ['CAP_BPF', 'CAP_PERFMON'];
  }
  const has = (bit: bigint): boolean => ((effective >> bit) & 1n) === 1n;
  if (has(CAP_SYS_ADMIN)) return [];
  return [...(has(CAP_BPF) ? [] : ['CAP_BPF']), ...(has(CAP_PERFMON) ? [] : ['CAP_PERFMON'])];
}

export class Sensor {
  readonly buffer: SharedArrayBuffer;
  private readonly view: DataView;
  private readonly options: SensorOptions;
  private loader: EbpfLoader | undefined;
  private handler: BatchHandler | undefined;
  private readonly coalesceMs: number;
  private coalesceTimer: NodeJS.Timeout | undefined;
  private readonly onReadable = (): void => this.readable();

  constructor(options: SensorOptions = {}) {
    const batchBytes = options.batchBytes ?? DEFAULT_BATCH_BYTES;
    if (batchBytes < frameBytes(MAX_EVENT_BYTES) || batchBytes % 8 !== 0) {
      throw new RangeError(`options.batchBytes must be a multiple of 8 and at least ${frameBytes(MAX_EVENT_BYTES)}`);
    }
    this.options = options;
    this.coalesceMs = options.coalesceMs ?? DEFAULT_COALESCE_MS;
    if (!(this.coalesceMs >= 0)) throw new RangeError('options.coalesceMs must be a non-negative number');
    this.buffer = new SharedArrayBuffer(batchBytes);
    this.view = new DataView(this.buffer);
  }

  /** Replaces the read watch list of a running sensor (the kernel's maps, in place). */
  setWatchLists(watchFiles: string[], watchDirs: string[]): void {
    this.loader?.setWatchLists(watchFiles, watchDirs);
  }

  get running(): boolean {
    return this.loader !== undefined;
  }

  start(handler: BatchHandler): void {
    if (this.loader) throw new Error('Sensor.start(): already running');
    const loader = new EbpfLoader();
    try {
      loader.open({
        ringBufferBytes: this.options.ringBufferBytes ?? DEFAULT_RING_BYTES,
        programs: this.options.programs,
        captureEnv: this.options.captureEnv,
        watchFiles: this.options.watchFiles,
        watchDirs: this.options.watchDirs,
      });
      loader.load();
      loader.attach();
      loader.onReadable(this.onReadable);
    } catch (err) {
      loader.close();
      throw err;
    }
    this.loader = loader;
    this.handler = handler;
  }

  /**
   * The ring has events. Either drain now, or stop watching for coalesceMs (the kernel does not
   * wake us meanwhile either: we are behind), then drain and watch again. Watching is
   * level-triggered, so anything left after MAX_BATCHES_PER_WAKEUP calls back at once.
   */
  private readable(): void {
    if (this.coalesceMs === 0) {
      this.drain(MAX_BATCHES_PER_WAKEUP);
      return;
    }
    this.loader?.onReadable(null);
    this.coalesceTimer = setTimeout(() => {
      this.coalesceTimer = undefined;
      this.drain(MAX_BATCHES_PER_WAKEUP);
      this.loader?.onReadable(this.onReadable);
    }, this.coalesceMs);
  }

  /** Drains up to maxBatches batches now; returns the bytes delivered. */
  drain(maxBatches = Infinity): number {
    const loader = this.loader;
    const handler = this.handler;
    if (!loader || !handler) return 0;
    let total = 0;
    for (let i = 0; i < maxBatches; i++) {
      const bytes = loader.drain(this.buffer, 0, this.buffer.byteLength);
      if (bytes === 0) break;
      handler(this.view, bytes);
      total += bytes;
    }
    return total;
  }

  stats(): LoaderStats | undefined {
    return this.loader?.stats();
  }

  programs(): ProgramInfo[] {
    return this.loader?.programs() ?? [];
  }

  /**
   * Drains what the kernel already produced, then detaches and frees everything. Returns the
   * counters as of that last drain, so a caller's summary covers every event it was handed.
   */
  stop(): LoaderStats | undefined {
    if (!this.loader) return undefined;
    clearTimeout(this.coalesceTimer);
    this.coalesceTimer = undefined;
    this.loader.onReadable(null);
    this.drain();
    const final = this.loader.stats();
    this.loader.close();
    this.loader = undefined;
    this.handler = undefined;
    return final;
  }
}

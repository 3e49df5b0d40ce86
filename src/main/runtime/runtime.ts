// The sharded runtime's main-thread half: starts one worker per partition, moves batches of frames
// into their input rings (blocking on full rings in replay, counting drops in live mode), drains
// their alert rings, merges alerts deterministically, and supervises the workers.
//
// Usage (a replay driver):
//   const rt = await PartitionRuntime.start({...});
//   for each record: rt.appendRecord(partition, mask, seq, bytes, off, len);  (sync, cheap)
//                    if (rt.shouldFlush) await rt.flush();
//   rt.appendWatermark(seq, timeMs) now and then; await rt.finish();
import { Worker } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';
import { SharedRing } from '../../shared/ring/shared-ring.js';
import { FrameBatch, FrameReader, FrameType, F_GROUP_MASK, F_PAYLOAD_BYTES, F_TYPE, FRAME_HEADER_WORDS, frameSeq } from '../../shared/ring/frames.js';
import { COUNTER_SLOTS, type PartitionWorkerData, type WorkerMessage } from '../../shared/runtime/protocol.js';
import { RuntimeError } from '../../shared/errors.js';
import { logger } from '../../shared/log.js';
import { AlertMerger, type PendingAlert } from './merge.js';

export interface RuntimeOptions {
  partitions: number;
  /** File URL of the module exporting `createProcessor`. */
  processorModule: string;
  processorConfig: unknown;
  /** Replay never loses events (producers wait); live drops and counts when a ring is full. */
  mode: 'replay' | 'live';
  /** Input ring size per partition, in 32-bit words (default 1 Mi words = 4 MiB). */
  inputRingWords?: number;
  /** Alert ring size per partition, in words (default 256 Ki words = 1 MiB). */
  alertRingWords?: number;
  /** Staged words per partition that make `shouldFlush` true (default 16 Ki words = 64 KiB). */
  batchWords?: number;
  /** Called with each alert, in the deterministic merge order. */
  onAlert: (alert: PendingAlert) => void;
}

/** Default worker count: one per spare core, at least one (the main thread routes). */
export function defaultPartitions(): number {
  return Math.max(1, availableParallelism() - 1);
}

const WORKER_FILE = fileURLToPath(new URL('../../workers/partition-worker.js', import.meta.url));

interface Partition {
  worker: Worker;
  input: SharedRing;
  alerts: SharedRing;
  batch: FrameBatch;
  reader: FrameReader;
  counters: Float64Array;
  drops: number;
  alertsClosed: boolean;
}

export class PartitionRuntime {
  private readonly parts: Partition[] = [];
  private readonly merger: AlertMerger;
  private failure: RuntimeError | undefined;
  private readonly batchWords: number;
  private readonly utf8 = new TextDecoder();
  shouldFlush = false;

  private constructor(private readonly opts: RuntimeOptions) {
    this.merger = new AlertMerger(opts.partitions, opts.onAlert);
    this.batchWords = opts.batchWords ?? 16 * 1024;
  }

  static async start(opts: RuntimeOptions): Promise<PartitionRuntime> {
    if (!Number.isInteger(opts.partitions) || opts.partitions < 1 || opts.partitions > 256) {
      throw new RuntimeError('runtime.options', 'workers must be an integer from 1 to 256');
    }
    const rt = new PartitionRuntime(opts);
    const ready: Promise<void>[] = [];
    const inputWords = opts.inputRingWords ?? 1 << 20;
    const alertWords = opts.alertRingWords ?? 1 << 18;
    for (let p = 0; p < opts.partitions; p++) {
      const input = SharedRing.create(inputWords);
      const alerts = SharedRing.create(alertWords);
      const counters = new SharedArrayBuffer(COUNTER_SLOTS * 8);
      const data: PartitionWorkerData = {
        partition: p,
        partitions: opts.partitions,
        input: input.handles,
        alerts: alerts.handles,
        counters,
        processorModule: opts.processorModule,
        processorConfig: opts.processorConfig,
        readBufferWords: inputWords,
      };
      const worker = new Worker(WORKER_FILE, { workerData: data });
      const part: Partition = { worker, input, alerts, batch: new FrameBatch(), reader: new FrameReader(alertWords), counters: new Float64Array(counters), drops: 0, alertsClosed: false };
      rt.parts.push(part);
      ready.push(rt.supervise(p, part));
    }
    await Promise.all(ready);
    rt.throwIfFailed();
    return rt;
  }

  /** Wires crash reporting; resolves when the worker says it is ready. */
  private supervise(p: number, part: Partition): Promise<void> {
    return new Promise((resolve) => {
      part.worker.on('message', (m: WorkerMessage) => {
        if (m.type === 'ready') resolve();
        else if (m.type === 'fatal') this.fail(p, m.message);
      });
      part.worker.on('error', (e) => {
        this.fail(p, e.message);
        resolve();
      });
      part.worker.on('exit', (code) => {
        if (code !== 0 && !part.alertsClosed) this.fail(p, `exited with code ${code}`);
        resolve();
      });
    });
  }

  private fail(p: number, cause: string): void {
    if (this.failure) return;
    this.failure = new RuntimeError('runtime.worker_crashed', `partition ${p} worker crashed: ${cause}`, { context: { partition: p } });
    logger().error({ partition: p, cause }, 'partition worker crashed');
  }

  private throwIfFailed(): void {
    if (this.failure) throw this.failure;
  }

  get partitions(): number {
    return this.parts.length;
  }

  // ───────────── producing ─────────────

  /** Stages one record frame for a partition. */
  appendRecord(partition: number, groupMask: number, seq: number, bytes: Uint8Array, offset: number, length: number): void {
    const b = this.parts[partition].batch;
    b.append(FrameType.record, groupMask, seq, bytes, offset, length);
    if (b.lengthWords >= this.batchWords) this.shouldFlush = true;
  }

  private readonly watermarkPayload = new Uint8Array(8);
  private readonly watermarkView = new DataView(this.watermarkPayload.buffer);

  /** Tells every partition that all events ≤ seq were routed and event time reached timeMs. */
  appendWatermark(seq: number, timeMs: number): void {
    this.watermarkView.setFloat64(0, timeMs, true);
    for (const part of this.parts) part.batch.append(FrameType.watermark, 0, seq, this.watermarkPayload, 0, 8);
  }

  /** Moves staged frames into the rings. Replay waits for room; live drops what does not fit. */
  async flush(): Promise<void> {
    this.shouldFlush = false;
    for (let p = 0; p < this.parts.length; p++) {
      const part = this.parts[p];
      const b = part.batch;
      let at = 0;
      while (at < b.lengthWords) {
        this.throwIfFailed();
        // Largest run of whole frames that fits now.
        const room = part.input.freeWords();
        let end = at;
        while (end < b.lengthWords && end + b.words[end] - at <= room) end += b.words[end];
        if (end > at && part.input.tryWrite(b.words, at, end - at)) {
          part.input.wakeConsumer();
          at = end;
          continue;
        }
        if (this.opts.mode === 'live') {
          part.drops += countFrames(b.words, at, b.lengthWords, FrameType.record);
          break;
        }
        const need = b.words[at];
        if (need > part.input.capacityWords) throw new RuntimeError('runtime.frame_too_large', `a frame of ${need * 4} bytes exceeds the input ring`);
        // Drain alerts while waiting, or a worker blocked on a full alert ring would never free us.
        this.drainAlerts();
        await part.input.waitForSpace(need, 20);
      }
      b.clear();
    }
    this.drainAlerts();
  }

  /** Sends end-of-stream, waits for every worker to finish, and releases the remaining alerts. */
  async finish(): Promise<void> {
    for (const part of this.parts) part.batch.append(FrameType.end, 0, 0, null);
    await this.flush();
    while (this.parts.some((p) => !p.alertsClosed)) {
      this.throwIfFailed();
      this.drainAlerts();
      const open = this.parts.filter((p) => !p.alertsClosed);
      if (open.length) await Promise.race(open.map((p) => p.alerts.waitForData(50)));
    }
    this.drainAlerts();
    this.throwIfFailed();
    await Promise.all(this.parts.map((p) => p.worker.terminate()));
  }

  /** Stops workers without waiting for pending work (errors, SIGINT after a drain deadline). */
  async abort(): Promise<void> {
    await Promise.all(this.parts.map((p) => p.worker.terminate()));
  }

  // ───────────── consuming ─────────────

  /** Reads every alert ring, feeds the merger, and releases what is ready. */
  drainAlerts(): void {
    for (let p = 0; p < this.parts.length; p++) {
      const part = this.parts[p];
      if (part.alertsClosed) continue;
      const r = part.reader;
      // Refill until a pass yields no complete frame (a frame may span two refills).
      for (;;) {
        r.refill((t, o, m) => part.alerts.read(t, o, m));
        let got = false;
        for (let at = r.next(); at >= 0; at = r.next()) {
          got = true;
          const type = r.words[at + F_TYPE];
          const seq = frameSeq(r.words, at);
          if (type === FrameType.alert) {
            const start = (at + FRAME_HEADER_WORDS) * 4;
            const json = this.utf8.decode(r.bytes.subarray(start, start + r.words[at + F_PAYLOAD_BYTES]));
            this.merger.add({ seq, ruleIndex: r.words[at + F_GROUP_MASK], json });
          } else if (type === FrameType.progress) {
            this.merger.setProgress(p, seq);
          }
        }
        if (!got) break;
      }
      if (part.alerts.isClosed() && part.alerts.availableWords() === 0) part.alertsClosed = true;
    }
    this.merger.flush();
  }

  /** Per-partition counters for metrics and the load harness. */
  stats(): { partition: number; counters: number[]; inputUsedWords: number; drops: number }[] {
    return this.parts.map((p, i) => ({
      partition: i,
      counters: Array.from(p.counters),
      inputUsedWords: p.input.capacityWords - p.input.freeWords(),
      drops: p.drops,
    }));
  }
}

function countFrames(words: Uint32Array, from: number, to: number, type: number): number {
  let n = 0;
  for (let at = from; at < to; at += words[at]) if (words[at + F_TYPE] === type) n++;
  return n;
}


// The sharded runtime's main-thread half: starts one worker per partition, moves batches of frames
// into their input rings (blocking on full rings in replay, counting drops in live mode), drains
// their alert rings, merges alerts deterministically, and supervises the workers.
//
// Usage (a replay driver):
//   const rt = await PartitionRuntime.start({...});
//   for each record: rt.appendRecord(partition, mask, seq, bytes, off, len);  (sync, cheap)
//                    if (rt.shouldFlush) await rt.flush();
//   rt.appendWatermark(seq, timeMs) now and then; await rt.finish();
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';
import { SharedRing } from '../../shared/ring/shared-ring.js';
import { END_STOPPED, FrameBatch, FrameReader, FrameType, F_GROUP_MASK, F_PAYLOAD_BYTES, F_TYPE, FRAME_HEADER_WORDS, frameSeq } from '../../shared/ring/frames.js';
import { COUNTER_PARTIALS_LIVE, COUNTER_SLOTS, COUNTER_STATE_ENTRIES, type PartitionWorkerData, type PrestartedConfig, type RulesetMessage, type WorkerMessage } from '../../shared/runtime/protocol.js';
import { RuntimeError } from '../../shared/errors.js';
import { logger } from '../../shared/log.js';
import { AlertMerger, type PendingAlert } from './merge.js';
import { workerModule } from '../../shared/code-paths.js';

export interface RuntimeOptions {
  partitions: number;
  /** File URL of the module exporting `createProcessor`. */
  processorModule: string;
  processorConfig: unknown;
  /**
   * The complete processor config when part of it is still being built (a predicate module):
   * workers start on `processorConfig` as a preview and get this when it resolves (ProcessorInit
   * .complete), so their own start-up work overlaps the build. start() rejects if it does.
   * Both are objects; this one need not repeat what the preview carries (a worker started later
   * gets the two merged).
   */
  completeConfig?: Promise<unknown>;
  /** Replay never loses events (producers wait); live drops and counts when a ring is full. */
  mode: 'replay' | 'live';
  /** Input ring size per partition, in 32-bit words (default 1 Mi words = 4 MiB). */
  inputRingWords?: number;
  /** Alert ring size per partition, in words (default 256 Ki words = 1 MiB). */
  alertRingWords?: number;
  /**
   * Cap on each worker's V8 young generation, in MiB (Worker `resourceLimits`); default V8's own
   * (~32 MiB of semi-spaces, mostly resident once used). Threads that keep little per record
   * (predicate helpers) lose nothing with a small one.
   */
  youngGenerationMb?: number;
  /** Staged words per partition that make `shouldFlush` true (default 16 Ki words = 64 KiB). */
  batchWords?: number;
  /** Called with each alert, in the deterministic merge order. */
  onAlert: (alert: PendingAlert) => void;
  /** A predicate job's bits (`words[at…]`, count × wordsPerRecord words; valid during the call). */
  onPredicateBits?: (jobId: number, words: Uint32Array, at: number, length: number) => void;
  /** live: restarts allowed per partition before a crash fails the runtime as in replay (default 5). */
  maxRestarts?: number;
  /** live: told about each restart (default: one error line on stderr). */
  onRestart?: (info: RestartInfo) => void;
  /**
   * Workers started before their config existed (PartitionRuntime.prestart): taken for the first
   * partitions instead of new ones, so their start-up (thread, module imports) overlaps the
   * caller's own (reading and checking rules).
   */
  prestarted?: PrestartedWorkers;
}

/**
 * Worker threads started ahead of their config, importing their modules meanwhile. Unreferenced
 * until a runtime takes them (they never keep the process alive on their own); close() ends
 * those not taken.
 */
export class PrestartedWorkers {
  constructor(
    /** The spawns, in partition order; shifted off as a runtime takes them. */
    readonly spawns: PrestartedSpawn[],
    readonly processorModule: string,
  ) {}

  /** Ends the workers no runtime took (start-up failed, or the caller chose not to use them). */
  close(): void {
    for (const s of this.spawns.splice(0)) endThread(s);
  }
}

/** A worker thread and what it was started with: its rings, counters and config port. */
interface WorkerThread {
  worker: Worker;
  configs: MessagePort;
  input: SharedRing;
  alerts: SharedRing;
  counters: SharedArrayBuffer;
}

interface PrestartedSpawn extends WorkerThread {
  inputWords: number;
  alertWords: number;
  youngGenerationMb: number | undefined;
  /** Set if the worker failed before a runtime took it. */
  failed?: string;
}

/** Ends a worker thread that was never handed to a runtime. */
function endThread(t: WorkerThread): void {
  t.configs.close();
  void t.worker.terminate();
}

/**
 * Starts a partition worker with fresh rings, counters and config port. Without `config` it is a
 * prestarted one: it imports its modules and waits on the port for a PrestartedConfig.
 */
function startThread(s: {
  partition: number; partitions: number; processorModule: string; inputWords: number; alertWords: number;
  youngGenerationMb: number | undefined;
  config?: Pick<PartitionWorkerData, 'processorConfig' | 'generation' | 'configFollows'>;
}): WorkerThread {
  const input = SharedRing.create(s.inputWords);
  const alerts = SharedRing.create(s.alertWords);
  const counters = new SharedArrayBuffer(COUNTER_SLOTS * 8);
  const { port1: configs, port2: configPort } = new MessageChannel();
  const data: PartitionWorkerData = {
    partition: s.partition,
    partitions: s.partitions,
    input: input.handles,
    alerts: alerts.handles,
    counters,
    processorModule: s.processorModule,
    ...(s.config ?? { processorConfig: undefined, generation: 0, configFollows: false, configPending: true }),
    configPort,
    readBufferWords: s.inputWords,
  };
  const resourceLimits = s.youngGenerationMb !== undefined ? { maxYoungGenerationSizeMb: s.youngGenerationMb } : undefined;
  const worker = new Worker(WORKER_FILE, { workerData: data, transferList: [configPort], resourceLimits });
  return { worker, configs, input, alerts, counters };
}

/** What a live-mode restart lost: the crashed worker's state, as of its last counters snapshot. */
export interface RestartInfo {
  partition: number;
  cause: string;
  /** How many times this partition has been restarted, this one included. */
  restarts: number;
  /** State entries (partials, pending verdicts, windows) the worker held at its last snapshot. */
  stateEntries: number;
  /** Sequence partials among them (0 for processors that do not report them). */
  partialsLive: number;
  /** Records queued in the dead worker's input ring, never processed. */
  eventsLost: number;
}

const DEFAULT_INPUT_RING_WORDS = 1 << 20;
const DEFAULT_ALERT_RING_WORDS = 1 << 18;

/** Default worker count: one per spare core, at least one (the main thread routes). */
export function defaultPartitions(): number {
  return Math.max(1, availableParallelism() - 1);
}

const WORKER_FILE = fileURLToPath(workerModule('partition-worker.js'));

interface Partition {
  /** The worker said it is running (its processor and complete config are in place). */
  ready?: boolean;
  index: number;
  worker: Worker;
  /** Main's end of the worker's config port (RulesetMessage). */
  configs: MessagePort;
  input: SharedRing;
  alerts: SharedRing;
  batch: FrameBatch;
  reader: FrameReader;
  counters: Float64Array;
  drops: number;
  alertsClosed: boolean;
  /** Cause reported by the worker (fatal message or error event) before it exits. */
  cause?: string;
  restarts: number;
  eventsLost: number;
}

export class PartitionRuntime {
  private readonly parts: Partition[] = [];
  private readonly merger: AlertMerger;
  private failure: RuntimeError | undefined;
  private readonly batchWords: number;
  private readonly utf8 = new TextDecoder();
  private readonly inputWords: number;
  private readonly alertWords: number;
  /** finish() sent the end frames: a restarted worker must get one too. */
  private ending = false;
  private endMask = 0;
  /** finish()/abort() terminate workers on purpose: their exits are not crashes. */
  private stopping = false;
  shouldFlush = false;
  /** The processor config in force (the latest ruleset generation) and its generation number. */
  private currentConfig: unknown;
  private generation = 0;

  private constructor(private readonly opts: RuntimeOptions) {
    this.merger = new AlertMerger(opts.partitions, opts.onAlert);
    this.currentConfig = opts.processorConfig;
    this.batchWords = opts.batchWords ?? 16 * 1024;
    this.inputWords = opts.inputRingWords ?? DEFAULT_INPUT_RING_WORDS;
    this.alertWords = opts.alertRingWords ?? DEFAULT_ALERT_RING_WORDS;
  }

  /**
   * Starts `partitions` workers whose processor config is not known yet: each imports the
   * processor module and waits for its config on the config port. Pass them as
   * RuntimeOptions.prestarted (same module and ring sizes) or close() them.
   */
  static prestart(
    partitions: number,
    processorModule: string,
    sizes: Pick<RuntimeOptions, 'inputRingWords' | 'alertRingWords' | 'youngGenerationMb'> = {},
  ): PrestartedWorkers {
    const spawns: PrestartedSpawn[] = [];
    const inputWords = sizes.inputRingWords ?? DEFAULT_INPUT_RING_WORDS;
    const alertWords = sizes.alertRingWords ?? DEFAULT_ALERT_RING_WORDS;
    const youngGenerationMb = sizes.youngGenerationMb;
    for (let p = 0; p < partitions; p++) {
      const thread = startThread({ partition: p, partitions, processorModule, inputWords, alertWords, youngGenerationMb });
      const spawn: PrestartedSpawn = { ...thread, inputWords, alertWords, youngGenerationMb };
      spawn.worker.unref();
      // Until a runtime supervises it: an 'error' event without a listener would throw here.
      spawn.worker.once('error', (e) => (spawn.failed = e.message));
      spawn.worker.once('exit', (code) => (spawn.failed ??= `exited with code ${code}`));
      spawns.push(spawn);
    }
    return new PrestartedWorkers(spawns, processorModule);
  }

  static async start(opts: RuntimeOptions): Promise<PartitionRuntime> {
    const { runtime, ready } = PartitionRuntime.launch(opts);
    await ready;
    return runtime;
  }

  /**
   * Spawns the workers and returns at once: frames may be appended before the workers are ready
   * (they wait in the rings). `ready` resolves when every worker has its complete config and is
   * running, and rejects as start() would; the failure is also recorded, so a later flush() or
   * finish() rejects with it.
   */
  static launch(opts: RuntimeOptions): { runtime: PartitionRuntime; ready: Promise<void> } {
    if (!Number.isInteger(opts.partitions) || opts.partitions < 1 || opts.partitions > 256) {
      throw new RuntimeError('runtime.options', 'workers must be an integer from 1 to 256');
    }
    const rt = new PartitionRuntime(opts);
    const started: Promise<void>[] = [];
    for (let p = 0; p < opts.partitions; p++) {
      const { part, started: s } = rt.spawn(p, new FrameBatch(), opts.completeConfig !== undefined);
      rt.parts.push(part);
      started.push(s);
    }
    const ready = (async () => {
      if (opts.completeConfig) {
        let config: unknown;
        try {
          config = await opts.completeConfig;
        } catch (e) {
          rt.failWith(e);
          await rt.abort();
          throw e;
        }
        // A worker started later (a restart) gets both: what the preview carried (checked queries)
        // and what completing it added; the running ones already have the preview.
        rt.currentConfig = { ...(opts.processorConfig as object), ...(config as object) };
        const message: RulesetMessage = { generation: 0, config };
        for (const part of rt.parts) part.configs.postMessage(message);
      }
      await Promise.all(started);
      rt.throwIfFailed();
      if (opts.mode === 'live') void rt.watchAlerts();
    })();
    return { runtime: rt, ready };
  }

  /**
   * Live mode: main drains the alert rings as soon as a worker writes to one (Atomics.waitAsync),
   * not only when it next sends input or on its periodic tick, so an alert (and the response
   * action it carries) leaves within a wake-up of the worker finishing the event.
   */
  private async watchAlerts(): Promise<void> {
    while (!this.stopping && !this.ending) {
      const open = this.parts.filter((p) => !p.alertsClosed);
      if (open.length === 0) return;
      await Promise.race(open.map((p) => p.alerts.waitForData(250)));
      if (this.stopping || this.failure) return;
      this.drainAlerts();
    }
  }

  /** Starts a worker for partition p with fresh rings and counters; `started` settles when it is ready or gone. */
  private spawn(p: number, batch: FrameBatch, configFollows = false): { part: Partition; started: Promise<void> } {
    const pre = this.takePrestarted();
    const thread = pre ?? startThread({
      partition: p, partitions: this.opts.partitions, processorModule: this.opts.processorModule, inputWords: this.inputWords, alertWords: this.alertWords,
      youngGenerationMb: this.opts.youngGenerationMb,
      config: { processorConfig: this.currentConfig, generation: this.generation, configFollows },
    });
    if (pre) {
      // Its first message is the config it waited for (partition-worker.ts, configPending).
      const first: PrestartedConfig = { partition: p, partitions: this.opts.partitions, generation: this.generation, config: this.currentConfig, configFollows };
      pre.configs.postMessage(first);
      pre.worker.ref();
    }
    const part: Partition = {
      index: p, worker: thread.worker, configs: thread.configs, input: thread.input, alerts: thread.alerts, batch, reader: new FrameReader(this.alertWords),
      counters: new Float64Array(thread.counters), drops: 0, alertsClosed: false, restarts: 0, eventsLost: 0,
    };
    return { part, started: this.supervise(part) };
  }

  /** The next prestarted worker that fits this runtime and is still alive, if any. */
  private takePrestarted(): PrestartedSpawn | undefined {
    const pool = this.opts.prestarted;
    if (!pool || pool.processorModule !== this.opts.processorModule) return undefined;
    for (let s = pool.spawns.shift(); s; s = pool.spawns.shift()) {
      const fits = s.inputWords === this.inputWords && s.alertWords === this.alertWords && s.youngGenerationMb === this.opts.youngGenerationMb;
      if (s.failed === undefined && fits) return s;
      endThread(s);
    }
    return undefined;
  }

  /**
   * Wires crash handling; resolves when the worker says it is ready (or is gone). Replay fails at
   * the first sign of a crash. Live mode acts on `exit` only: then the thread has surely stopped,
   * so main may read what is left in its rings before replacing it.
   */
  private supervise(part: Partition): Promise<void> {
    const crashed = (cause: string): void => {
      part.cause ??= cause;
      if (this.opts.mode === 'replay') this.fail(part.index, part.cause);
    };
    return new Promise((resolve) => {
      part.worker.on('message', (m: WorkerMessage) => {
        if (m.type === 'ready') {
          part.ready = true;
          resolve();
        } else if (m.type === 'fatal') crashed(m.message);
      });
      part.worker.on('error', (e) => {
        crashed(e.message);
        resolve();
      });
      part.worker.on('exit', (code) => {
        resolve();
        if (part.alertsClosed || this.stopping || this.parts[part.index] !== part) return;
        if (code === 0 && part.cause === undefined) return;
        const cause = part.cause ?? `exited with code ${code}`;
        if (this.opts.mode === 'live' && !this.failure && part.restarts < (this.opts.maxRestarts ?? 5)) this.restart(part, cause);
        else this.fail(part.index, cause);
      });
    });
  }

  /**
   * Live mode: replaces a crashed worker by a new one with fresh rings and empty state, so detection
   * goes on. Alerts the dead worker already wrote are delivered; its state and the records queued
   * for it are lost, and reported (log, counters, onRestart). Frames staged for it move over.
   */
  private restart(old: Partition, cause: string): void {
    const p = old.index;
    old.configs.close();
    this.drainPartition(old);
    const eventsLost = countRecordsLeft(old.input, this.inputWords);
    const { part } = this.spawn(p, old.batch);
    part.restarts = old.restarts + 1;
    part.drops = old.drops;
    part.eventsLost = old.eventsLost + eventsLost;
    this.parts[p] = part;
    // The end frame went to the dead worker: the new one needs its own (finish() flushes it).
    if (this.ending) part.batch.append(FrameType.end, this.endMask, 0, null);
    const info: RestartInfo = {
      partition: p,
      cause,
      restarts: part.restarts,
      stateEntries: old.counters[COUNTER_STATE_ENTRIES],
      partialsLive: old.counters[COUNTER_PARTIALS_LIVE],
      eventsLost,
    };
    logger().error(info, 'partition worker crashed; restarted with empty state');
    (this.opts.onRestart ?? reportRestart)(info);
  }

  /**
   * An alert made on main (a Wasm user rule's), for the same deterministic merge. Main adds it
   * while handling its record, before routing it: no partition can have reported progress past
   * that seq yet, so the alert is never late.
   */
  readonly addAlert = (a: PendingAlert): void => {
    this.merger.add(a);
  };

  private fail(p: number, cause: string): void {
    if (this.failure) return;
    // Not logged here: the error is thrown to the command, which reports it once (one failure,
    // one line, one exit code).
    this.failure = new RuntimeError('runtime.worker_crashed', `partition ${p} worker crashed: ${cause}`, { context: { partition: p } });
  }

  /** Whether partition p's worker is running (it has reported ready and not been replaced since). */
  isReady(p: number): boolean {
    return this.parts[p]?.ready === true;
  }

  /**
   * Whether `words` more would fit in partition p's input ring now, after what is already staged
   * for it: a predicate job that does not fit would make flush() wait for the worker to make room.
   */
  hasRoom(p: number, words: number): boolean {
    const part = this.parts[p];
    return part !== undefined && part.input.freeWords() - part.batch.lengthWords >= words;
  }

  /** Records a failure that is not a worker's (the config could not be completed). */
  private failWith(e: unknown): void {
    this.failure ??= e instanceof RuntimeError ? e : new RuntimeError('runtime.start', `the workers could not be started: ${(e as Error)?.message ?? String(e)}`, { cause: e });
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

  /** A record with its predicate bits (FrameType.matched), under the partition's input ordinal. */
  appendMatched(partition: number, ordinal: number, seq: number, bytes: Uint8Array, offset: number, length: number, bits: Uint32Array, bitsAt: number, words: number): void {
    const b = this.parts[partition].batch;
    b.appendMatched(ordinal, seq, bytes, offset, length, bits, bitsAt, words);
    if (b.lengthWords >= this.batchWords) this.shouldFlush = true;
  }

  /** Stages a predicate job (records [from, from + count) of a span) for partition p's worker. */
  appendPredicateJob(partition: number, jobId: number, seq: number, bytes: Uint8Array, offsets: ArrayLike<number>, from: number, count: number, spanEnd: number): void {
    const b = this.parts[partition].batch;
    b.appendPredicateJob(jobId, seq, bytes, offsets, from, count, spanEnd);
    this.shouldFlush = true;
  }

  /** Waits (≤ ms) until partition p's worker has written something to its alert ring. */
  async waitForWorker(partition: number, ms: number): Promise<void> {
    this.throwIfFailed();
    await this.parts[partition].alerts.waitForData(ms);
  }

  private readonly watermarkPayload = new Uint8Array(8);
  private readonly watermarkView = new DataView(this.watermarkPayload.buffer);

  /** Tells every partition that all events ≤ seq were routed and event time reached timeMs. */
  appendWatermark(seq: number, timeMs: number): void {
    this.watermarkView.setFloat64(0, timeMs, true);
    for (const part of this.parts) part.batch.append(FrameType.watermark, 0, seq, this.watermarkPayload, 0, 8);
  }

  /**
   * Switches every partition to a new processor config at this point of the stream (after the
   * frames staged so far). The caller validates the config first: a worker that cannot build it
   * crashes like any other worker failure. The config is structured-cloned (it may hold a
   * compiled WebAssembly.Module, which every worker then shares).
   */
  appendRuleset(config: unknown, seq: number): void {
    const generation = ++this.generation;
    const message: RulesetMessage = { generation, config };
    for (const part of this.parts) {
      // Posted before the frame can reach the ring, so the worker finds it when it reads the frame.
      part.configs.postMessage(message);
      part.batch.append(FrameType.ruleset, generation, seq, null);
    }
    // A worker restarted later (live mode) starts with the generation in force.
    this.currentConfig = config;
    this.shouldFlush = true;
  }

  /** Moves staged frames into the rings. Replay waits for room; live drops events that do not fit. */
  async flush(): Promise<void> {
    this.shouldFlush = false;
    this.throwIfFailed();
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
        // Live: an event that does not fit is dropped and counted, so memory stays bounded.
        // Control frames (watermark, ruleset, end) are never dropped, they wait for room: a
        // dropped ruleset would leave a partition on old rules, a dropped end would hang shutdown.
        if (this.opts.mode === 'live' && isEventFrame(b.words[at + F_TYPE]!)) {
          part.drops++;
          at += b.words[at]!;
          continue;
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

  /**
   * Sends end-of-stream, waits for every worker to finish, and releases the remaining alerts.
   * `stopped`: the input was cut short (SIGINT/SIGTERM). Workers then flush nothing that waits for
   * more input, and only alerts no later event could change are released: the output is a prefix
   * of a full run's. Returns how many alerts were held back.
   */
  async finish(stopped = false): Promise<number> {
    this.ending = true;
    this.endMask = stopped ? END_STOPPED : 0;
    for (const part of this.parts) part.batch.append(FrameType.end, this.endMask, 0, null);
    await this.flush();
    while (this.parts.some((p) => !p.alertsClosed)) {
      this.throwIfFailed();
      // A worker restarted meanwhile has its end frame staged.
      if (this.parts.some((p) => p.batch.lengthWords > 0)) await this.flush();
      this.drainAlerts();
      const open = this.parts.filter((p) => !p.alertsClosed);
      if (open.length) await Promise.race(open.map((p) => p.alerts.waitForData(50)));
    }
    this.drainAlerts();
    this.throwIfFailed();
    await this.stopWorkers();
    return this.merger.pendingCount();
  }

  /** Stops workers without waiting for pending work (errors, SIGINT after a drain deadline). */
  async abort(): Promise<void> {
    await this.stopWorkers();
  }

  private async stopWorkers(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.parts.map((p) => p.worker.terminate()));
    for (const p of this.parts) p.configs.close();
  }

  // ───────────── consuming ─────────────

  /** Reads every alert ring, feeds the merger, and releases what is ready. */
  drainAlerts(): void {
    for (const part of this.parts) this.drainPartition(part);
    this.merger.flush();
  }

  private drainPartition(part: Partition): void {
    if (part.alertsClosed) return;
    const p = part.index;
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
        } else if (type === FrameType.predicateBits) {
          this.opts.onPredicateBits?.(r.words[at + F_GROUP_MASK], r.words, at + FRAME_HEADER_WORDS, r.words[at + F_PAYLOAD_BYTES] >>> 2);
        }
      }
      if (!got) break;
    }
    if (part.alerts.isClosed() && part.alerts.availableWords() === 0) part.alertsClosed = true;
  }

  /** Per-partition counters for metrics and the load harness. */
  stats(): { partition: number; counters: number[]; inputUsedWords: number; drops: number; restarts: number; eventsLost: number }[] {
    return this.parts.map((p, i) => ({
      partition: i,
      counters: Array.from(p.counters),
      inputUsedWords: p.input.capacityWords - p.input.freeWords(),
      drops: p.drops,
      restarts: p.restarts,
      eventsLost: p.eventsLost,
    }));
  }
}

function reportRestart(i: RestartInfo): void {
  process.stderr.write(
    `kestrel: error: partition ${i.partition} worker crashed: ${i.cause}; restarted (restart ${i.restarts}) with empty state: ` +
      `lost ${i.stateEntries} state entries (${i.partialsLive} sequence partials) as of its last counters and ${i.eventsLost} queued events\n`,
  );
}

/** Counts the record frames left unread in a dead worker's input ring (main takes the consumer's place). */
function countRecordsLeft(ring: SharedRing, words: number): number {
  const reader = new FrameReader(words);
  let n = 0;
  for (;;) {
    reader.refill((t, o, m) => ring.read(t, o, m));
    let got = false;
    for (let at = reader.next(); at >= 0; at = reader.next()) {
      got = true;
      if (isEventFrame(reader.words[at + F_TYPE]!)) n++;
    }
    if (!got) return n;
  }
}

/** Frames that carry an event: a record, or (two-stage routing) a record with its step bits. */
function isEventFrame(type: number): boolean {
  return type === FrameType.record || type === FrameType.matched;
}

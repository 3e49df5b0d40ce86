// The detection pipeline: records in, alerts out, in a deterministic order. One API for every
// source (capture replay, live sensor) and two execution modes with identical output:
//   workers = 0: both stages run on this thread (the EQL processor);
//   workers ≥ 1: this thread runs the predicate stage once per record, and the router sends only
//     records with a true step, with their bits, to the partition workers that own the rule's key
//     (over SAB rings, runtime/runtime.ts), which run the state stage.
// With engine 'wasm', each ruleset generation's predicate module is built once, in a pool thread
// (predicate-module-pool.ts), and instantiated where the predicate stage runs.
//
//   const p = await DetectionPipeline.start({ rules, schema, workers, mode, onAlert });
//   p.pushRecord(bytes, offset, length);  if (p.shouldFlush) await p.flush();
//   p.pushRecords(bytes, offsets, count);  // a batch: one Wasm predicate call (engine 'wasm')
//   await p.finish();
import { LineageStage } from '../../shared/pipeline/lineage.js';
import { RecordEvent, recordFieldAccessor } from '../../shared/eql/record-access.js';
import { recordsWithBits } from '../../shared/pipeline/bit-counts.js';
import { COUNTER_PREDICATE_RECORDS, COUNTER_PREDICATE_TRUE, COUNTER_STATE_ENTRIES } from '../../shared/runtime/protocol.js';
import { KestrelError, RuntimeError } from '../../shared/errors.js';
import { predicateJobWords } from '../../shared/ring/frames.js';
import type { UserRuleSet } from './user-rules.js';
import { isUserRule } from './user-rule-spec.js';
import { RecordView } from '../../shared/record/view.js';
import { buildLayout, type RecordLayout } from '../../shared/record/layout.js';
import { schemaFromDescription, type SchemaDescription } from '../../shared/record/schema-desc.js';
import { checkSchemaFor, handedOverFilters, type RuleSpec } from '../../shared/pipeline/ruleset.js';
import { exportFilters, exportQueries } from '../../shared/eql/filter-transfer.js';
import type { CheckedFilter } from '../../shared/eql/ir.js';
import type { BuiltSchema } from '../../shared/schema/schema.js';
import { DEFAULT_PREDICATE_ENGINE, type PredicateEngine } from '../../shared/eql/codegen/ruleset.js';
import type { PreparedPredicates } from '../../shared/eql/codegen/evaluator.js';
import { logger } from '../../shared/log.js';
import { sharedPredicateModulePool, type StreamFeeder } from '../predicate-module-pool.js';
import { EqlProcessor, stepFilters, type EqlProcessorConfig, type RuleProfileRow } from '../../workers/eql-processor.js';
import { PredicateStage } from '../../workers/predicate-stage/predicate-stage.js';
import { exportParsedQueries } from '../../shared/eql/parser.js';
import { compileRuleset, type CompiledRule } from '../../shared/pipeline/ruleset.js';
import type { AlertOut, EvictionCounts } from '../../workers/processor.js';
import { DEFAULT_MAX_PARTIALS_PER_KEY, DEFAULT_MAX_PARTIALS_PER_RULE, DEFAULT_MAX_PARTIALS_TOTAL } from '../../shared/engine/partial-budget.js';
import { COUNTER_EVICTIONS_PER_KEY, COUNTER_EVICTIONS_PER_RULE, COUNTER_EVICTIONS_TOTAL } from '../../shared/runtime/protocol.js';
import { AlertMerger, type PendingAlert } from '../runtime/merge.js';
import { PartitionRuntime, type PrestartedWorkers } from '../runtime/runtime.js';
import { BitRouter } from './router.js';
import { DEFAULT_WARM_UP, warmUp, type WarmUpBudget } from './warm-up.js';
import { workerModule } from '../../shared/code-paths.js';

/** Records per predicate job (its bits must fit a worker's alert ring with room to spare). */
const PREDICATE_JOB_RECORDS = 2048;
/** Predicate jobs a worker may have queued; more wait on this thread to be dispatched (dispatchJobs). */
const JOBS_PER_WORKER = 2;
/** The same for a predicate helper (stateOnMain), which runs no state stage of its own. */
const HELPER_JOBS_PER_WORKER = 6;
/**
 * Jobs per worker that may wait to be routed while main reads on: a deeper pipeline lets main run
 * ahead (reading, evaluating its own jobs) instead of waiting for each worker's oldest answer.
 */
const ROUTE_BEHIND = 8;

/** PredicateJob.lane of a job this thread evaluated. */
const HERE = -1;
/** PredicateJob.lane of a job no thread has taken yet. */
const UNDISPATCHED = -2;

/** A slice of input whose predicates a worker evaluates; routed when its bits are back. */
interface PredicateJob {
  id: number;
  /** The records at `offsets`: a private copy, or a view of the caller's buffer (`chunk`). */
  bytes: Uint8Array;
  /** The caller's buffer this job's records are a view of, until the job is routed. */
  chunk: HeldChunk | null;
  offsets: Uint32Array;
  count: number;
  bits: Uint32Array | null;
  /** The worker evaluating it, HERE when this thread did, UNDISPATCHED while it waits for either. */
  lane: number;
}

/**
 * A caller's buffer that predicate jobs keep views of (pushRecords' `release`): given back once
 * the last of them is routed.
 */
interface HeldChunk {
  jobs: number;
  release: () => void;
}

/** What main runs in front of the partition workers for one ruleset generation. */
interface Upstream {
  predicates: PredicateStage;
  router: BitRouter;
  /** Lineage terms of Endpoint rules, applied to the bits in stream order (undefined: none). */
  lineage?: LineageStage;
}

export interface PipelineMetrics {
  /** Records pushed into the pipeline. */
  eventsIn: number;
  /** Records whose step predicates were evaluated, and those with at least one true step. */
  evaluated: number;
  matched: number;
  /** Open sequence state per partition (partials and pending verdicts). */
  partials: number[];
  evictions: EvictionCounts;
  /** Live mode: records dropped because a partition's input ring was full. */
  ringFullDrops: number;
  workerRestarts: number;
  eventsLostInCrashes: number;
  /** Wasm user rule faults by rule and kind (fuel, trap, memory, stack, circuit-open, …). */
  ruleFaults: { rule: string; kind: string; count: number }[];
  /** Processes in the lineage table, and those evicted from it (0 without lineage rules). */
  lineageProcesses: number;
  lineageEvictions: number;
}

export interface PipelineOptions {
  /** Rules that passed checking (see `kestrel check`). Order = rule index = tie-break order. */
  rules: RuleSpec[];
  /** Schema of the records (a capture's header, or the sensor's ECS schema). */
  schema: SchemaDescription;
  /** 0 = single thread; N ≥ 1 = N partition workers. */
  workers: number;
  mode: 'replay' | 'live';
  /** One alert JSON line, in the deterministic merge order. */
  onAlert(json: string, seq: number, ruleIndex: number): void;
  /** Memory caps on sequence partials (see engine/partial-budget.ts for the defaults). */
  maxPartialsPerRule?: number;
  maxPartialsPerKey?: number;
  maxPartialsTotal?: number;
  /** Records between watermarks sent to every partition (default 2048). */
  watermarkEvery?: number;
  /** Per-rule cost profile (replay --profile): single thread only (workers 0). */
  profile?: boolean;
  /** How rule predicates are evaluated (EqlProcessorConfig.engine); same alerts either way. */
  engine?: PredicateEngine;
  /**
   * Live mode: run synthetic events through a throwaway copy first, so the first real events meet
   * optimised code (warm-up.ts). Default on in live mode; false turns it off. Output never
   * depends on it.
   */
  warmUp?: boolean | WarmUpBudget;
  /**
   * Replay: the worker threads prestartWorkers() started while the caller read its rules. The
   * pipeline takes what it needs and ends the rest; the caller closes them if it never starts one.
   */
  prestarted?: PrestartedWorkers;
}

const PROCESSOR_MODULE = workerModule('eql-processor.js').href;

export class DetectionPipeline {
  /**
   * A replay's worker threads, started before its rules are read: a thread takes ~0.3 s to import
   * its modules, and until a predicate helper is up this thread evaluates its jobs itself (16 of
   * 245 in a 500k-event replay with the full corpus when started after the rules). Undefined when
   * `opts` runs no workers. Hand the result to start() as PipelineOptions.prestarted.
   */
  static prestartWorkers(opts: Pick<PipelineOptions, 'mode' | 'workers' | 'profile'>): PrestartedWorkers | undefined {
    if (opts.mode !== 'replay' || opts.workers < 1 || opts.profile) return undefined;
    const youngGenerationMb = stateOnMain(opts) ? HELPER_YOUNG_GENERATION_MB : undefined;
    return PartitionRuntime.prestart(opts.workers, PROCESSOR_MODULE, { youngGenerationMb });
  }

  private readonly view: RecordView;
  /** The record being routed, as lineage filters read it. */
  private readonly lineageEvent: RecordEvent;
  private events = 0;
  /** Sharded: records routed with their predicate bits (routeRecord), and those with a true step. */
  private evaluated = 0;
  private evaluatedTrue = 0;
  private lastSeq = -1;
  private lastTimeMs = -Infinity;
  private sinceWatermark = 0;
  shouldFlush = false;
  /**
   * The ruleset's predicate module, built (or found) and stored in the on-disk cache. finish()
   * waits for it: a short run otherwise ended before a cold build did, the build thread died with
   * the process, and the next run found nothing cached and built again.
   */
  private stored: Promise<unknown> = Promise.resolve();
  /** Live mode: the synthetic events this thread was warmed up with before the first real one (warm-up.ts). */
  warmedUp: { events: number; ms: number } | undefined;
  /** The ruleset's Wasm user rules, run here on every event (user-rules.ts). */
  private userRules: UserRuleSet | undefined;
  /**
   * Replay with the state on this thread (stateOnMain): workers that only evaluate predicate
   * jobs, whose bits come back to this thread's processor in input order.
   */
  private helpers: PartitionRuntime | undefined;

  private constructor(
    private readonly opts: PipelineOptions,
    private config: EqlProcessorConfig,
    readonly layout: RecordLayout,
    private readonly local: { processor: EqlProcessor; merger: AlertMerger } | undefined,
    private readonly sharded: { runtime: PartitionRuntime; up: Upstream } | undefined,
  ) {
    this.view = new RecordView(layout);
    this.lineageEvent = new RecordEvent(layout, new Uint8Array(0), 0);
  }

  /**
   * As soon as the rules are read (before they are checked): compiles their stored predicate
   * module, or, when the cache has none, starts the thread that will build it and returns the
   * feeder that streams it each rule's check (PredicateModulePool.stream).
   */
  static prepareEarly(rules: readonly Pick<RuleSpec, 'query' | 'dialect'>[], schema: SchemaDescription, engine: PredicateEngine = DEFAULT_PREDICATE_ENGINE): StreamFeeder | undefined {
    if (engine !== 'wasm') return undefined;
    const pool = sharedPredicateModulePool();
    if (pool.prefetch(rules, schema)) return undefined;
    // Cold: the build thread starts now and generates each few rules' predicates as they are checked.
    return pool.stream(rules, schema);
  }

  /**
   * Before the rules are read, when a cold start is likely (load-rules.ts onLikelyCold): starts
   * the thread that will build the predicate module, so it has loaded its code (~0.25 s) by the
   * time the first checked rules are streamed to it instead of a third of the way through.
   */
  static startBuildThread(engine: PredicateEngine = DEFAULT_PREDICATE_ENGINE): void {
    if (engine === 'wasm') sharedPredicateModulePool().warm();
  }

  static async start(options: PipelineOptions): Promise<DetectionPipeline> {
    // Workers are taken while the pipeline starts; what it did not take is ended here.
    const pipeline = await DetectionPipeline.startCold(options).finally(() => options.prestarted?.close());
    if (options.mode === 'live' && options.warmUp !== false) pipeline.warmedUp = await DetectionPipeline.warmLive(options);
    return pipeline;
  }

  /**
   * Warms this thread's hot path for a live pipeline (warm-up.ts) with the code the real one will
   * run: the predicate module is awaited first (a memory hit in the pool), then a single-thread
   * copy with the same rules takes the synthetic events. A failure only costs the warm-up.
   */
  private static async warmLive(options: PipelineOptions): Promise<{ events: number; ms: number } | undefined> {
    const budget = typeof options.warmUp === 'object' ? options.warmUp : DEFAULT_WARM_UP;
    try {
      await preparePredicates(options.rules.filter((r) => !isUserRule(r)), options).catch(() => undefined);
      const scratch = await DetectionPipeline.startCold({ ...options, workers: 0, profile: false, warmUp: false, onAlert: () => {} });
      // Lets the copy take the (already prepared) module before its first batch.
      await new Promise((resolve) => setImmediate(resolve));
      return await warmUp(scratch, buildLayout(schemaFromDescription(options.schema)), budget);
    } catch (e) {
      logger().debug({ err: (e as Error).message }, 'live warm-up skipped');
      return undefined;
    }
  }

  private static async startCold(options: PipelineOptions): Promise<DetectionPipeline> {
    // Wasm user rules run on this thread (user-rules.ts); everything below sees the EQL rules.
    const opts: PipelineOptions = { ...options, rules: options.rules.filter((r) => !isUserRule(r)) };
    const userSpecs = options.rules.filter(isUserRule);
    const schema = schemaFromDescription(opts.schema);
    const layout = buildLayout(schema);
    const userRules = userSpecs.length ? await userRuleSet(userSpecs, layout, opts.rules.length) : undefined;
    const release = (a: PendingAlert) => opts.onAlert(a.json, a.seq, a.ruleIndex);
    const config: EqlProcessorConfig = {
      rules: opts.rules,
      schema: opts.schema,
      maxPartialsPerRule: opts.maxPartialsPerRule ?? DEFAULT_MAX_PARTIALS_PER_RULE,
      maxPartialsPerKey: opts.maxPartialsPerKey ?? DEFAULT_MAX_PARTIALS_PER_KEY,
      maxPartialsTotal: opts.maxPartialsTotal ?? DEFAULT_MAX_PARTIALS_TOTAL,
      engine: opts.engine,
      live: opts.mode === 'live',
    };
    // The pool thread builds the predicate module while processors compile their rules (and
    // this thread builds the router); they get the module when it is ready.
    const complete = withPredicates(config, opts);
    if (opts.workers === 0 || stateOnMain(opts)) {
      // Helpers start first: a thread takes a while to come up, and this thread evaluates until then.
      let takeBits: (id: number, words: Uint32Array, at: number, length: number) => void = () => {};
      const checkSchema = checkSchemaFor(schema);
      const launched = opts.workers > 0 ? launchHelpers(opts, config, checkSchema, complete, (id, words, at, length) => takeBits(id, words, at, length)) : undefined;
      const helpers = launched?.runtime;
      // Records are evaluated by the interpreter until the predicate module is compiled.
      const processor = await EqlProcessor.create(config, layout, checkSchema, 0, 1, complete, true).catch(async (e: unknown) => {
        await helpers?.abort();
        throw e;
      });
      if (opts.profile) processor.enableProfile();
      const single = new DetectionPipeline(opts, config, layout, { processor, merger: new AlertMerger(1, release) }, undefined);
      complete.then((c) => {
        single.config = c;
      }, () => undefined); // a failed build surfaces at the next evaluation (PredicateStage.pending)
      single.userRules = userRules;
      single.helpers = helpers;
      if (launched) single.helpersReady = launched.ready;
      single.stored = complete;
      takeBits = (id, words, at, length) => single.takeBits(id, words, at, length);
      return single;
    }
    // Workers start compiling their rules at once (the predicate module follows when the pool
    // thread has it); meanwhile this thread compiles the rules for its router and predicate stage.
    const checkSchema = checkSchemaFor(schema);
    const ruleset = compileRuleset(opts.rules, layout, checkSchema);
    const router = new BitRouter(ruleset, layout, checkSchema, opts.workers);
    // Workers get the queries checked: parsing (nearley) and checking is most of a worker's
    // start-up otherwise, and a warm start has not even parsed them here (checked-rules.ts).
    const checked = exportQueries(ruleset.map((r) => r.checked));
    const forWorkers = (c: EqlProcessorConfig): EqlProcessorConfig => ({ ...c, idle: router.idleBuffers(), checked });
    // The checked queries go with the preview only: the completed config adds the module.
    const completed = (c: EqlProcessorConfig): EqlProcessorConfig => ({ ...c, idle: router.idleBuffers() });
    let onBits: (jobId: number, words: Uint32Array, at: number, length: number) => void = () => {};
    const runtimeOptions = {
      partitions: opts.workers,
      processorModule: PROCESSOR_MODULE,
      processorConfig: forWorkers(config),
      completeConfig: complete.then(completed),
      mode: opts.mode,
      onAlert: release,
      onPredicateBits: (id: number, words: Uint32Array, at: number, length: number) => onBits(id, words, at, length),
      prestarted: opts.prestarted,
    };
    if (opts.mode === 'replay') {
      // Replay starts reading at once: this thread evaluates with the interpreter until the module
      // is compiled, and frames wait in the rings until the workers are up. A failure to start
      // surfaces at the next flush (or evaluation), as a crashed worker's does.
      const { runtime, ready } = PartitionRuntime.launch(runtimeOptions);
      ready.catch(() => undefined);
      const up: Upstream = {
        router,
        predicates: PredicateStage.pending(stepFilters(ruleset), layout, checkSchema, complete.then((c) => c.predicates)),
        lineage: LineageStage.for(ruleset.map((r) => r.checked), recordFieldAccessor(layout)),
      };
      const pipeline = new DetectionPipeline(opts, forWorkers(config), layout, undefined, { runtime, up });
      pipeline.stored = complete;
      complete.then((c) => {
        pipeline.config = forWorkers(c);
      }, () => undefined);
      pipeline.userRules = userRules;
      onBits = (id, words, at, length) => pipeline.takeBits(id, words, at, length);
      return pipeline;
    }
    const starting = PartitionRuntime.start(runtimeOptions);
    let up: Upstream;
    try {
      up = { router, predicates: await predicateStageFor(ruleset, layout, checkSchema, opts, complete), lineage: LineageStage.for(ruleset.map((r) => r.checked), recordFieldAccessor(layout)) };
    } catch (e) {
      await starting.then((rt) => rt.abort(), () => undefined);
      throw e;
    }
    const runtime = await starting;
    const workerConfig = forWorkers(await complete);
    const pipeline = new DetectionPipeline(opts, workerConfig, layout, undefined, { runtime, up });
    pipeline.userRules = userRules;
    pipeline.stored = complete;
    onBits = (id, words, at, length) => pipeline.takeBits(id, words, at, length);
    return pipeline;
  }

  /** Predicate jobs sent to workers, oldest first, each routed once its bits are back. */
  private readonly jobs: PredicateJob[] = [];
  private nextJob = 0;

  /**
   * Whether batches are spread over the workers' predicate stages as jobs (replay), or evaluated
   * on this thread (live: no round trip, for latency).
   */
  private get spreadPredicates(): boolean {
    return this.opts.mode === 'replay';
  }

  /** The workers predicate jobs go to: the partitions, or the helpers of a stateOnMain replay. */
  private get jobRuntime(): PartitionRuntime {
    return this.sharded?.runtime ?? this.helpers!;
  }

  /** Predicate words per record. */
  private get bitWords(): number {
    return this.sharded ? this.sharded.up.router.roles.wordsPerRecord : this.local!.processor.predicateWords;
  }

  /** A job's bits evaluated on this thread. */
  private evaluateHere(bytes: Uint8Array, offsets: Uint32Array, count: number): Uint32Array {
    const bits = this.sharded ? this.sharded.up.predicates.evaluate(bytes, offsets, count) : this.local!.processor.evaluatePredicates(bytes, offsets, count);
    return bits.slice(0, count * this.bitWords);
  }

  /** A record with its bits, in input order: routed to partitions, or run here (stateOnMain). */
  private takeRecord(bytes: Uint8Array, offset: number, length: number, bits: Uint32Array, bitsAt: number): void {
    if (this.sharded) this.routeRecord(bytes, offset, length, bits, bitsAt);
    else this.runLocal(bytes, offset, length, bits, bitsAt);
  }

  private takeBits(jobId: number, words: Uint32Array, at: number, length: number): void {
    const job = this.jobs[jobId - (this.jobs[0]?.id ?? jobId)];
    if (!job || job.id !== jobId) throw new Error(`internal: predicate bits for unknown job ${jobId}`);
    job.bits = words.slice(at, at + length);
    if (job.lane >= 0) this.inFlight[job.lane]!--;
  }

  /** this.jobs[i] for i < dispatchFrom have all been taken by some thread. */
  private dispatchFrom = 0;

  /**
   * Where predicate jobs ran: on a worker, here when next to route, here ahead of the job being
   * waited for (debug log of a replay; tests).
   */
  readonly jobPlacement = { workers: 0, hereInOrder: 0, hereAhead: 0 };

  /**
   * Gives waiting jobs, in order, to workers with room for them (pickLane). Called as jobs are
   * made and again after each job is routed, so a helper gets its next job while main is busy
   * with the state stage rather than only when main next reads input. A job no worker can take
   * waits: main evaluates it when it is the next to route, or when main would otherwise wait.
   */
  private dispatchJobs(): void {
    const jobs = this.jobs;
    const runtime = this.jobRuntime;
    for (; this.dispatchFrom < jobs.length; this.dispatchFrom++) {
      const job = jobs[this.dispatchFrom]!;
      if (job.lane !== UNDISPATCHED) continue;
      const lane = this.pickLane(predicateJobWords(job.count, job.bytes.byteLength));
      if (lane < 0) return;
      job.lane = lane;
      this.inFlight[lane]!++;
      this.jobPlacement.workers++;
      runtime.appendPredicateJob(lane, job.id, 0, job.bytes, job.offsets, 0, job.count, job.bytes.byteLength);
    }
  }

  /** Evaluates a waiting job on this thread. */
  private runHere(job: PredicateJob): void {
    job.bits = this.evaluateHere(job.bytes, job.offsets, job.count);
    job.lane = HERE;
  }

  /** Predicate jobs sent to each worker whose bits are not back yet. */
  private inFlight: number[] = [];

  /**
   * The worker for the next predicate job (`words` long as a frame): the least busy one while
   * some worker has fewer than JOBS_PER_WORKER jobs queued and room for it in its input ring, else
   * -1 (the job waits; see dispatchJobs). A job the ring cannot take now would make flush() wait
   * for the worker. Which thread evaluates a job never changes its bits, and jobs are routed in
   * input order, so the alerts stay the same for any worker count and any timing.
   */
  private pickLane(words: number): number {
    const workers = this.opts.workers;
    if (this.inFlight.length !== workers) this.inFlight = new Array<number>(workers).fill(0);
    const runtime = this.jobRuntime;
    runtime.drainAlerts();
    let best = -1;
    for (let l = 0; l < workers; l++) {
      // A worker still starting gets no job: main would wait for its answer to route in order.
      if (!runtime.isReady(l) || !runtime.hasRoom(l, words)) continue;
      if (best < 0 || this.inFlight[l]! < this.inFlight[best]!) best = l;
    }
    // Helpers do nothing else, so they may queue more before this thread (busy with the state
    // stage) takes a job itself.
    const limit = this.helpers ? HELPER_JOBS_PER_WORKER : JOBS_PER_WORKER;
    return best >= 0 && this.inFlight[best]! < limit ? best : -1;
  }

  /**
   * Routes jobs in order, until at most `limit` remain pending. The next one to route is
   * evaluated here if no worker took it. When it is with a worker and more than `limit` are
   * pending, main evaluates the newest waiting job meanwhile, or else waits for the worker: the
   * input must be routed in order.
   */
  private async routeJobs(limit: number): Promise<void> {
    const runtime = this.jobRuntime;
    const W = this.bitWords;
    for (;;) {
      runtime.drainAlerts();
      this.dispatchJobs();
      while (this.jobs.length > 0 && (this.jobs[0]!.bits !== null || this.jobs[0]!.lane === UNDISPATCHED)) {
        const job = this.jobs.shift()!;
        if (this.dispatchFrom > 0) this.dispatchFrom--;
        if (job.bits === null) {
          this.runHere(job);
          this.jobPlacement.hereInOrder++;
        }
        const dv = new DataView(job.bytes.buffer, job.bytes.byteOffset, job.bytes.byteLength);
        for (let i = 0; i < job.count; i++) {
          const off = job.offsets[i]!;
          this.takeRecord(job.bytes, off, dv.getUint32(off, true), job.bits!, i * W);
        }
        // Routed records were copied wherever they are kept: the view is not needed any more.
        if (job.chunk !== null && --job.chunk.jobs === 0) job.chunk.release();
        runtime.drainAlerts();
        this.dispatchJobs();
        if (runtime.shouldFlush) await runtime.flush();
      }
      if (this.jobs.length <= limit) return;
      const spare = this.newestWaitingJob();
      if (spare) {
        this.runHere(spare);
        this.jobPlacement.hereAhead++;
      } else await runtime.waitForWorker(this.jobs[0]!.lane, 20);
    }
  }

  /** The last job no thread has taken, if any: the one a worker would reach last. */
  private newestWaitingJob(): PredicateJob | undefined {
    for (let i = this.jobs.length - 1; i >= this.dispatchFrom; i--) if (this.jobs[i]!.lane === UNDISPATCHED) return this.jobs[i];
    return undefined;
  }

  /** Set by startCold for a replay with predicate helpers: resolves once they all reported ready. */
  private helpersReady: Promise<void> = Promise.resolve();

  /**
   * Resolves once a replay's predicate helpers are all up (a failure to start rejects it): for
   * tests and benches that must see jobs go to them. Immediate without helpers.
   */
  helpersUp(): Promise<void> {
    return this.helpersReady;
  }

  /**
   * Resolves once the ruleset's predicate module evaluates (or the build failed): until then the
   * interpreter does, with the same bits. For callers that measure the module itself.
   */
  async predicatesReady(): Promise<void> {
    await this.stored.catch(() => undefined);
    // The predicate stages take the module in a callback of their own: let those run.
    await new Promise((resolve) => setImmediate(resolve));
  }

  get eventsIn(): number {
    return this.events;
  }

  /**
   * What the metrics endpoint reports (metrics/kestrel-metrics.ts), read when scraped: counters
   * the workers keep in shared memory, never a message per event.
   */
  metrics(): PipelineMetrics {
    const faults = this.userRules?.faultCounts() ?? [];
    if (this.local) {
      const p = this.local.processor;
      return {
        eventsIn: this.events, evaluated: p.predicateRecords, matched: p.predicateRecordsTrue,
        partials: [p.stateEntries()], evictions: p.evictionsByKind(), ringFullDrops: 0, workerRestarts: 0, eventsLostInCrashes: 0, ruleFaults: faults,
        lineageProcesses: p.lineageTracker?.size ?? 0, lineageEvictions: p.lineageTracker?.evictions ?? 0,
      };
    }
    const parts = this.sharded!.runtime.stats();
    return {
      // Records routed with their bits are counted on main (routeRecord); bare records in the workers.
      evaluated: this.evaluated + parts.reduce((n, p) => n + p.counters[COUNTER_PREDICATE_RECORDS]!, 0),
      matched: this.evaluatedTrue + parts.reduce((n, p) => n + p.counters[COUNTER_PREDICATE_TRUE]!, 0),
      eventsIn: this.events,
      partials: parts.map((p) => p.counters[COUNTER_STATE_ENTRIES]!),
      evictions: this.evictions(),
      ringFullDrops: parts.reduce((n, p) => n + p.drops, 0),
      workerRestarts: parts.reduce((n, p) => n + p.restarts, 0),
      eventsLostInCrashes: parts.reduce((n, p) => n + p.eventsLost, 0),
      ruleFaults: faults,
      lineageProcesses: this.sharded!.up.lineage?.tracker.size ?? 0,
      lineageEvictions: this.sharded!.up.lineage?.tracker.evictions ?? 0,
    };
  }

  /**
   * Offers `count` records at `offsets` in `bytes` (each record starts with its u32 length): the
   * single-thread processor evaluates their predicates in one go (Processor.beginBatch); partition
   * workers batch what they drain from their rings themselves.
   *
   * `release`: the caller leaves `bytes` alone until this is called (CaptureReaderOptions.chunkPool),
   * so predicate jobs keep views of it, not copies; it is called once nothing reads `bytes` any
   * more (at once, when no job keeps it). Without it `bytes` may change after this returns.
   */
  pushRecords(bytes: Uint8Array, offsets: ArrayLike<number>, count: number, release?: () => void): void {
    if (!this.spreadPredicates || (this.local && !this.helpers)) {
      this.pushRecordsNow(bytes, offsets, count);
      release?.();
      return;
    }
    // Stateless work spread over the workers, a job per slice: the records go with it and come
    // back as bits; main keeps them (a view of `bytes`, or a copy) to route them in order.
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const chunk: HeldChunk | null = release ? { jobs: 0, release } : null;
    for (let from = 0; from < count; from += PREDICATE_JOB_RECORDS) {
      const n = Math.min(PREDICATE_JOB_RECORDS, count - from);
      const lo = offsets[from]!;
      const last = offsets[from + n - 1]!;
      const end = last + dv.getUint32(last, true);
      const rel = new Uint32Array(n);
      for (let i = 0; i < n; i++) rel[i] = offsets[from + i]! - lo;
      const job: PredicateJob = { id: this.nextJob++, bytes: chunk ? bytes.subarray(lo, end) : bytes.slice(lo, end), offsets: rel, count: n, bits: null, lane: UNDISPATCHED, chunk };
      if (chunk) chunk.jobs++;
      this.jobs.push(job);
    }
    if (chunk && chunk.jobs === 0) release!();
    this.dispatchJobs();
    this.shouldFlush = true;
  }

  /** pushRecords without predicate jobs: every record is evaluated and taken before this returns. */
  private pushRecordsNow(bytes: Uint8Array, offsets: ArrayLike<number>, count: number): void {
    if (this.local && !this.helpers) {
      try {
        this.local.processor.beginBatch(bytes, offsets, count);
      } catch (e) {
        throw localCrash(e);
      }
      const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      for (let i = 0; i < count; i++) {
        const off = offsets[i]!;
        this.pushRecord(bytes, off, dv.getUint32(off, true));
      }
      return;
    }
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const bits = this.sharded!.up.predicates.evaluate(bytes, offsets, count);
    const W = this.sharded!.up.router.roles.wordsPerRecord;
    for (let i = 0; i < count; i++) {
      const off = offsets[i]!;
      this.routeRecord(bytes, off, dv.getUint32(off, true), bits, i * W);
    }
  }

  private readonly singleOffset = new Uint32Array(1);

  /** Offers one record (read in place; copied only where needed). */
  pushRecord(bytes: Uint8Array, offset: number, length: number): void {
    if (!this.local) {
      this.singleOffset[0] = offset;
      const bits = this.sharded!.up.predicates.evaluate(bytes, this.singleOffset, 1);
      this.routeRecord(bytes, offset, length, bits, 0);
      return;
    }
    // Records of predicate jobs not yet run would come after this one: out of input order.
    if (this.jobs.length > 0) throw new Error('internal: pushRecord while predicate jobs are pending (flush first)');
    this.runLocal(bytes, offset, length, null, 0);
  }

  /**
   * One record through this thread's processor, in input order: its bits from the current batch
   * (`bits` null: Processor.beginBatch, or evaluated alone), or computed by a predicate job.
   */
  private runLocal(bytes: Uint8Array, offset: number, length: number, bits: Uint32Array | null, bitsAt: number): void {
    const seq = this.noteRecord(bytes, offset);
    const { processor, merger } = this.local!;
    this.userRules?.evaluate(bytes, offset, seq, this.collectPending);
    try {
      if (bits === null) processor.onEvent(bytes, offset, length, seq, 0, this.collect);
      else processor.onBits(bytes, offset, length, seq, bits, bitsAt, this.collect);
    } catch (e) {
      throw localCrash(e);
    }
    // Progress is held below anything the processor may still emit for an older seq. It matters
    // only to alerts waiting for release, and the floor asks every engine that may hold a result
    // (bringing timed ones up to date): it is computed when an alert waits, not for every record.
    // Taken later it is taken fresh, after the engines have emitted what time released, so the
    // alerts and their order are the same.
    if (merger.pendingCount() > 0) {
      merger.setProgress(0, Math.min(seq, processor.progressFloor() - 1));
      merger.flush();
    }
  }

  /** Counts a record in and notes its seq and event time (for watermarks); returns its seq. */
  private noteRecord(bytes: Uint8Array, offset: number): number {
    const view = this.view.reset(bytes, offset);
    const seq = view.seq;
    if (view.hasTimestamp) this.lastTimeMs = Math.max(this.lastTimeMs, view.timestampMs);
    this.lastSeq = seq;
    this.events++;
    return seq;
  }

  /** Sends a record with its bits (`bits[bitsAt…]`) to the partitions the router picks. */
  private routeRecord(bytes: Uint8Array, offset: number, length: number, bits: Uint32Array, bitsAt: number): void {
    // Every routed record had its predicates evaluated (a job, a batch or alone) on main's side.
    this.evaluated++;
    this.evaluatedTrue += recordsWithBits(bits, 1, this.sharded!.up.router.roles.wordsPerRecord, bitsAt);
    const seq = this.noteRecord(bytes, offset);
    const { runtime, up } = this.sharded!;
    // Before the record is routed: the merge may not pass its seq until these alerts are in.
    this.userRules?.evaluate(bytes, offset, seq, runtime.addAlert);
    // Lineage terms are answered here, where every record passes in stream order.
    if (up.lineage) up.lineage.apply(this.lineageEvent.reset(bytes, offset, seq), bits, bitsAt);
    const router = up.router;
    const n = router.route(bytes, offset, seq, bits, bitsAt);
    const W = router.roles.wordsPerRecord;
    for (let i = 0; i < n; i++) {
      const p = router.target(i);
      runtime.appendMatched(p, router.ordinalFor(p), seq, bytes, offset, length, router.bitsFor(p), 0, W);
    }
    if (++this.sinceWatermark >= (this.opts.watermarkEvery ?? 2048)) this.watermark();
    if (runtime.shouldFlush) this.shouldFlush = true;
  }

  /**
   * Sends a watermark so partitions without traffic still advance event time and progress. Live
   * mode passes `processingTimeMs` (the sensor's clock, less a margin for events still in flight):
   * time then advances while the host is quiet, so `maxspan` and missing-event windows close on
   * time with no event to close them. Replay never passes it: its time is event time only.
   */
  watermark(processingTimeMs?: number): void {
    this.sinceWatermark = 0;
    if (this.lastSeq < 0) return;
    const t = processingTimeMs === undefined ? this.lastTimeMs : Math.max(this.lastTimeMs, processingTimeMs);
    if (this.sharded) {
      this.sharded.runtime.appendWatermark(this.lastSeq, Number.isFinite(t) ? t : 0);
      this.shouldFlush = true;
    } else if (this.local && processingTimeMs !== undefined && Number.isFinite(t)) {
      const { processor, merger } = this.local;
      try {
        processor.onWatermark(this.lastSeq, t, this.collect);
      } catch (e) {
        throw localCrash(e);
      }
      merger.setProgress(0, Math.min(this.lastSeq, processor.progressFloor() - 1));
      if (merger.pendingCount() > 0) merger.flush();
    }
  }

  /** Wasm user rules of the current generation whose module could not start (reported, not running). */
  userRulesRefused(): readonly string[] {
    return this.userRules?.refused ?? [];
  }

  /** Open state (sequence partials, pending verdicts) across partitions: what a shutdown leaves undecided. */
  openState(): number {
    if (this.local) return this.local.processor.stateEntries();
    return this.sharded!.runtime.stats().reduce((n, p) => n + p.counters[COUNTER_STATE_ENTRIES]!, 0);
  }

  /**
   * A new ruleset generation from this point of the stream: events pushed so far are judged by the
   * old rules (whose pending windows are decided as at an end of stream), later ones by the new
   * rules, identically for any worker count. The new rules are compiled here first; if that
   * fails the old generation stays in force (the error is thrown to the caller).
   */
  async swapRules(allRules: RuleSpec[], caps?: Partial<Pick<EqlProcessorConfig, 'maxPartialsPerRule' | 'maxPartialsPerKey' | 'maxPartialsTotal'>>): Promise<void> {
    const rules = allRules.filter((r) => !isUserRule(r));
    const userSpecs = allRules.filter(isUserRule);
    // Built first: a module that cannot start leaves the old generation in force.
    const nextUserRules = userSpecs.length ? await userRuleSet(userSpecs, this.layout, rules.length) : undefined;
    const checkSchema = checkSchemaFor(schemaFromDescription(this.opts.schema));
    // New caps (a config reload) hold from the new generation on, like its rules.
    const preview: EqlProcessorConfig = { ...this.config, ...caps, rules, predicates: undefined };
    const complete = withPredicates(preview, this.opts);
    if (this.local && this.helpers) {
      // Records sent before the swap are judged by the old rules: run them first. Jobs after it
      // reach the helpers behind the new ruleset, in their input ring's order.
      await this.helpers.flush();
      await this.routeJobs(0);
      const next = await EqlProcessor.create(preview, this.layout, checkSchema, 0, 1, complete);
      this.local.processor.onEnd(this.collect);
      this.local.processor = next;
      this.userRules = nextUserRules;
      this.config = await complete;
      this.helpers.appendRuleset(helperConfig(this.config, undefined), this.lastSeq);
      return;
    }
    if (this.local) {
      const next = await EqlProcessor.create(preview, this.layout, checkSchema, 0, 1, complete);
      this.local.processor.onEnd(this.collect);
      this.local.processor = next;
      this.userRules = nextUserRules;
    } else {
      const sharded = this.sharded!;
      // Records sent before the swap are judged by the old rules: route them first.
      await sharded.runtime.flush();
      await this.routeJobs(0);
      const ruleset = compileRuleset(rules, this.layout, checkSchema);
      const router = new BitRouter(ruleset, this.layout, checkSchema, this.opts.workers);
      const up: Upstream = { router, predicates: await predicateStageFor(ruleset, this.layout, checkSchema, this.opts, complete), lineage: LineageStage.for(ruleset.map((r) => r.checked), recordFieldAccessor(this.layout)) };
      if (up.lineage && sharded.up.lineage) up.lineage.tracker.adoptFrom(sharded.up.lineage.tracker);
      up.router.continueFrom(sharded.up.router);
      const workerConfig: EqlProcessorConfig = { ...(await complete), idle: up.router.idleBuffers(), checked: exportQueries(ruleset.map((r) => r.checked)) };
      sharded.runtime.appendRuleset(workerConfig, this.lastSeq);
      sharded.up = up;
      this.userRules = nextUserRules;
      this.config = workerConfig;
      return;
    }
    this.config = await complete;
  }

  async flush(): Promise<void> {
    this.shouldFlush = false;
    if (!this.sharded && !this.helpers) return;
    const runtime = this.jobRuntime;
    await runtime.flush();
    if (this.jobs.length > 0) {
      // Keep every worker busy while earlier jobs are routed.
      await this.routeJobs(ROUTE_BEHIND * this.opts.workers + 1);
      await runtime.flush();
    }
  }

  /**
   * End of input: flushes windows waiting for more events and releases every alert. `stopped`
   * (SIGINT/SIGTERM cut the input short): releases only alerts no later event could change, so
   * the output is a prefix of the full run's; returns how many were held back.
   */
  async finish(stopped = false): Promise<number> {
    const held = await this.finishStream(stopped);
    // A failed build was reported where it mattered (evaluation); a stopped run does not wait.
    if (!stopped) await this.stored.catch(() => undefined);
    return held;
  }

  private async finishStream(stopped: boolean): Promise<number> {
    if (this.local) {
      if (this.helpers) {
        // Every job's records reach the processor before the end; the helpers hold nothing.
        await this.helpers.flush();
        await this.routeJobs(0);
        await this.helpers.abort();
      }
      const { processor, merger } = this.local;
      if (!stopped) {
        processor.onEnd(this.collect);
        merger.setProgress(0, Number.MAX_SAFE_INTEGER);
      }
      merger.flush();
      return merger.pendingCount();
    }
    await this.sharded!.runtime.flush();
    await this.routeJobs(0);
    this.watermark();
    return this.sharded!.runtime.finish(stopped);
  }

  async abort(): Promise<void> {
    await this.sharded?.runtime.abort();
    await this.helpers?.abort();
  }

  /** The per-rule profile (PipelineOptions.profile), after finish(). */
  ruleProfile(): RuleProfileRow[] {
    if (!this.local || !this.opts.profile) throw new Error('internal: the pipeline was not started with profile (workers 0)');
    return this.local.processor.ruleProfile(this.config.rules);
  }

  /** Partials evicted by the memory caps so far (workers: as of their last counter update). */
  evictions(): EvictionCounts {
    if (this.local) return this.local.processor.evictionsByKind();
    const n: EvictionCounts = { perKey: 0, perRule: 0, total: 0 };
    for (const { counters } of this.sharded!.runtime.stats()) {
      n.perKey += counters[COUNTER_EVICTIONS_PER_KEY];
      n.perRule += counters[COUNTER_EVICTIONS_PER_RULE];
      n.total += counters[COUNTER_EVICTIONS_TOTAL];
    }
    return n;
  }

  stats(): unknown {
    // With workers (partitions or predicate helpers): per worker, its counters and ring use.
    const runtime = this.sharded?.runtime ?? this.helpers;
    return runtime ? runtime.stats() : { events: this.events, state: this.local!.processor.stateEntries(), predicates: this.local!.processor.predicateCounters() };
  }

  private readonly collect = (a: AlertOut): void => {
    this.local!.merger.add({ seq: a.seq, ruleIndex: a.ruleIndex, json: a.json });
  };

  private readonly collectPending = (a: PendingAlert): void => {
    this.local!.merger.add(a);
  };
}

/**
 * Starts the predicate helpers of a replay whose state stays on the main thread (stateOnMain):
 * the same partition workers, sent only predicate jobs. Until one is up, main evaluates.
 */
function launchHelpers(
  opts: PipelineOptions,
  config: EqlProcessorConfig,
  checkSchema: BuiltSchema,
  complete: Promise<EqlProcessorConfig>,
  onBits: (id: number, words: Uint32Array, at: number, length: number) => void,
): { runtime: PartitionRuntime; ready: Promise<void> } {
  const { runtime, ready } = PartitionRuntime.launch({
    partitions: opts.workers,
    processorModule: PROCESSOR_MODULE,
    // The filters main checked when it loaded the rules go along, so a helper checks nothing.
    processorConfig: helperConfig(config, handedOverFilters(config.rules, checkSchema)),
    // The parsed queries went with the preview: the completed config only adds the module.
    completeConfig: complete.then((c) => ({ ...c, predicatesOnly: true })),
    mode: 'replay',
    // Helpers hold no state, so they never alert.
    onAlert: () => {},
    youngGenerationMb: HELPER_YOUNG_GENERATION_MB,
    onPredicateBits: onBits,
    prestarted: opts.prestarted,
  });
  ready.catch(() => undefined); // a failure surfaces at the next flush, as a crashed worker's does
  logger().debug({ helpers: opts.workers }, 'replay keeps the state on the main thread; workers evaluate predicates');
  return { runtime, ready };
}

/**
 * A predicate helper's config for `config`'s rules: with `filters` (main's checks of them) the
 * helper checks nothing; without, it gets the parsed queries and checks them itself.
 */
function helperConfig(config: EqlProcessorConfig, filters: CheckedFilter[] | undefined): EqlProcessorConfig {
  const shipped = filters !== undefined ? { filters: exportFilters(filters) } : { parsed: exportParsedQueries(config.rules.map((r) => r.query)) };
  return { ...config, ...shipped, predicatesOnly: true };
}

/**
 * Whether a replay with workers keeps every rule's state on this thread, the workers only
 * evaluating predicate jobs ("helpers"), instead of partitioning the state across them. On few
 * cores the state stage of one thread keeps up with predicates evaluated on the others, and
 * nothing is copied into partition rings or routed; with many workers a single state stage
 * would be the limit, so partitions take over. Output is the same either way (and the same as
 * workers 0): the processor here sees every record in input order with its bits.
 */
export function stateOnMain(opts: Pick<PipelineOptions, 'mode' | 'workers' | 'profile'>): boolean {
  return opts.mode === 'replay' && opts.workers >= 1 && opts.workers <= STATE_ON_MAIN_MAX_WORKERS && !opts.profile;
}

/**
 * A predicate helper's young generation (MiB). It keeps nothing from one job to the next, so its
 * scavenges find little alive; with V8's default (~32 MiB of semi-spaces, resident once
 * touched) a 500k-event replay peaked ~50 MB higher at one and at two workers, for no speed.
 */
const HELPER_YOUNG_GENERATION_MB = Number(process.env.KESTREL_HELPER_YOUNG_MB ?? 4);

/** Most workers a replay runs as predicate helpers (stateOnMain). */
const STATE_ON_MAIN_MAX_WORKERS = Number(process.env.KESTREL_STATE_ON_MAIN_MAX_WORKERS ?? 2);

/**
 * `config` completed with its rules' predicate module (engine 'wasm'), built or found cached in
 * the pool thread. The caller goes on meanwhile and awaits it later, where a failure is reported.
 */
function withPredicates(config: EqlProcessorConfig, opts: PipelineOptions): Promise<EqlProcessorConfig> {
  const complete = preparePredicates(config.rules, opts).then((predicates) => ({ ...config, predicates }));
  complete.catch(() => undefined); // not unhandled while the caller is busy elsewhere
  return complete;
}

/** Main's predicate stage for a compiled ruleset (the predicate module from `complete`). */
async function predicateStageFor(ruleset: CompiledRule[], layout: RecordLayout, checkSchema: ReturnType<typeof checkSchemaFor>, opts: PipelineOptions, complete: Promise<EqlProcessorConfig>): Promise<PredicateStage> {
  const config = await complete;
  const stage = await PredicateStage.create(stepFilters(ruleset), layout, checkSchema, opts.engine ?? DEFAULT_PREDICATE_ENGINE, config.predicates);
  return opts.mode === 'live' ? stage.moduleFromStart() : stage;
}

async function preparePredicates(rules: readonly RuleSpec[], opts: PipelineOptions): Promise<PreparedPredicates | undefined> {
  if ((opts.engine ?? DEFAULT_PREDICATE_ENGINE) !== 'wasm') return undefined;
  // The filters this thread checked when it loaded the rules go along: the build thread then
  // checks nothing (undefined when some rule was not handed over: it checks them itself).
  const filters = (): CheckedFilter[] | undefined => handedOverFilters(rules, checkSchemaFor(schemaFromDescription(opts.schema)));
  const r = await sharedPredicateModulePool().prepare(rules, opts.schema, filters);
  const { timings, predicateCount, instrumentedBytes } = r.prepared;
  logger().debug({ key: r.key.slice(0, 16), source: r.source, predicates: predicateCount, bytes: instrumentedBytes, checkMs: r.checkMs, handedOver: r.handedOver, streamed: r.streamed, ...timings }, 'predicate module ready');
  return r.prepared;
}

/**
 * An exception out of the single-thread processor is the same failure as a crashed partition
 * worker: the same error (exit 4), the same wording, reported once by whoever catches it.
 */
function localCrash(e: unknown): unknown {
  if (e instanceof KestrelError) return e;
  const cause = e instanceof Error ? e.message : String(e);
  return new RuntimeError('runtime.worker_crashed', `partition 0 (main thread) crashed: ${cause}`, { context: { partition: 0 }, cause: e });
}

/** The sandbox for a ruleset's Wasm user rules, loaded only when there are some. */
async function userRuleSet(specs: RuleSpec[], layout: RecordLayout, firstIndex: number): Promise<UserRuleSet> {
  const { UserRuleSet } = await import('./user-rules.js');
  return new UserRuleSet(specs, layout, firstIndex);
}

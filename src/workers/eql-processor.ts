// The production Processor: EQL rules over binary records, as two stages (docs/runtime.md).
//
//   predicate stage (predicate-stage/): stateless; a batch of records → each record's true-step bits.
//   state stage (state-stage/): per-key engines of this partition, fed records with their bits.
//
// Work comes three ways. Bare records (`record` frames, and the single-thread pipeline): this
// processor runs both stages. `matched` frames: a record with the bits main got from a predicate
// stage: only the state stage runs. Predicate jobs: a batch of records whose bits main wants back
// (the stateless stage spread over the workers); no state is touched. Every path runs the same
// state-stage code, which is why output is identical for any worker count.
import { LineageStage, type LineageTracker } from '../shared/pipeline/lineage.js';
import { RecordEvent, recordFieldAccessor } from '../shared/eql/record-access.js';
import { recordsWithBits } from '../shared/pipeline/bit-counts.js';
import type { Processor, ProcessorInit, AlertOut, EvictionCounts } from './processor.js';
import { buildLayout, type RecordLayout } from '../shared/record/layout.js';
import { schemaFromDescription, type SchemaDescription } from '../shared/record/schema-desc.js';
import type { PredicateCounters, PreparedPredicates } from '../shared/eql/codegen/evaluator.js';
import { DEFAULT_PREDICATE_ENGINE, type PredicateEngine } from '../shared/eql/codegen/ruleset.js';
import { checkSchemaFor, compileRuleset, predicateFilters, type CompiledRule, type RuleSpec } from '../shared/pipeline/ruleset.js';
import { PredicateStage } from './predicate-stage/predicate-stage.js';
import { seedParsedQueries } from '../shared/eql/parser.js';
import { importQueries, type CheckedTransfer } from '../shared/eql/filter-transfer.js';
import { CheckHandOver } from '../shared/rules/compile-rule.js';
import type { Query } from '../shared/eql/ast.js';
import { StateStage } from './state-stage/state-stage.js';
import { PredicateHelper } from './predicate-stage/predicate-helper.js';

export { END_OF_STREAM } from './state-stage/state-stage.js';

export interface EqlProcessorConfig {
  rules: RuleSpec[];
  schema: SchemaDescription;
  /** Live partial cap per rule engine in this partition (oldest evicted first). Default: none. */
  maxPartialsPerRule?: number;
  /**
   * How step filters run: 'interp' = the interpreter per candidate behind the discriminator index;
   * 'wasm' = one predicate module evaluates every candidate over a batch. Same results.
   * Default: DEFAULT_PREDICATE_ENGINE.
   */
  engine?: PredicateEngine;
  /**
   * Engine 'wasm': the rules' predicate module, prepared once per ruleset generation
   * (main/predicate-module-pool.ts). Without it the processor prepares its own.
   */
  predicates?: PreparedPredicates;
  /**
   * One Int32Array-sized SAB per partition, rule by rule: the input ordinal as of which the rule's
   * engine held no state (StateStage.publishIdle), read by main's router. Per ruleset generation.
   */
  idle?: SharedArrayBuffer[];
  /** The rules' queries as main parsed them (parser.ts exportParsedQueries): not parsed again here. */
  parsed?: [string, Query][];
  /**
   * The rules' checks as main made them (or read them from its cache), in rule order
   * (filter-transfer.ts exportQueries): neither parsed nor checked again here.
   */
  checked?: CheckedTransfer;
  /** Live partial cap per join key of one rule (that key's oldest evicted first). Default: none. */
  maxPartialsPerKey?: number;
  /** Live partial cap across all rules of this partition (oldest across rules evicted). Default: none. */
  maxPartialsTotal?: number;
  /** Live mode's verdicts (StateStageConfig.live). */
  live?: boolean;
  /** A predicate helper's config: only predicate jobs come (predicate-stage/predicate-helper.ts). */
  predicatesOnly?: boolean;
  /**
   * A predicate helper's step filters as main checked them (eql/filter-transfer.ts exportFilters):
   * the helper then checks nothing itself.
   */
  filters?: CheckedTransfer;
}

/** One rule's line of `kestrel replay --profile`. */
export interface RuleProfileRow {
  rule: string;
  file: string;
  /** Step predicates evaluated (candidates of the index within the record's category). */
  predicateCalls: number;
  /** Of which true. */
  trueSteps: number;
  /** Events delivered to the rule's engine (state stage). */
  delivered: number;
  peakPartials: number;
  /** Estimated: evaluations × each predicate's cost timed on a sample. */
  predicateMs: number;
  /** Measured: time in the rule's engine. */
  stateMs: number;
}

export function createProcessor(init: ProcessorInit): Promise<Processor> {
  const config = init.config as EqlProcessorConfig;
  if (config.parsed) seedParsedQueries(config.parsed);
  const schema = schemaFromDescription(config.schema);
  const layout = buildLayout(schema);
  const checkSchema = checkSchemaFor(schema);
  if (config.checked) {
    // compileRuleset takes these as main's hand-over (one begin per thread and schema).
    const checks = importQueries(config.checked);
    const handOver = CheckHandOver.begin(checkSchema);
    config.rules.forEach((rule, i) => handOver.set(CheckHandOver.key(rule), checks[i]!));
  }
  if (config.predicatesOnly) return PredicateHelper.create(config, layout, checkSchema, init.complete as Promise<EqlProcessorConfig> | undefined);
  return EqlProcessor.create(config, layout, checkSchema, init.partition, init.partitions, init.complete as Promise<EqlProcessorConfig> | undefined);
}

/**
 * Failpoint for crash tests: with KESTREL_FAILPOINT_CRASH_AFTER=N in the environment, every
 * processor throws on the Nth record delivered to it, as a bug in the engine would. Read once.
 */
const CRASH_AFTER = Number(process.env.KESTREL_FAILPOINT_CRASH_AFTER ?? 0);

function crashForTest(): never {
  throw new Error(`failpoint KESTREL_FAILPOINT_CRASH_AFTER=${CRASH_AFTER} reached`);
}

export class EqlProcessor implements Processor {
  /**
   * Compiles the rules and, unless predicates are evaluated upstream, the predicate stage. With
   * `complete`, `config` is a preview whose predicate module is still being built: the rules
   * compile meanwhile, the rest comes from the complete config.
   */
  static async create(
    config: EqlProcessorConfig,
    layout: RecordLayout,
    checkSchema: ReturnType<typeof checkSchemaFor>,
    partition: number,
    partitions: number,
    complete?: Promise<EqlProcessorConfig>,
    /** Start evaluating before the predicate module in `complete` is ready (the single-thread pipeline). */
    pendingModules = false,
  ): Promise<EqlProcessor> {
    const ruleset = compileRuleset(config.rules, layout, checkSchema);
    const engine = config.engine ?? DEFAULT_PREDICATE_ENGINE;
    let predicates: PredicateStage;
    if (complete && engine === 'wasm' && pendingModules) {
      // Evaluate with the interpreter while the module compiles (same bits); it takes over once ready.
      predicates = PredicateStage.pending(stepFilters(ruleset), layout, checkSchema, complete.then((c) => c.predicates));
    } else {
      if (complete) config = await complete;
      predicates = await PredicateStage.create(stepFilters(ruleset), layout, checkSchema, engine, config.predicates);
    }
    if (config.live) predicates.moduleFromStart();
    const state = new StateStage(config, layout, checkSchema, partition, partitions, ruleset);
    const idle = config.idle?.[partition];
    const lineage = LineageStage.for(ruleset.map((r) => r.checked), recordFieldAccessor(layout));
    return new EqlProcessor(predicates, state, idle ? new Int32Array(idle) : undefined, lineage && { stage: lineage, event: new RecordEvent(layout, new Uint8Array(0), 0) });
  }

  /**
   * Turns on per-rule profiling (replay --profile): predicate evaluations and true results per
   * step filter, events delivered to each engine and the time spent there, peak partials.
   */
  enableProfile(): void {
    this.predicates.enableProfile();
    this.state.enableProfile();
  }

  /**
   * The profile, rule by rule (`rules` in ruleset order). Predicate time is each filter's
   * evaluation count times its cost timed on a sample afterwards (PredicateStage.calibrate).
   */
  ruleProfile(rules: readonly RuleSpec[]): RuleProfileRow[] {
    const p = this.predicates.enableProfile();
    const s = this.state.enableProfile();
    const cost = this.predicates.calibrate();
    const known = [...cost].filter((c) => Number.isFinite(c));
    const typical = known.length ? known.sort((a, b) => a - b)[Math.floor(known.length / 2)]! : 0;
    const { firstFilter } = this.state.roles;
    return rules.map((rule, r) => {
      let calls = 0;
      let trues = 0;
      let predicateMs = 0;
      for (let f = firstFilter[r]!; f < firstFilter[r + 1]!; f++) {
        calls += p.calls[f]!;
        trues += p.trues[f]!;
        predicateMs += (p.calls[f]! * (Number.isFinite(cost[f]!) ? cost[f]! : typical)) / 1e6;
      }
      return { rule: rule.name, file: rule.file, predicateCalls: calls, trueSteps: trues, delivered: s.pushes[r]!, peakPartials: s.peakPartials[r]!, predicateMs, stateMs: s.ms[r]! };
    });
  }

  /** The current batch (beginBatch) and its bits. */
  private batchBytes: Uint8Array | null = null;
  private batchOffsets: ArrayLike<number> = [];
  private batchCount = 0;
  private batchNext = 0;
  private batchBits: Uint32Array = new Uint32Array(0);
  private readonly singleOffset = new Uint32Array(1);

  /** Records whose predicates this processor evaluated, and those with a true step (metrics). */
  predicateRecords = 0;
  predicateRecordsTrue = 0;

  /** Records delivered so far (counted only for the crash failpoint). */
  private delivered = 0;

  private constructor(
    private readonly predicates: PredicateStage,
    readonly state: StateStage,
    private readonly idle: Int32Array | undefined,
    /**
     * Lineage terms, for records whose bits this processor computes (onEvent: the single-thread
     * pipeline, which sees every record in order); records from main (onMatched) have them applied.
     */
    private readonly lineage?: { stage: LineageStage; event: RecordEvent },
  ) {}

  /** The lineage tracker of this processor's rules, if any rule asks about lineage (metrics). */
  get lineageTracker(): LineageTracker | undefined {
    return this.lineage?.stage.tracker;
  }

  beginBatch(bytes: Uint8Array, offsets: ArrayLike<number>, count: number): void {
    this.batchBits = this.predicates.evaluate(bytes, offsets, count);
    this.predicateRecords += count;
    this.predicateRecordsTrue += recordsWithBits(this.batchBits, count, this.state.roles.wordsPerRecord);
    this.batchBytes = bytes;
    this.batchOffsets = offsets;
    this.batchCount = count;
    this.batchNext = 0;
  }

  /** A bare record: its bits from the batch announced by beginBatch (or a batch of its own). */
  onEvent(bytes: Uint8Array, offset: number, length: number, seq: number, _mask: number, emit: (a: AlertOut) => void): void {
    if (CRASH_AFTER > 0 && ++this.delivered === CRASH_AFTER) crashForTest();
    let i = this.takeBatchSlot(bytes, offset);
    if (i < 0) {
      this.batchBytes = null;
      this.singleOffset[0] = offset;
      this.batchBits = this.predicates.evaluate(bytes, this.singleOffset, 1);
      this.predicateRecords++;
      this.predicateRecordsTrue += recordsWithBits(this.batchBits, 1, this.state.roles.wordsPerRecord);
      i = 0;
    }
    const at = i * this.state.roles.wordsPerRecord;
    if (this.lineage) this.lineage.stage.apply(this.lineage.event.reset(bytes, offset, seq), this.batchBits, at);
    this.state.onEvent(bytes, offset, length, seq, this.batchBits, at, emit);
  }

  /** A record with the bits main's predicate stage computed (`bits[bitsAt…]`). */
  onMatched(bytes: Uint8Array, offset: number, length: number, seq: number, bits: Uint32Array, bitsAt: number, emit: (a: AlertOut) => void): void {
    if (CRASH_AFTER > 0 && ++this.delivered === CRASH_AFTER) crashForTest();
    this.state.onEvent(bytes, offset, length, seq, bits, bitsAt, emit);
  }

  /**
   * A record with bits computed by a predicate job (a helper worker's, or this thread's) for the
   * single-thread state stage: lineage terms are applied here, as for onEvent.
   */
  onBits(bytes: Uint8Array, offset: number, length: number, seq: number, bits: Uint32Array, bitsAt: number, emit: (a: AlertOut) => void): void {
    if (CRASH_AFTER > 0 && ++this.delivered === CRASH_AFTER) crashForTest();
    this.predicateRecords++;
    this.predicateRecordsTrue += recordsWithBits(bits, 1, this.state.roles.wordsPerRecord, bitsAt);
    if (this.lineage) this.lineage.stage.apply(this.lineage.event.reset(bytes, offset, seq), bits, bitsAt);
    this.state.onEvent(bytes, offset, length, seq, bits, bitsAt, emit);
  }

  /** A predicate job: the bits of a batch, no state touched. */
  evaluatePredicates(bytes: Uint8Array, offsets: ArrayLike<number>, count: number): Uint32Array {
    // A job between beginBatch and its onEvent calls would replace their bits: none comes there
    // (the worker announces a batch of record frames only), but be safe.
    this.batchBytes = null;
    return this.predicates.evaluate(bytes, offsets, count);
  }

  get predicateWords(): number {
    return this.state.roles.wordsPerRecord;
  }

  /** After a batch: tells main's router which rules hold no state as of input ordinal `ordinal`. */
  publishIdle(ordinal: number): void {
    if (this.idle) this.state.publishIdle(this.idle, ordinal);
  }

  onWatermark(_seq: number, timeMs: number, emit: (a: AlertOut) => void): void {
    this.state.onWatermark(timeMs, emit);
  }

  onEnd(emit: (a: AlertOut) => void): void {
    this.state.onEnd(emit);
  }

  progressFloor(): number {
    return this.state.progressFloor();
  }

  /** The Wasm predicate module's counters (batches, records, fallbacks); undefined otherwise. */
  predicateCounters(): PredicateCounters | undefined {
    return this.predicates.counters;
  }

  stateEntries(): number {
    return this.state.stateEntries();
  }

  evictions(): number {
    return this.state.evictions();
  }

  evictionsByKind(): EvictionCounts {
    return this.state.evictionsByKind();
  }

  partialsLive(): number {
    return this.state.partialsLive();
  }

  /** The record's position in the batch announced by beginBatch, or -1 if it is not the next one. */
  private takeBatchSlot(bytes: Uint8Array, offset: number): number {
    const i = this.batchNext;
    if (bytes !== this.batchBytes || i >= this.batchCount || this.batchOffsets[i] !== offset) return -1;
    this.batchNext = i + 1;
    return i;
  }
}

/** Every step (and until) filter of a ruleset, rule by rule: the order of filter ids. */
export function stepFilters(ruleset: readonly CompiledRule[]): ReturnType<typeof predicateFilters> {
  return predicateFilters(ruleset.map((r) => r.checked));
}

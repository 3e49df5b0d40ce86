// The production Processor: EQL rules over binary records. One instance per partition (in a
// worker) or one for everything (the single-thread path); both run this same code, which is why
// their output is identical.
//
// Delivery: an event goes only to the engines of rules at least one of whose filters (steps, missing
// steps, until) matches it; only those may keep it, so its bytes are copied only then. For every
// other engine of its category, such an event could only move event time on (engine.ts
// advanceTime): engines that follow time (sequences with maxspan) are told it lazily, before
// anything depends on it (category-clocks.ts). Alerts, evictions and counters are the same as when
// every engine of an event's category was offered the event.
//
// Partitioning: sequence and sample state is keyed by the first join key's value; this partition
// only lets an engine see (event, key) pairs whose key it owns (keyPartition), and single-event
// rules only the events whose home partition it is. Main may send an event to more partitions
// than need it; ownership makes that harmless.
import type { Processor, ProcessorInit, AlertOut, EvictionCounts } from './processor.js';
import type { CompiledQuery, CompiledStep, EventView, Value } from '../shared/engine/compiled.js';
import type { EngineEvent } from '../shared/engine/event.js';
import { createEngine, type Engine } from '../shared/engine/engine.js';
import { PartialBudget } from '../shared/engine/partial-budget.js';
import { CategoryClocks } from './category-clocks.js';
import { buildLayout, type RecordLayout } from '../shared/record/layout.js';
import { schemaFromDescription, type SchemaDescription } from '../shared/record/schema-desc.js';
import { RecordView } from '../shared/record/view.js';
import { decodeField } from '../shared/record/decode.js';
import { RecordEvent, recordFieldAccessor, slotFieldId } from '../shared/eql/record-access.js';
import { FilterIndex } from '../shared/eql/prefilter.js';
import { RecordCandidateWriter } from '../shared/eql/prefilter-record.js';
import { WasmPredicateSet, type CandidateSelector, type PredicateCounters, type PreparedPredicates } from '../shared/eql/codegen/evaluator.js';
import { DEFAULT_PREDICATE_ENGINE, type PredicateEngine } from '../shared/eql/codegen/ruleset.js';
import type { CheckedFilter } from '../shared/eql/ir.js';
import { checkSchemaFor, compileRuleset, predicateFilters, type CompiledRule, type RuleSpec } from '../shared/pipeline/ruleset.js';
import { homePartition, keyPartition } from '../shared/pipeline/partition.js';
import { alertJson, orderingSeq } from '../shared/pipeline/alert.js';

/** Ordering seq of results known only at the end of the stream: after every real event. */
export const END_OF_STREAM = Number.MAX_SAFE_INTEGER - 1;

export interface EqlProcessorConfig {
  rules: RuleSpec[];
  schema: SchemaDescription;
  /** Live partial cap per rule engine in this partition (oldest evicted first). Default: none. */
  maxPartialsPerRule?: number;
  /**
   * How step filters run: 'interp' = the interpreter per event behind the discriminator index;
   * 'wasm' = one predicate module evaluates every filter the same index leaves over a batch
   * (beginBatch), the filters read its bits. Same results. Default: DEFAULT_PREDICATE_ENGINE.
   */
  engine?: PredicateEngine;
  /**
   * Engine 'wasm': the rules' predicate module, prepared once per ruleset generation
   * (main/predicate-module-pool.ts) and shared by every partition. Without it the processor
   * prepares its own.
   */
  predicates?: PreparedPredicates;
  /** Live partial cap per join key of one rule (that key's oldest evicted first). Default: none. */
  maxPartialsPerKey?: number;
  /** Live partial cap across all rules of this partition (oldest across rules evicted). Default: none. */
  maxPartialsTotal?: number;
}

export function createProcessor(init: ProcessorInit): Promise<Processor> {
  const config = init.config as EqlProcessorConfig;
  const schema = schemaFromDescription(config.schema);
  const layout = buildLayout(schema);
  return EqlProcessor.create(config, layout, checkSchemaFor(schema), init.partition, init.partitions, init.complete as Promise<EqlProcessorConfig> | undefined);
}

/** Every step (and until) filter of a ruleset, rule by rule: the order of filter ids. */
function stepFilters(ruleset: readonly CompiledRule[]): CheckedFilter[] {
  return predicateFilters(ruleset.map((r) => r.checked));
}

/** The rules whose engines an event of some category concerns (both lists in rule order). */
interface CategoryRules {
  /** Rules with a filter of that category (or of any category). */
  rules: number[];
  /** CategoryClocks group of those of them whose engines follow event time. */
  group: number;
}

const NO_BYTES = new Uint8Array(0);

export class EqlProcessor implements Processor {
  private readonly engines: Engine[] = [];
  /** Engines that may hold results back for progressFloor: not end-only, and Engine.mayHold. */
  private readonly holders: number[] = [];
  /** Rule index of each filter id (a rule's filters have consecutive ids). */
  private readonly filterRule: Uint32Array;
  /** Rule r's filter ids are [firstFilter[r], firstFilter[r + 1]). */
  private readonly firstFilter: Uint32Array;
  /** Rules whose engines follow event time (Engine.followsTime), told it lazily. */
  private readonly timedRules: number[] = [];
  private readonly clocks: CategoryClocks;
  /** While an event is delivered: its group, and the rule whose engine is being offered it. */
  private delivering = false;
  private eventGroup = 0;
  private pushing = -1;
  /** Interpreter: each filter's own test, and the filters that matched the current event (hitStamp). */
  private readonly filterTests: ((ev: EventView) => boolean)[] = [];
  private readonly hits: Uint32Array;
  private hitStamp = 0;
  /** The current event, read in place until an engine needs to keep it (then detached). */
  private scratch: RecordEvent;
  private kept: EngineEvent | null = null;
  private eventLength = 0;
  private eventTime: number | null = null;
  /** Rules by event category they need; rules needing any category are in `anyCategory`. */
  private readonly byCategory = new Map<string, number[]>();
  private readonly anyCategory: number[] = [];
  /** The candidates of every event when no rule needs a category. */
  private readonly anyRules: CategoryRules | null;
  private readonly probe: RecordView;
  private readonly categoryId: number;
  private emit: (a: AlertOut) => void = () => {};
  /** Which filters may match an event: per event (interpreter) or per batch record (Wasm). */
  private readonly index: FilterIndex;
  /** Wasm path: every filter's bit for each record of the current batch. */
  private readonly predicates: WasmPredicateSet | undefined;
  private batchBytes: Uint8Array | null = null;
  private batchOffsets: ArrayLike<number> = [];
  private batchCount = 0;
  private batchNext = 0;
  private readonly singleOffset = new Uint32Array(1);
  /** The index read from record bytes in place. */
  private readonly candidateWriter: RecordCandidateWriter;
  /** Interpreter: the current event's candidate filters (bit id). */
  private readonly candidateWords: Uint32Array;
  /** Wasm path: a batch record's candidate bits from the index. */
  private readonly selectCandidates: CandidateSelector = (ev, words, at) => this.candidateWriter.write(ev, words, at);
  /** Candidate rule lists by the event's category value(s), computed once per distinct value. */
  private readonly candidateCache = new Map<string, CategoryRules | null>();
  private evicted = 0;

  /**
   * Compiles the rules and, for engine 'wasm', instantiates their predicate module (prepared or
   * built here). With `complete`, `config` is a preview whose predicate module is still being
   * built: the rules compile meanwhile, the rest comes from the complete config.
   */
  static async create(
    config: EqlProcessorConfig,
    layout: RecordLayout,
    checkSchema: ReturnType<typeof checkSchemaFor>,
    partition: number,
    partitions: number,
    complete?: Promise<EqlProcessorConfig>,
  ): Promise<EqlProcessor> {
    const ruleset = compileRuleset(config.rules, layout, checkSchema);
    if (complete) config = await complete;
    const engine = config.engine ?? DEFAULT_PREDICATE_ENGINE;
    let predicates: WasmPredicateSet | undefined;
    if (engine === 'wasm') {
      const filters = { filters: stepFilters(ruleset) };
      predicates = config.predicates ? WasmPredicateSet.fromPrepared(filters, layout, config.predicates) : await WasmPredicateSet.create(filters, layout);
    }
    return new EqlProcessor(config, layout, checkSchema, partition, partitions, ruleset, predicates);
  }

  private constructor(
    config: EqlProcessorConfig,
    private readonly layout: RecordLayout,
    checkSchema: ReturnType<typeof checkSchemaFor>,
    private readonly partition: number,
    private readonly partitions: number,
    ruleset: CompiledRule[],
    predicates: WasmPredicateSet | undefined,
  ) {
    this.predicates = predicates;
    // One discriminator index over every step filter of every rule (eql/prefilter.ts).
    this.index = new FilterIndex(stepFilters(ruleset));
    const accessor = recordFieldAccessor(layout);
    this.candidateWriter = new RecordCandidateWriter(this.index, layout, (path) => {
      const def = checkSchema.lookup(path);
      return {
        read: accessor({ path, segments: path.split('.'), def }) as (ev: RecordEvent) => Value | undefined,
        slot: def?.nullValue === undefined ? slotFieldId(layout, path) : -1,
      };
    });
    let filterId = 0;
    const filterRule: number[] = [];
    const firstFilter: number[] = [];
    const budget = config.maxPartialsTotal === undefined ? undefined : new PartialBudget(config.maxPartialsTotal, () => this.catchUpDuringEvent());
    ruleset.forEach(({ compiled: query0 }, index) => {
      firstFilter.push(filterId);
      const query = this.prefiltered(query0, () => {
        filterRule.push(index);
        return filterId++;
      });
      const owned = this.ownedQuery(query);
      const rule = config.rules[index];
      // Samples and tail pipes only produce results at the end of the stream. Ordering them there
      // (END_OF_STREAM) keeps the output deterministic without holding every other rule's alerts
      // back until the end.
      const atEnd = query.kind === 'sample' || query.pipes.some((p) => p.name === 'tail');
      const engine = createEngine(owned, {
        maxPartials: config.maxPartialsPerRule,
        maxPartialsPerKey: config.maxPartialsPerKey,
        budget,
        onResult: (r) => this.emit({ seq: atEnd ? END_OF_STREAM : orderingSeq(r), ruleIndex: index, json: alertJson(rule, r) }),
      });
      this.engines.push(engine);
      if (!atEnd && engine.mayHold) this.holders.push(index);
      if (engine.followsTime) this.timedRules.push(index);
      const cats = categoriesOf(query);
      if (cats === null) this.anyCategory.push(index);
      else for (const c of cats) (this.byCategory.get(c) ?? this.byCategory.set(c, []).get(c)!).push(index);
    });
    firstFilter.push(filterId);
    this.filterRule = Uint32Array.from(filterRule);
    this.firstFilter = Uint32Array.from(firstFilter);
    this.hits = new Uint32Array(filterId);
    this.candidateWords = new Uint32Array(Math.ceil(filterId / 32));
    this.scratch = new RecordEvent(layout, NO_BYTES, 0);
    this.clocks = new CategoryClocks(ruleset.length);
    this.anyRules = this.anyCategory.length ? this.categoryRules(this.anyCategory) : null;
    this.probe = new RecordView(layout);
    this.categoryId = layout.fieldId(checkSchema.aliasOf('event.category') ?? 'event.category');
  }

  beginBatch(bytes: Uint8Array, offsets: ArrayLike<number>, count: number): void {
    if (!this.predicates) return;
    this.predicates.evaluateBatch(bytes, offsets, count, this.selectCandidates);
    this.batchBytes = bytes;
    this.batchOffsets = offsets;
    this.batchCount = count;
    this.batchNext = 0;
  }

  onEvent(bytes: Uint8Array, offset: number, length: number, seq: number, _mask: number, emit: (a: AlertOut) => void): void {
    this.emit = emit;
    const candidates = this.candidates(bytes, offset);
    let batchIndex = this.predicates ? this.takeBatchSlot(bytes, offset) : -1;
    if (candidates === null) return;
    if (this.predicates && batchIndex < 0) batchIndex = this.evaluateAlone(bytes, offset);
    // Filters only run while the event is pushed, so its batch index is never read once stale.
    const ev = this.scratch.reset(bytes, offset, seq, batchIndex);
    this.kept = null;
    this.eventLength = length;
    this.eventTime = ev.rv.hasTimestamp ? ev.rv.timestampMs : null;
    this.eventGroup = candidates.group;
    this.delivering = true;
    if (this.predicates) this.deliverByBits(batchIndex);
    else this.deliverByTests(candidates);
    this.delivering = false;
    this.clocks.passed(candidates.group, this.eventTime);
  }

  /** Wasm: the rules with a set bit in the record's words (filter ids are in rule order). */
  private deliverByBits(batchIndex: number): void {
    const W = this.predicates!.wordsPerRecord;
    const bits = this.predicates!.batchBits;
    let last = -1;
    for (let w = 0, at = batchIndex * W; w < W; w++) {
      let word = bits[at + w]!;
      while (word !== 0) {
        const low = word & -word;
        word ^= low;
        const rule = this.filterRule[(w << 5) + 31 - Math.clz32(low)]!;
        if (rule !== last) this.push((last = rule));
      }
    }
  }

  /** Interpreter: each candidate rule's filters behind the index, once; the engine reads the hits. */
  private deliverByTests(candidates: CategoryRules): void {
    const ev = this.scratch;
    const words = this.candidateWords;
    this.candidateWriter.write(ev, words, 0);
    const stamp = this.nextHitStamp();
    for (const rule of candidates.rules) {
      let hit = false;
      for (let id = this.firstFilter[rule]!, end = this.firstFilter[rule + 1]!; id < end; id++) {
        if ((words[id >>> 5]! >>> (id & 31)) & 1 && this.filterTests[id]!(ev)) {
          this.hits[id] = stamp;
          hit = true;
        }
      }
      if (hit) this.push(rule);
    }
  }

  /** Offers the current event to a rule's engine; the first one gets the event's private copy. */
  private push(rule: number): void {
    let kept = this.kept;
    if (kept === null) {
      const ev = this.scratch;
      // The engine may keep the event in a partial, and the transport buffer is reused.
      ev.detach(this.eventLength);
      this.scratch = new RecordEvent(this.layout, NO_BYTES, 0);
      kept = this.kept = { view: ev, time: this.eventTime, seq: ev.seq };
    }
    const engine = this.engines[rule]!;
    if (engine.followsTime) engine.advanceTime(this.clocks.timeFor(rule));
    this.pushing = rule;
    engine.push(kept);
  }

  /** Tells every timed engine the time of all events of its categories delivered so far. */
  private catchUp(): void {
    for (const rule of this.timedRules) this.engines[rule]!.advanceTime(this.clocks.timeFor(rule));
  }

  /**
   * The shared budget is about to evict: every timed engine must be where it would be had each
   * engine of an event's category been offered the event, in rule order. During a delivery, those
   * before the engine being offered it have seen this event's time, the others not yet.
   */
  private catchUpDuringEvent(): void {
    if (!this.delivering) return this.catchUp();
    const now = this.eventTime;
    for (const rule of this.timedRules) {
      let t = this.clocks.timeFor(rule);
      if (now !== null && now > t && rule < this.pushing && this.clocks.inGroup(rule, this.eventGroup)) t = now;
      this.engines[rule]!.advanceTime(t);
    }
  }

  private nextHitStamp(): number {
    if (++this.hitStamp === 0xffffffff) {
      this.hits.fill(0);
      this.hitStamp = 1;
    }
    return this.hitStamp;
  }

  onWatermark(_seq: number, timeMs: number, emit: (a: AlertOut) => void): void {
    this.emit = emit;
    this.catchUp();
    for (const e of this.engines) e.advanceTime(timeMs);
  }

  onEnd(emit: (a: AlertOut) => void): void {
    this.emit = emit;
    this.catchUp();
    for (const e of this.engines) e.end();
  }

  progressFloor(): number {
    let floor = Infinity;
    for (const i of this.holders) {
      const engine = this.engines[i]!;
      // Time may settle a trailing verdict (and release its result).
      if (engine.followsTime) engine.advanceTime(this.clocks.timeFor(i));
      const h = engine.heldSeq();
      if (h < floor) floor = h;
    }
    return floor;
  }

  /** The Wasm predicate module's counters (batches, records, fallbacks); undefined for 'interp'. */
  predicateCounters(): PredicateCounters | undefined {
    return this.predicates?.counters;
  }

  stateEntries(): number {
    this.catchUp();
    let n = 0;
    for (const e of this.engines) n += e.stats.partialsLive + e.stats.pendingTrailing;
    return n;
  }

  evictions(): number {
    this.catchUp();
    let n = this.evicted;
    for (const e of this.engines) n += e.stats.evictions;
    return n;
  }

  /** The record's position in the batch announced by beginBatch, or -1 if it is not the next one. */
  private takeBatchSlot(bytes: Uint8Array, offset: number): number {
    const i = this.batchNext;
    if (bytes !== this.batchBytes || i >= this.batchCount || this.batchOffsets[i] !== offset) return -1;
    this.batchNext = i + 1;
    return i;
  }

  /** A record outside any announced batch: a batch of one (it replaces the current batch's bits). */
  private evaluateAlone(bytes: Uint8Array, offset: number): number {
    this.batchBytes = null;
    this.singleOffset[0] = offset;
    this.predicates!.evaluateBatch(bytes, this.singleOffset, 1, this.selectCandidates);
    return 0;
  }

  evictionsByKind(): EvictionCounts {
    this.catchUp();
    const n: EvictionCounts = { perKey: 0, perRule: 0, total: 0 };
    for (const e of this.engines) {
      n.perKey += e.stats.evictionsPerKey;
      n.perRule += e.stats.evictionsPerRule;
      n.total += e.stats.evictionsTotal;
    }
    return n;
  }

  partialsLive(): number {
    this.catchUp();
    let n = 0;
    for (const e of this.engines) n += e.stats.partialsLive;
    return n;
  }

  /** Rules that could match the event, by its category; null when none could. */
  private candidates(bytes: Uint8Array, offset: number): CategoryRules | null {
    if (this.byCategory.size === 0) return this.anyRules;
    this.probe.reset(bytes, offset);
    let cats: unknown = undefined;
    if (this.categoryId >= 0) {
      // Only the category is read here, without copying the record.
      cats = decodeField(this.probe, this.categoryId);
    }
    const cacheKey = typeof cats === 'string' ? cats : Array.isArray(cats) ? cats.join('\u0000') : '';
    let cached = this.candidateCache.get(cacheKey);
    if (cached === undefined) {
      const set = new Set<number>(this.anyCategory);
      for (const c of typeof cats === 'string' ? [cats] : Array.isArray(cats) ? cats : []) {
        if (typeof c === 'string') for (const i of this.byCategory.get(c) ?? []) set.add(i);
      }
      // Engines see an event in rule order, so alerts of one event come out in a fixed order.
      cached = set.size ? this.categoryRules([...set].sort((a, b) => a - b)) : null;
      if (this.candidateCache.size < 1024) this.candidateCache.set(cacheKey, cached);
    }
    return cached;
  }

  private categoryRules(rules: number[]): CategoryRules {
    return { rules, group: this.clocks.group(rules.filter((i) => this.engines[i]!.followsTime)) };
  }

  /**
   * Wraps each step's filter (ids in stepFilters order): the interpreter runs only when the
   * discriminator index lets it; with Wasm the filter is the record's bit from the batch.
   */
  private prefiltered(q: CompiledQuery, nextId: () => number): CompiledQuery {
    const wrap = (step: CompiledStep): CompiledStep => {
      const id = nextId();
      const category = step.filter.category;
      const predicates = this.predicates;
      if (predicates) return { ...step, filter: { category, test: (ev) => predicates.matches((ev as RecordEvent).index, id) } };
      // deliverByTests ran every filter of the rule on this event before pushing it.
      this.filterTests.push(step.filter.test);
      return { ...step, filter: { category, test: () => this.hits[id] === this.hitStamp } };
    };
    const steps = q.steps.map(wrap);
    return { ...q, steps, until: q.until && wrap(q.until) };
  }

  /** Wraps a query so its engine only sees what this partition owns. */
  private ownedQuery(q: CompiledQuery): CompiledQuery {
    const n = this.partitions;
    const me = this.partition;
    if (n === 1) return q;
    if (q.kind === 'event') {
      const step = q.steps[0];
      const filter = { category: step.filter.category, test: (ev: EventView) => homePartition((ev as RecordEvent).seq, n) === me && step.filter.test(ev) };
      return { ...q, steps: [{ ...step, filter }] };
    }
    const own = (step: CompiledStep): CompiledStep => {
      // keys() is called by the engine right after test() on the same event; cache one result.
      let lastEv: EventView = null;
      let lastKeys: Value[][] = [];
      const ownedKeys = (ev: EventView): Value[][] => {
        if (ev === lastEv) return lastKeys;
        const keys = step.keys(ev);
        const first = keys[0] ?? [];
        const mine = first.length === 0 ? (keyPartition(null, n) === me ? first : null) : first.filter((v) => keyPartition(v, n) === me);
        lastEv = ev;
        lastKeys = mine === null || (first.length > 0 && mine.length === 0) ? NOT_MINE : [mine, ...keys.slice(1)];
        return lastKeys;
      };
      return {
        ...step,
        filter: { category: step.filter.category, test: (ev) => step.filter.test(ev) && ownedKeys(ev) !== NOT_MINE },
        keys: ownedKeys,
      };
    };
    return { ...q, steps: q.steps.map(own), until: q.until && own(q.until) };
  }
}

/** Marker: the event's key belongs to another partition. */
const NOT_MINE: Value[][] = [];

/** The categories a query's steps need, or null if some step takes any category. */
function categoriesOf(q: CompiledQuery): Set<string> | null {
  const out = new Set<string>();
  for (const s of [...q.steps, ...(q.until ? [q.until] : [])]) {
    if (s.filter.category === null) return null;
    out.add(s.filter.category);
  }
  return out;
}

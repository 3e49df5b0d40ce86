// The state stage: per-key sequence/sample state of one partition, fed events together with the
// bits of their true step predicates (the predicate stage's output). It never evaluates a
// predicate: a step's filter here is its bit.
//
// Delivery: an event goes only to the engines of rules with a set bit, in rule order; only those
// may keep it, so its bytes are copied only then. A set bit of a step that cannot start anything
// (a later sequence step, a missing step `![…]`, an `until`) is skipped while the rule's engine holds
// no state: such an event changes nothing there (filter-roles.ts). For every other engine of its
// category an event could only move event time on (engine.ts advanceTime): engines that follow
// time (sequences with maxspan) are told it lazily, before anything depends on it
// (category-clocks.ts). Alerts, evictions and counters are the same as when every engine of an
// event's category was offered the event (test/processor-delivery.test.ts).
//
// Partitioning: state is keyed by the first join key's value; this partition only lets an engine
// see (event, key) pairs whose key it owns (keyPartition), and single-event rules only the events
// whose home partition it is. Main may send an event to more partitions than need it; ownership
// makes that harmless.
import type { AlertOut, EvictionCounts } from '../processor.js';
import type { CompiledQuery, CompiledStep, EventView, Value } from '../../shared/engine/compiled.js';
import type { EngineEvent } from '../../shared/engine/event.js';
import { createEngine, type Engine } from '../../shared/engine/engine.js';
import { PartialBudget } from '../../shared/engine/partial-budget.js';
import type { RecordLayout } from '../../shared/record/layout.js';
import { RecordView } from '../../shared/record/view.js';
import { decodeField } from '../../shared/record/decode.js';
import { ValueBytesCache } from '../../shared/record/value-bytes-cache.js';
import { RecordEvent } from '../../shared/eql/record-access.js';
import { RecordPool } from '../../shared/record/record-pool.js';
import type { BuiltSchema } from '../../shared/schema/schema.js';
import type { CompiledRule, RuleSpec } from '../../shared/pipeline/ruleset.js';
import { homePartition, keyPartition } from '../../shared/pipeline/partition.js';
import { alertJson, orderingSeq } from '../../shared/pipeline/alert.js';
import { CategoryClocks } from './category-clocks.js';
import { filterRoles, type FilterRoles } from '../../shared/pipeline/filter-roles.js';

/** Ordering seq of results known only at the end of the stream: after every real event. */
export const END_OF_STREAM = Number.MAX_SAFE_INTEGER - 1;

export interface StateStageConfig {
  rules: readonly RuleSpec[];
  /** Live partial cap per rule engine in this partition (oldest evicted first). Default: none. */
  maxPartialsPerRule?: number;
  /** Live partial cap per join key of one rule (that key's oldest evicted first). Default: none. */
  maxPartialsPerKey?: number;
  /** Live partial cap across all rules of this partition (oldest across rules evicted). Default: none. */
  maxPartialsTotal?: number;
  /**
   * Live mode's verdicts (engine.ts EngineOptions.live): samples are emitted as soon as they
   * complete, and at the end an unfinished window gives no verdict. Replay leaves it unset.
   */
  live?: boolean;
}

/** The rules whose engines an event of some category concerns (both lists in rule order). */
interface CategoryRules {
  /** Rules with a filter of that category (or of any category). */
  rules: number[];
  /** CategoryClocks group of those of them whose engines follow event time. */
  group: number;
}

const NO_BYTES = new Uint8Array(0);

/**
 * An event an engine stores: its record copied into a pooled buffer (record-pool.ts), counted by
 * holders. Each keep() (an engine's stable()) adds one, each release() removes one; the last
 * release gives the buffer back for another event (KESTREL_DEBUG_RECORD_POOL=1 poisons it, so
 * a stray read after that shows), and this object and its view go back to the stage for the next
 * kept event: kept events live as long as their partials, so allocating them fresh made the young
 * generation copy and promote them.
 */
class KeptEvent implements EngineEvent {
  seq = 0;
  time: number | null = null;
  private holders = 0;

  constructor(
    public view: RecordEvent,
    private readonly spares: SpareEvents,
  ) {}

  /** Takes the event `view` (detached into a pooled buffer) with the stage as its first holder. */
  hold(view: RecordEvent, time: number | null): this {
    this.view = view;
    this.seq = view.seq;
    this.time = time;
    this.holders = 1;
    return this;
  }

  keep(): this {
    this.holders++;
    return this;
  }

  release(): void {
    if (--this.holders === 0) this.spares.recycle(this);
  }
}

/**
 * Kept events whose last holder let go, and their views, for the next events kept; and the pool
 * of their record buffers. In the pool's debug mode objects are not reused: a stale holder then
 * reads the poisoned buffer instead of another event.
 */
class SpareEvents {
  private readonly kept: KeptEvent[] = [];
  private readonly views: RecordEvent[] = [];
  readonly pool = new RecordPool();

  constructor(private readonly layout: RecordLayout) {}

  /** A view for the next event read in place (the stage's scratch). */
  view(): RecordEvent {
    return this.views.pop() ?? new RecordEvent(this.layout, NO_BYTES, 0);
  }

  /** `view`, already detached, held by the stage. */
  keep(view: RecordEvent, time: number | null): KeptEvent {
    return (this.kept.pop() ?? new KeptEvent(view, this)).hold(view, time);
  }

  recycle(ev: KeptEvent): void {
    const rv = ev.view.rv;
    this.pool.give(rv.bytes, rv.dataView);
    if (this.pool.poison || this.kept.length >= MAX_SPARE_EVENTS) return;
    this.views.push(ev.view);
    this.kept.push(ev);
  }
}

/** Enough for every partial of a busy partition; past this a released event is left to the GC. */
const MAX_SPARE_EVENTS = 1 << 16;

const NO_BITS = new Uint32Array(0);

export class StateStage {
  private readonly engines: Engine[] = [];
  /** Engines that may hold results back for progressFloor: not end-only, and Engine.mayHold. */
  private readonly holders: number[] = [];
  readonly roles: FilterRoles;
  /** Rules whose engines follow event time (Engine.followsTime), told it lazily. */
  private readonly timedRules: number[] = [];
  private readonly clocks: CategoryClocks;
  /** While an event is delivered: its group, and the rule whose engine is being offered it. */
  private delivering = false;
  private eventGroup = 0;
  private pushing = -1;
  /** The current event's predicate bits: words [bitsAt, bitsAt + wordsPerRecord) of `bits`. */
  private bits: Uint32Array = NO_BITS;
  private bitsAt = 0;
  /**
   * The current event as engines are offered it: read in place; copied only when an engine stores
   * it (EngineEvent.keep), which most offers never do.
   */
  private readonly current: EngineEvent;
  private scratch: RecordEvent;
  private kept: KeptEvent | null = null;
  /** Kept events, their views and record buffers, reused once no engine holds them. */
  private readonly spares: SpareEvents;
  private eventLength = 0;
  /** Rules by event category they need; rules needing any category are in `anyCategory`. */
  private readonly byCategory = new Map<string, number[]>();
  private readonly anyCategory: number[] = [];
  private readonly anyRules: CategoryRules | null;
  private readonly probe: RecordView;
  private readonly categoryId: number;
  private emit: (a: AlertOut) => void = () => {};
  /** `kestrel replay --profile`: per rule, events offered, milliseconds in its engine, peak partials. */
  private profile: { pushes: Float64Array; ms: Float64Array; peakPartials: Float64Array } | null = null;
  /** Candidate rule lists by the event's category value(s), computed once per distinct value. */
  private readonly candidateCache = new ValueBytesCache<CategoryRules | null>(32);

  constructor(
    config: StateStageConfig,
    layout: RecordLayout,
    checkSchema: BuiltSchema,
    private readonly partition: number,
    private readonly partitions: number,
    ruleset: readonly CompiledRule[],
  ) {
    this.roles = filterRoles(ruleset.map((r) => r.checked));
    const budget = config.maxPartialsTotal === undefined ? undefined : new PartialBudget(config.maxPartialsTotal, () => this.catchUpDuringEvent());
    let filterId = 0;
    ruleset.forEach(({ compiled }, index) => {
      const query = this.ownedQuery(this.bitFiltered(compiled, () => filterId++));
      const rule = config.rules[index]!;
      // Samples and tail pipes only produce results at the end of the stream. Ordering them there
      // (END_OF_STREAM) keeps the output deterministic without holding every other rule's alerts
      // back until the end.
      const atEnd = (query.kind === 'sample' && !config.live) || query.pipes.some((p) => p.name === 'tail');
      const engine = createEngine(query, {
        live: config.live,
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
    this.spares = new SpareEvents(layout);
    this.scratch = this.spares.view();
    this.current = { view: this.scratch, time: null, seq: 0, keep: () => this.keep() };
    this.clocks = new CategoryClocks(ruleset.length);
    this.anyRules = this.anyCategory.length ? this.categoryRules(this.anyCategory) : null;
    this.probe = new RecordView(layout);
    this.categoryId = layout.fieldId(checkSchema.aliasOf('event.category') ?? 'event.category');
  }

  get ruleCount(): number {
    return this.engines.length;
  }

  /**
   * One event and its predicate bits (`bits[bitsAt…]`, filter id order; valid during the call).
   * The record is read in place and copied only if an engine keeps it.
   */
  onEvent(bytes: Uint8Array, offset: number, length: number, seq: number, bits: Uint32Array, bitsAt: number, emit: (a: AlertOut) => void): void {
    this.emit = emit;
    const candidates = this.candidates(bytes, offset);
    if (candidates === null) return;
    const ev = this.scratch.reset(bytes, offset, seq);
    this.kept = null;
    const current = this.current;
    current.view = ev;
    current.seq = seq;
    current.time = ev.rv.hasTimestamp ? ev.rv.timestampMs : null;
    this.bits = bits;
    this.bitsAt = bitsAt;
    this.eventLength = length;
    this.eventGroup = candidates.group;
    this.delivering = true;
    this.deliver();
    this.delivering = false;
    // The stage's own hold on a kept event ends with its delivery (keep()). deliver() may have set
    // `kept`, which the compiler cannot see. Its decoded fields served this delivery; the next
    // event read in place reuses the table.
    const kept = this.kept as KeptEvent | null;
    if (kept !== null) {
      this.scratch.takeDecodedTable(kept.view);
      kept.release();
    }
    this.kept = null;
    this.clocks.passed(candidates.group, current.time);
  }

  /** The rules with a set bit (filter ids are in rule order), each once. */
  private deliver(): void {
    const { filterRule, starts } = this.roles;
    const bits = this.bits;
    let last = -1;
    for (let w = 0, end = this.roles.wordsPerRecord; w < end; w++) {
      let word = bits[this.bitsAt + w]!;
      while (word !== 0) {
        const low = word & -word;
        word ^= low;
        const id = (w << 5) + 31 - Math.clz32(low);
        const rule = filterRule[id]!;
        if (rule === last) continue;
        // A step that cannot start a match changes nothing in an engine without state.
        if (starts[id] === 0 && this.engines[rule]!.idle()) continue;
        this.push((last = rule));
      }
    }
  }

  /**
   * The current event's private copy, made on the first call for this event: the transport buffer
   * it is read from is reused after the event. The scratch view becomes the copy (keeping what it
   * decoded) and a fresh scratch takes its place for the next event.
   */
  private keep(): EngineEvent {
    let kept = this.kept;
    if (kept === null) {
      const ev = this.scratch;
      ev.detach(this.eventLength, this.spares.pool);
      this.scratch = this.spares.view();
      // The stage itself holds it until the event has been offered to every engine: an engine
      // that lets it go at once (a replaced partial) must not free it under the next one.
      kept = this.kept = this.spares.keep(ev, this.current.time);
    }
    return kept.keep();
  }

  /** Offers the current event to a rule's engine (read in place; it calls keep to store it). */
  private push(rule: number): void {
    const ev = this.kept ?? this.current;
    const engine = this.engines[rule]!;
    if (engine.followsTime) engine.advanceTime(this.clocks.timeFor(rule));
    this.pushing = rule;
    const profile = this.profile;
    if (profile === null) {
      engine.push(ev);
      return;
    }
    const t0 = performance.now();
    engine.push(ev);
    profile.ms[rule]! += performance.now() - t0;
    profile.pushes[rule]!++;
    if (engine.stats.partialsLive > profile.peakPartials[rule]!) profile.peakPartials[rule] = engine.stats.partialsLive;
  }

  /** Starts timing each rule's engine (replay --profile). */
  enableProfile(): { pushes: Float64Array; ms: Float64Array; peakPartials: Float64Array } {
    const n = this.engines.length;
    this.profile ??= { pushes: new Float64Array(n), ms: new Float64Array(n), peakPartials: new Float64Array(n) };
    return this.profile;
  }

  /** Whether filter `id`'s bit is set for the event being delivered. */
  private bit(id: number): boolean {
    return ((this.bits[this.bitsAt + (id >>> 5)]! >>> (id & 31)) & 1) === 1;
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
    const now = this.current.time;
    for (const rule of this.timedRules) {
      let t = this.clocks.timeFor(rule);
      if (now !== null && now > t && rule < this.pushing && this.clocks.inGroup(rule, this.eventGroup)) t = now;
      this.engines[rule]!.advanceTime(t);
    }
  }

  onWatermark(timeMs: number, emit: (a: AlertOut) => void): void {
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

  /**
   * Publishes, for main's router, which rules hold no state as of the input record numbered
   * `ordinal` (RuleIdleness): main may then stop sending them events that cannot start a match.
   */
  publishIdle(idle: Int32Array, ordinal: number): void {
    const n = Math.min(idle.length, this.engines.length);
    for (let r = 0; r < n; r++) {
      // Atomics: main reads these words while this thread writes them.
      if (this.engines[r]!.idle()) Atomics.store(idle, r, ordinal);
    }
  }

  stateEntries(): number {
    this.catchUp();
    let n = 0;
    for (const e of this.engines) n += e.stats.partialsLive + e.stats.pendingTrailing;
    return n;
  }

  evictions(): number {
    this.catchUp();
    let n = 0;
    for (const e of this.engines) n += e.stats.evictions;
    return n;
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
    // Only the category is read here, in place: a handful of values, compared as bytes.
    return this.candidateCache.get(this.probe, this.categoryId, this.rulesForCategory);
  }

  /** The rules for the category value(s) of the event at `view` (decoded: a cache miss). */
  private readonly rulesForCategory = (view: RecordView): CategoryRules | null => {
    const cats: unknown = this.categoryId >= 0 ? decodeField(view, this.categoryId) : undefined;
    const set = new Set<number>(this.anyCategory);
    for (const c of typeof cats === 'string' ? [cats] : Array.isArray(cats) ? cats : []) {
      if (typeof c === 'string') for (const i of this.byCategory.get(c) ?? []) set.add(i);
    }
    // Engines see an event in rule order, so alerts of one event come out in a fixed order.
    return set.size ? this.categoryRules([...set].sort((a, b) => a - b)) : null;
  };

  private categoryRules(rules: number[]): CategoryRules {
    return { rules, group: this.clocks.group(rules.filter((i) => this.engines[i]!.followsTime)) };
  }

  /** Replaces each step's filter (ids in predicateFilters order) by its bit for the current event. */
  private bitFiltered(q: CompiledQuery, nextId: () => number): CompiledQuery {
    const wrap = (step: CompiledStep): CompiledStep => {
      const id = nextId();
      return { ...step, filter: { category: step.filter.category, test: () => this.bit(id) } };
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
      const step = q.steps[0]!;
      const filter = { category: step.filter.category, test: (ev: EventView) => homePartition((ev as RecordEvent).seq, n) === me && step.filter.test(ev) };
      return { ...q, steps: [{ ...step, filter }] };
    }
    const own = (step: CompiledStep): CompiledStep => {
      // keys() is called by the engine right after test() on the same event; cache one result.
      // By seq, not by view: the view read in place is one object reused for every event.
      let lastSeq = -1;
      let lastKeys: Value[][] = [];
      const ownedKeys = (ev: EventView): Value[][] => {
        const seq = (ev as RecordEvent).seq;
        if (seq === lastSeq) return lastKeys;
        const keys = step.keys(ev);
        const first = keys[0] ?? [];
        const mine = first.length === 0 ? (keyPartition(null, n) === me ? first : null) : first.filter((v) => keyPartition(v, n) === me);
        lastSeq = seq;
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

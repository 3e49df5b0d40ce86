// The production Processor: EQL rules over binary records. One instance per partition (in a
// worker) or one for everything (the single-thread path); both run this same code, which is why
// their output is identical.
//
// Partitioning: sequence and sample state is keyed by the first join key's value; this partition
// only lets an engine see (event, key) pairs whose key it owns (keyPartition), and single-event
// rules only the events whose home partition it is. Main may send an event to more partitions
// than need it; ownership makes that harmless.
import type { Processor, ProcessorInit, AlertOut } from './processor.js';
import type { CompiledQuery, CompiledStep, EventView, Value } from '../shared/engine/compiled.js';
import { createEngine, type Engine } from '../shared/engine/engine.js';
import { buildLayout, type RecordLayout } from '../shared/record/layout.js';
import { schemaFromDescription, type SchemaDescription } from '../shared/record/schema-desc.js';
import { RecordView } from '../shared/record/view.js';
import { decodeField } from '../shared/record/decode.js';
import { RecordEvent } from '../shared/eql/record-access.js';
import { checkSchemaFor, compileRuleset, type RuleSpec } from '../shared/pipeline/ruleset.js';
import { homePartition, keyPartition } from '../shared/pipeline/partition.js';
import { alertJson, orderingSeq } from '../shared/pipeline/alert.js';

export interface EqlProcessorConfig {
  rules: RuleSpec[];
  schema: SchemaDescription;
  /** Live partial cap per rule engine in this partition (oldest evicted first). */
  maxPartialsPerRule?: number;
}

export function createProcessor(init: ProcessorInit): Processor {
  const config = init.config as EqlProcessorConfig;
  const schema = schemaFromDescription(config.schema);
  const layout = buildLayout(schema);
  return new EqlProcessor(config, layout, checkSchemaFor(schema), init.partition, init.partitions);
}

export class EqlProcessor implements Processor {
  private readonly engines: Engine[] = [];
  /** Rules by event category they need; rules needing any category are in `anyCategory`. */
  private readonly byCategory = new Map<string, number[]>();
  private readonly anyCategory: number[] = [];
  private readonly probe: RecordView;
  private readonly categoryId: number;
  private emit: (a: AlertOut) => void = () => {};
  private evicted = 0;

  constructor(
    config: EqlProcessorConfig,
    private readonly layout: RecordLayout,
    checkSchema: ReturnType<typeof checkSchemaFor>,
    private readonly partition: number,
    private readonly partitions: number,
  ) {
    const compiled = compileRuleset(config.rules, layout, checkSchema);
    compiled.forEach((query, index) => {
      const owned = this.ownedQuery(query);
      const rule = config.rules[index];
      this.engines.push(
        createEngine(owned, {
          maxPartials: config.maxPartialsPerRule,
          onResult: (r) => this.emit({ seq: orderingSeq(r), ruleIndex: index, json: alertJson(rule, r) }),
        }),
      );
      const cats = categoriesOf(query);
      if (cats === null) this.anyCategory.push(index);
      else for (const c of cats) (this.byCategory.get(c) ?? this.byCategory.set(c, []).get(c)!).push(index);
    });
    this.probe = new RecordView(layout);
    this.categoryId = layout.fieldId(checkSchema.aliasOf('event.category') ?? 'event.category');
  }

  onEvent(bytes: Uint8Array, offset: number, length: number, seq: number, _mask: number, emit: (a: AlertOut) => void): void {
    this.emit = emit;
    const candidates = this.candidates(bytes, offset);
    if (candidates === null) return;
    // The engine may keep the event in a partial: give it a private copy of the bytes.
    const ev = new RecordEvent(this.layout, bytes.slice(offset, offset + length), seq);
    const time = ev.rv.hasTimestamp ? ev.rv.timestampMs : null;
    const engineEvent = { view: ev, time, seq };
    for (const i of candidates) this.engines[i].push(engineEvent);
  }

  onWatermark(_seq: number, timeMs: number, emit: (a: AlertOut) => void): void {
    this.emit = emit;
    for (const e of this.engines) e.advanceTime(timeMs);
  }

  onEnd(emit: (a: AlertOut) => void): void {
    this.emit = emit;
    for (const e of this.engines) e.end();
  }

  progressFloor(): number {
    let floor = Infinity;
    for (const e of this.engines) {
      const h = e.heldSeq();
      if (h < floor) floor = h;
    }
    return floor;
  }

  stateEntries(): number {
    let n = 0;
    for (const e of this.engines) n += e.stats.partialsLive + e.stats.pendingTrailing;
    return n;
  }

  evictions(): number {
    let n = this.evicted;
    for (const e of this.engines) n += e.stats.evictions;
    return n;
  }

  /** Rules that could match the event, by its category; null when none could. */
  private candidates(bytes: Uint8Array, offset: number): number[] | null {
    if (this.byCategory.size === 0) return this.anyCategory.length ? this.anyCategory : null;
    this.probe.reset(bytes, offset);
    let cats: unknown = undefined;
    if (this.categoryId >= 0) {
      // Only the category is read here, without copying the record.
      cats = decodeField(this.probe, this.categoryId);
    }
    const out: number[] = [];
    if (typeof cats === 'string') pushAll(out, this.byCategory.get(cats));
    else if (Array.isArray(cats)) for (const c of new Set(cats)) if (typeof c === 'string') pushAll(out, this.byCategory.get(c));
    if (this.anyCategory.length) pushAll(out, this.anyCategory);
    if (out.length === 0) return null;
    // Engines must see events in rule order for a deterministic emit order within one event.
    return out.length > 1 ? out.sort((a, b) => a - b) : out;
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

function pushAll(out: number[], xs: number[] | undefined): void {
  if (xs) for (const x of xs) if (!out.includes(x)) out.push(x);
}

/** The categories a query's steps need, or null if some step takes any category. */
function categoriesOf(q: CompiledQuery): Set<string> | null {
  const out = new Set<string>();
  for (const s of [...q.steps, ...(q.until ? [q.until] : [])]) {
    if (s.filter.category === null) return null;
    out.add(s.filter.category);
  }
  return out;
}

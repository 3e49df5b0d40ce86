// `kestrel query --engine wasm`: the step and until filters of one query evaluated by the Wasm
// predicate module (eql/codegen), a batch of JSON events at a time. Each batch is encoded into
// binary records of a layout built from the query's schema, the module evaluates every filter
// over the whole batch in one call, and the query's filters become bit lookups. Join keys, time,
// pipes and output stay on the JSON events: only the predicates move.
//
// Only what the filters read is encoded: the layout holds the schema fields on the way to or
// below a path some filter reads (eql/field-refs.ts, record/projection.ts), and the encoder
// skips every JSON key no such path reaches. A skipped key cannot change any filter's answer,
// and it neither costs encoding time nor lands in the extra JSON (which would send the whole
// record to host_record).
//
// An event whose category no filter asks for is not encoded at all: its filters run on the
// interpreter over its JSON, which stops at the category test (counted as categoryMisses).
//
// Faithfulness: the encoder keeps every value it does not skip losslessly (record/encode.ts: fields outside the
// layout go to the record's extra JSON, a value that does not fit its field's storage is tagged
// text/JSON/bigint digits), and the module hands whatever it cannot evaluate natively back to the
// interpreter over the same record (a whole record with extra JSON via host_record, one node via
// host_eval). An event the encoder rejects outright (a record beyond MAX_RECORD_BYTES) is left out
// of the batch and its filters run on the interpreter over its JSON, counted as a JSON fallback.
import type { CompiledFilter, CompiledQuery, EventView } from '../engine/compiled.js';
import type { EngineEvent } from '../engine/event.js';
import { InternalError, LimitError } from '../errors.js';
import { WasmPredicateSet, type PredicateCounters } from '../eql/codegen/evaluator.js';
import type { CheckedFilter, CheckedQuery } from '../eql/ir.js';
import { RecordBuilder } from '../record/builder.js';
import { encodeEvent, type JsonObject } from '../record/encode.js';
import { align8 } from '../record/frame.js';
import { categoryTest } from '../eql/compile.js';
import { jsonFieldAccessor } from '../eql/field-access.js';
import { fieldsRead } from '../eql/field-refs.js';
import { buildLayout } from '../record/layout.js';
import { projectFields, projectPaths, type ProjectionNode } from '../record/projection.js';
import { createSchema } from '../schema/schema.js';
import type { Schema } from '../schema/types.js';

export interface QueryPredicateCounters extends PredicateCounters {
  /** Events the encoder rejected: their filters ran on the interpreter over the JSON event. */
  jsonFallbacks: number;
  /** Bytes of the records encoded for the module: what encoding costs, in a figure. */
  recordBytes: number;
  /** Events no filter's category matches: not encoded, their filters (all false) ran on the interpreter. */
  categoryMisses: number;
}

/** Events per module call: large enough to amortise the call, small enough to keep latency. */
export const DEFAULT_QUERY_BATCH = 1024;

export class WasmQueryFilters {
  /**
   * Builds the module for `checked`'s filters over a layout of the part of `schema` they read and
   * rewires `compiled`'s step and until filters (compiled from `checked` over JSON) to read its bits.
   */
  static async attach(checked: CheckedQuery, compiled: CompiledQuery, schema: Schema): Promise<WasmQueryFilters> {
    const checkedSteps = [...checked.steps, ...(checked.until ? [checked.until] : [])];
    const compiledSteps = [...compiled.steps, ...(compiled.until ? [compiled.until] : [])];
    const filters: CheckedFilter[] = checkedSteps.map((s) => s.filter);
    const reads = projectPaths(fieldsRead(filters).map((f) => f.segments));
    // Aliases are resolved in the checked filters (a field node holds its target's path), so the
    // narrowed schema needs none.
    const readSchema = createSchema(`${schema.name}, fields the query reads`, projectFields(schema.fields(), reads), { strict: schema.strict });
    const layout = buildLayout(readSchema);
    const set = await WasmPredicateSet.create({ filters }, layout);
    const self = new WasmQueryFilters(set, new RecordBuilder(layout), reads, categoryGate(filters), compiledSteps.map((s) => s.filter));
    compiledSteps.forEach((step, id) => {
      step.filter = self.bitFilter(step.filter.category, id);
    });
    return self;
  }

  private jsonFallbacks = 0;
  private recordBytes = 0;
  private categoryMisses = 0;
  /** The events of the current batch, and which one the engine is being pushed. */
  private views: EventView[] = [];
  private cursor = -1;
  /** Per event of the batch: its record's index in the module call, or -1 (no record: interpreter). */
  private recordIndex = new Int32Array(0);
  private batchBytes = new Uint8Array(64 * 1024);
  private batchOffsets = new Uint32Array(0);

  private constructor(
    private readonly set: WasmPredicateSet,
    private readonly builder: RecordBuilder,
    /** The paths the filters read: the encoder skips every other key. */
    private readonly reads: ProjectionNode,
    /** False for an event no filter can match by its category; undefined when some filter has none. */
    private readonly inSomeCategory: ((ev: EventView) => boolean) | undefined,
    /** The interpreter's filters over JSON, by predicate id: for events without a record. */
    private readonly jsonFilters: readonly CompiledFilter[],
  ) {}

  get counters(): QueryPredicateCounters {
    return { ...this.set.counters, jsonFallbacks: this.jsonFallbacks, recordBytes: this.recordBytes, categoryMisses: this.categoryMisses };
  }

  /** Encodes the events and evaluates every filter over them in one module call. */
  evaluate(events: readonly EngineEvent[]): void {
    const n = events.length;
    if (this.recordIndex.length < n) {
      this.recordIndex = new Int32Array(n);
      this.batchOffsets = new Uint32Array(n);
    }
    this.views.length = n;
    let count = 0;
    let at = 0;
    for (let i = 0; i < n; i++) {
      const ev = events[i]!;
      this.views[i] = ev.view;
      if (this.inSomeCategory !== undefined && !this.inSomeCategory(ev.view)) {
        this.recordIndex[i] = -1;
        this.categoryMisses++;
        continue;
      }
      const record = this.encode(ev);
      if (record === undefined) {
        this.recordIndex[i] = -1;
        this.jsonFallbacks++;
        continue;
      }
      this.recordBytes += record.length;
      this.reserve(at + record.length);
      this.batchBytes.set(record, at);
      this.batchOffsets[count] = at;
      this.recordIndex[i] = count++;
      at = align8(at + record.length);
    }
    this.cursor = -1;
    if (count > 0) this.set.evaluateBatch(this.batchBytes, this.batchOffsets, count);
  }

  /** The filters answer for event i of the last evaluated batch until the next call. */
  select(i: number): void {
    this.cursor = i;
  }

  /** A record of the event, valid until the next encode; undefined when it cannot be one. */
  private encode(ev: EngineEvent): Uint8Array | undefined {
    try {
      return encodeEvent(this.builder.layout, ev.view as JsonObject, ev.seq, this.builder, this.reads);
    } catch (e) {
      // Only the encoder's own refusals (a record too large) fall back; anything else is a bug.
      if (e instanceof LimitError) return undefined;
      throw e;
    }
  }

  private reserve(bytes: number): void {
    if (bytes <= this.batchBytes.length) return;
    const grown = new Uint8Array(Math.max(bytes, 2 * this.batchBytes.length));
    grown.set(this.batchBytes);
    this.batchBytes = grown;
  }

  private bitFilter(category: string | null, id: number): CompiledFilter {
    return {
      category,
      test: (view) => {
        const i = this.cursor;
        // The engine runs filters only while an event is pushed (engine/engine.ts); this catches
        // any future caller that tests another event, which would read the wrong bit.
        if (i < 0 || view !== this.views[i]) throw new InternalError('query.wasm-batch', 'a filter ran on an event other than the one being pushed');
        const r = this.recordIndex[i]!;
        return r >= 0 ? this.set.matches(r, id) : this.jsonFilters[id]!.test(view);
      },
    };
  }
}

/**
 * Whether some filter's category matches the event (the test the interpreter's filters start
 * with, over the JSON event); undefined when a filter has no category (`any where`).
 */
function categoryGate(filters: readonly CheckedFilter[]): ((ev: EventView) => boolean) | undefined {
  const tests = new Map<string, (ev: EventView) => boolean>();
  for (const f of filters) {
    if (f.category === null) return undefined;
    if (!tests.has(f.category)) tests.set(f.category, categoryTest(f.categoryField, f.category, jsonFieldAccessor));
  }
  const all = [...tests.values()];
  return (ev) => {
    for (const inCategory of all) if (inCategory(ev)) return true;
    return false;
  };
}

// Field access over binary records: the FieldAccessorFactory the compiler uses when events are
// records (replay, live, workers) instead of JSON objects. A field the layout knows is read from
// its slot; anything else (fields outside the schema, kept in the record's extra-JSON blob, or an
// object-valued path) falls back to decoding, which is slow but never wrong.
import type { RecordLayout } from '../record/layout.js';
import { RecordFlag } from '../record/frame.js';
import { RecordView } from '../record/view.js';
import { decodeField, decodeRecord, parseJsonText, type DecodedEvent } from '../record/decode.js';
import type { RecordPool } from '../record/record-pool.js';
import { applyNullValue, getField, type FieldAccessorFactory } from './field-access.js';
import type { Value } from './values.js';

/**
 * What the engine holds for a record event: a view over the record (a private copy when the
 * engine may keep it: the transport buffer is reused), the event's seq (single-event rules are
 * placed by seq) and its position in the batch whose predicate bitsets the Wasm filters read
 * (codegen/evaluator.ts). Both back ends share this one class: the interpreter accessors read
 * `rv` (and this cache), the Wasm filters read `index`.
 */
export class RecordEvent {
  readonly rv: RecordView;

  private extra: unknown = null;
  /** decodeRecord() of this event, once asked for (see decodedRecord). */
  private whole: DecodedEvent | null = null;
  /**
   * Decoded field values of this event, in a small open-addressing table by field id whose slots
   * count only when stamped with the current event's generation. Hundreds of rules read the same
   * few fields (host.os.type, event.type, process.name …) of one event; decoding each once is the
   * single biggest saving of the interpreter over records. Starting the next event is one
   * increment (Map.clear allocated a new table for every event).
   */
  private decoded: DecodedFields | null = null;
  private generation = 1;
  constructor(
    layout: RecordLayout,
    bytes: Uint8Array,
    public seq: number,
    offset = 0,
    /** Position in the last evaluated predicate batch; -1 when the event is not in one. */
    public index = -1,
  ) {
    this.rv = bytes.length > 0 ? new RecordView(layout, bytes, offset) : new RecordView(layout);
  }

  /** Re-points a reusable instance at another record (routing reads records in place). */
  reset(bytes: Uint8Array, offset: number, seq: number, index = -1): this {
    this.rv.reset(bytes, offset);
    this.seq = seq;
    this.index = index;
    this.extra = null;
    this.whole = null;
    // Wraps after 2^32 events on one view: the table is cleared then (stamps restart at 1).
    if (++this.generation === 0x1_0000_0000) {
      this.generation = 1;
      this.decoded?.stamps.fill(0);
    }
    return this;
  }

  /**
   * Moves the view onto a private copy of the record's `length` bytes (a buffer from `pool`),
   * keeping what was already decoded: for an event read in place (a reused transport buffer) that
   * an engine may keep.
   */
  detach(length: number, pool: RecordPool): void {
    const rv = this.rv;
    const copy = pool.copy(rv.bytes, rv.base, length);
    rv.adopt(copy, pool.lastView, 0);
    // A kept event is rarely read again: its decoded whole would only hold memory.
    this.whole = null;
  }

  /**
   * Moves `from`'s decoded-field table to this event if it has none (its entries are dropped):
   * an event kept by an engine rarely has a field read again, while the next event read in place
   * reads several. Without this every kept event took its table, and the strings in it, into the
   * old generation, and every new in-place event allocated another.
   */
  takeDecodedTable(from: RecordEvent): void {
    const table = from.decoded;
    if (table === null || this.decoded !== null) return;
    from.decoded = null;
    table.stamps.fill(0);
    table.values.fill(undefined);
    table.used = 0;
    table.usedGeneration = 0;
    this.decoded = table;
  }

  field(id: number): Value | undefined {
    // Allocated on first use (most events routed in place never decode a field).
    const table = (this.decoded ??= newDecodedFields(16));
    const gen = this.generation;
    const { stamps, ids } = table;
    const mask = stamps.length - 1;
    let slot = id & mask;
    for (; stamps[slot] === gen; slot = (slot + 1) & mask) if (ids[slot] === id) return table.values[slot];
    const v = decodeField(this.rv, id) as Value | undefined;
    stamps[slot] = gen;
    ids[slot] = id;
    table.values[slot] = v;
    // Entries are counted per event; the table is kept at most half full, so a miss soon ends at
    // an unstamped slot.
    if (table.usedGeneration !== gen) {
      table.usedGeneration = gen;
      table.used = 0;
    }
    if (++table.used * 2 > stamps.length) this.grow(table, gen);
    return v;
  }

  /** Doubles the table, keeping the current event's entries. */
  private grow(table: DecodedFields, gen: number): void {
    const bigger = newDecodedFields(table.stamps.length * 2);
    const mask = bigger.stamps.length - 1;
    for (let i = 0; i < table.stamps.length; i++) {
      if (table.stamps[i] !== gen) continue;
      let slot = table.ids[i]! & mask;
      while (bigger.stamps[slot] === gen) slot = (slot + 1) & mask;
      bigger.stamps[slot] = gen;
      bigger.ids[slot] = table.ids[i]!;
      bigger.values[slot] = table.values[i];
    }
    bigger.used = table.used;
    bigger.usedGeneration = gen;
    this.decoded = bigger;
  }

  /**
   * The whole record decoded (decodeRecord), once per event: the fallback of every field read that
   * the record's slots cannot answer alone. The discriminator index reads a record with extra JSON
   * field by field, and decoding it again for each of ~60 fields was 4.2 s of a 12 s replay of a
   * host recording in which 1% of the records have some.
   */
  decodedRecord(): DecodedEvent {
    return (this.whole ??= decodeRecord(this.rv));
  }

  /** The extra-JSON fields, parsed once on first use. */
  extraFields(): unknown {
    if (this.extra === null) {
      const text = this.rv.extraJson();
      this.extra = text === undefined ? undefined : parseJsonText(text);
    }
    return this.extra;
  }
}

/** RecordEvent's decoded-field table (a power-of-two number of slots). */
interface DecodedFields {
  /** The generation of the event each slot was filled for; other slots are free. */
  stamps: Uint32Array;
  ids: Int32Array;
  values: (Value | undefined)[];
  /** Entries filled for the event of generation `usedGeneration`. */
  used: number;
  usedGeneration: number;
}

function newDecodedFields(slots: number): DecodedFields {
  return { stamps: new Uint32Array(slots), ids: new Int32Array(slots), values: new Array<Value | undefined>(slots).fill(undefined), used: 0, usedGeneration: 0 };
}

export function recordFieldAccessor(layout: RecordLayout): FieldAccessorFactory {
  return (field) => {
    const id = slotFieldId(layout, field.path);
    const nullValue = field.def?.nullValue as Value | undefined;
    const segments = field.segments;
    let read: (ev: RecordEvent) => Value | undefined;
    if (id >= 0) {
      // A value the slot could not hold (an array with objects in it) is in the extra JSON; a
      // record has that only when its flag says so, so a plain missing field costs one flag read.
      read = (ev) => {
        const v = ev.field(id);
        if (v !== undefined || (ev.rv.flags & RecordFlag.hasExtra) === 0) return v;
        return getField(ev.decodedRecord(), segments);
      };
    } else if (hasChildFields(layout, field.path)) {
      // An object assembled from child fields (or one kept in the extra-JSON blob).
      read = (ev) => getField(ev.extraFields(), segments) ?? getField(ev.decodedRecord(), segments);
    } else {
      // Neither a slot nor a parent of one: the extra-JSON blob, or inside a layout field holding
      // an object. Decoding the whole record here cost a full decode per event for every field a
      // capture's older layout lacks (half of a replay's time, measured).
      const outer = enclosingFieldId(layout, segments);
      const inner = segments.slice(outer.depth);
      read = outer.id < 0
        ? (ev) => getField(ev.extraFields(), segments)
        : (ev) => getField(ev.extraFields(), segments) ?? getField(ev.field(outer.id), inner);
    }
    if (nullValue === undefined) return read as (ev: unknown) => Value | undefined;
    return (ev) => applyNullValue(read(ev as RecordEvent), nullValue);
  };
}

/**
 * The layout field id whose slot holds the value at `path`, or -1 when the value comes from
 * elsewhere (the extra-JSON blob, or an object assembled from child fields).
 */
export function slotFieldId(layout: RecordLayout, path: string): number {
  const id = layout.fieldId(path);
  return id >= 0 && !hasChildFields(layout, path) ? id : -1;
}

/** The layout field that is a proper prefix of `segments` (its value holds the rest), if any. */
function enclosingFieldId(layout: RecordLayout, segments: readonly string[]): { id: number; depth: number } {
  for (let depth = segments.length - 1; depth > 0; depth--) {
    const id = layout.fieldId(segments.slice(0, depth).join('.'));
    if (id >= 0) return { id, depth };
  }
  return { id: -1, depth: 0 };
}

const childCache = new WeakMap<RecordLayout, Set<string>>();
/** True when some layout field lives under `path.` (the path names an object, not a leaf). */
function hasChildFields(layout: RecordLayout, path: string): boolean {
  let parents = childCache.get(layout);
  if (!parents) {
    parents = new Set();
    for (const f of layout.fields) {
      const parts = f.path.split('.');
      for (let i = 1; i < parts.length; i++) parents.add(parts.slice(0, i).join('.'));
    }
    childCache.set(layout, parents);
  }
  return parents.has(path);
}

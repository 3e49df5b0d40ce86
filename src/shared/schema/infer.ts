// Infers a non-strict schema from sample events (schema-less NDJSON, ES test data). Like
// Elasticsearch's dynamic mapping, it looks at JSON value types only: a string is a keyword even if
// it looks like an IP or a date. Combine the result under the ECS schema or an index mapping
// (combineSchemas) to get those types.
import { logger } from '../log.js';
import { createSchema, isValidPath, type BuiltSchema } from './schema.js';
import type { FieldDef, FieldType } from './types.js';

export interface InferOptions {
  /** Events read before inference stops; the rest of the iterable is never touched. Default 10,000. */
  maxEvents?: number;
  /**
   * Object nesting below which an object is kept as one `flattened` field instead of being walked.
   * Default 20, Elasticsearch's `index.mapping.depth.limit`; also bounds recursion on hostile input.
   */
  maxDepth?: number;
  /** Distinct field paths kept; later new paths are ignored with a warning. Default 10,000. */
  maxFields?: number;
}

export const INFER_DEFAULTS = { maxEvents: 10_000, maxDepth: 20, maxFields: 10_000 } as const;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
// 2^63 as a double: integral numbers at or beyond it cannot be a long.
const TWO_POW_63 = 2 ** 63;

/** What the walk has learnt about one path so far. */
interface Evidence {
  type: FieldType | undefined;
  multi: boolean;
  /** A negative number was seen here (decides long + unsigned_long). */
  negative: boolean;
  /** Number of sampled events in which the path held a value. */
  events: number;
  /** Index of the last event counted in `events`, so repeats inside one event count once. */
  lastEvent: number;
}

/** ES-like type of a JSON scalar; undefined for null/undefined (no evidence either way). */
function scalarType(value: unknown): FieldType | undefined {
  switch (typeof value) {
    case 'string':
      return 'keyword';
    case 'boolean':
      return 'boolean';
    case 'number':
      return Number.isInteger(value) && Math.abs(value) < TWO_POW_63 ? 'long' : 'double';
    case 'bigint':
      if (value >= INT64_MIN && value <= INT64_MAX) return 'long';
      return value > 0n && value <= UINT64_MAX ? 'unsigned_long' : 'double';
    default:
      return undefined;
  }
}

const NUMERIC = new Set<FieldType>(['long', 'unsigned_long', 'double']);

/**
 * The type that holds values of both types. long and unsigned_long meet in unsigned_long while no
 * negative value was seen, else in double (no 64-bit integer type holds both ranges); other numbers
 * widen to double; any other disagreement falls back to keyword, which every JSON scalar can be
 * compared as.
 */
function widen(a: FieldType | undefined, b: FieldType, sawNegative: boolean): FieldType {
  if (a === undefined || a === b) return b;
  if ((a === 'long' && b === 'unsigned_long') || (a === 'unsigned_long' && b === 'long')) {
    return sawNegative ? 'double' : 'unsigned_long';
  }
  if (NUMERIC.has(a) && NUMERIC.has(b)) return 'double';
  return 'keyword';
}

/** Prefixes, and keys per prefix, whose joined paths are remembered; hostile input cannot grow it further. */
const MAX_CHILDREN_MEMO = 4096;

class Inferrer {
  readonly #seen = new Map<string, Evidence>();
  readonly #children = new Map<string, Map<string, string | null>>();
  readonly #maxDepth: number;
  readonly #maxFields: number;
  #event = 0;
  #droppedValues = 0;

  constructor(maxDepth: number, maxFields: number) {
    this.#maxDepth = maxDepth;
    this.#maxFields = maxFields;
  }

  addEvent(event: Record<string, unknown>, index: number): void {
    this.#event = index;
    // Input comes from parsed files; a stray top-level array or scalar has no field names to learn.
    if (event !== null && typeof event === 'object' && !Array.isArray(event)) this.#walkObject(event, '', 0, false);
  }

  #walkObject(obj: object, prefix: string, depth: number, multi: boolean): void {
    const children = this.#childrenOf(prefix);
    for (const key in obj) {
      if (!Object.hasOwn(obj, key)) continue;
      let path = children.get(key);
      if (path === undefined) {
        // A dotted key ("process.pid") and the nested form ({process:{pid}}) name the same field,
        // exactly as in Elasticsearch, so both simply extend the prefix.
        const joined = prefix === '' ? key : `${prefix}.${key}`;
        path = isValidPath(joined) ? joined : null; // "", "a.", "a..b": not addressable by any query
        if (children.size < MAX_CHILDREN_MEMO) children.set(key, path);
      }
      if (path !== null) this.#visit(path, (obj as Record<string, unknown>)[key], depth, multi);
    }
  }

  /**
   * The paths of a prefix's keys seen so far: events repeat their field names, and joining and
   * checking each path anew was most of inference (~0.1 s per 10,000 ECS events).
   */
  #childrenOf(prefix: string): Map<string, string | null> {
    let children = this.#children.get(prefix);
    if (children === undefined) {
      children = new Map();
      if (this.#children.size < MAX_CHILDREN_MEMO) this.#children.set(prefix, children);
    }
    return children;
  }

  #visit(path: string, value: unknown, depth: number, multi: boolean): void {
    if (value === null || value === undefined) return;
    if (Array.isArray(value)) {
      // Arrays of arrays flatten and arrays of objects spread their keys, as ES does; every field
      // reached through an array is multi-valued.
      if (depth >= this.#maxDepth) return this.#record(path, 'flattened', true);
      if (value.length === 0) return this.#markMulti(path);
      for (const element of value) this.#visit(path, element, depth + 1, true);
      return;
    }
    if (typeof value === 'object') {
      if (depth >= this.#maxDepth) return this.#record(path, 'flattened', multi);
      return this.#walkObject(value, path, depth + 1, multi);
    }
    const type = scalarType(value);
    if (type !== undefined) this.#record(path, type, multi, (typeof value === 'number' || typeof value === 'bigint') && value < 0);
  }

  #evidence(path: string): Evidence | undefined {
    let ev = this.#seen.get(path);
    if (ev === undefined) {
      if (this.#seen.size >= this.#maxFields) {
        this.#droppedValues++;
        return undefined;
      }
      ev = { type: undefined, multi: false, negative: false, events: 0, lastEvent: -1 };
      this.#seen.set(path, ev);
    }
    return ev;
  }

  #record(path: string, type: FieldType, multi: boolean, negative = false): void {
    const ev = this.#evidence(path);
    if (ev === undefined) return;
    ev.negative ||= negative;
    ev.type = widen(ev.type, type, ev.negative);
    ev.multi ||= multi;
    if (ev.lastEvent !== this.#event) {
      ev.lastEvent = this.#event;
      ev.events++;
    }
  }

  #markMulti(path: string): void {
    const ev = this.#evidence(path);
    if (ev !== undefined) ev.multi = true;
  }

  fields(sampled: number): FieldDef[] {
    const out: FieldDef[] = [];
    for (const [path, ev] of this.#seen) {
      // Paths seen only as null or [] carry no type; leave them unknown rather than guess.
      if (ev.type === undefined) continue;
      const def: FieldDef = { path, type: ev.type, description: `Inferred from ${ev.events} of ${sampled} sampled events.` };
      if (ev.multi) def.multi = true;
      out.push(def);
    }
    return out;
  }

  get droppedValues(): number {
    return this.#droppedValues;
  }
}

/**
 * A non-strict schema describing the first `maxEvents` events. Fields are listed in order of first
 * appearance. Conflicting types widen (long + double → double, long + unsigned_long →
 * unsigned_long unless negative, anything else → keyword).
 */
export function inferSchema(events: Iterable<Record<string, unknown>>, name: string, opts: InferOptions = {}): BuiltSchema {
  const inference = new SchemaInference(opts);
  for (const event of events) if (!inference.add(event)) break;
  return inference.build(name);
}

/**
 * inferSchema fed one event at a time, so a reader need not keep the events it samples (`kestrel
 * query` re-reads its files instead of holding 10,000 parsed events).
 */
export class SchemaInference {
  readonly #inferrer: Inferrer;
  readonly #maxEvents: number;
  readonly #maxFields: number;
  #sampled = 0;

  constructor(opts: InferOptions = {}) {
    this.#maxEvents = opts.maxEvents ?? INFER_DEFAULTS.maxEvents;
    this.#maxFields = opts.maxFields ?? INFER_DEFAULTS.maxFields;
    this.#inferrer = new Inferrer(opts.maxDepth ?? INFER_DEFAULTS.maxDepth, this.#maxFields);
  }

  /** Learns from one more event; false once maxEvents were sampled (this one is then ignored). */
  add(event: Record<string, unknown>): boolean {
    if (this.#sampled >= this.#maxEvents) return false;
    this.#inferrer.addEvent(event, this.#sampled++);
    return this.#sampled < this.#maxEvents;
  }

  build(name: string): BuiltSchema {
    return inferredSchema(this.result(), name);
  }

  /** What was learnt, as plain data (a cache can keep it: `kestrel query` over the same head). */
  result(): InferredFields {
    return { fields: this.#inferrer.fields(this.#sampled), sampled: this.#sampled, dropped: this.#inferrer.droppedValues, maxFields: this.#maxFields };
  }
}

/** The outcome of an inference: the fields, how many events were sampled, and what the field limit dropped. */
export interface InferredFields {
  fields: FieldDef[];
  sampled: number;
  dropped: number;
  maxFields: number;
}

/** The non-strict schema of an inference's fields (warning, as inference does, when the field limit dropped some). */
export function inferredSchema(r: InferredFields, name: string): BuiltSchema {
  if (r.dropped > 0) logger().warn({ schema: name, maxFields: r.maxFields, dropped: r.dropped }, 'schema inference hit the field limit; further fields are unknown');
  return createSchema(name, r.fields, { strict: false });
}

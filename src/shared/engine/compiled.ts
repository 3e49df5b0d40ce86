// The contract between the EQL compiler (checker → closures / Wasm) and the streaming engine.
// The engine never looks at the AST: it sees event filters as predicates and join keys as value
// extractors. The same engine runs over JSON events (query), records (replay) and live events.

/**
 * A runtime value, as the expression evaluator sees it. Integers are `number` when they are safe
 * integers and `bigint` otherwise (64-bit exact); strings are JS strings; arrays are multi-valued
 * fields. `null` is both "missing" and "explicit null" (the evaluator knows the difference where
 * EQL cares, via `?field`).
 */
export type Value = null | boolean | number | bigint | string | Value[] | { [k: string]: Value };

/**
 * What the engine is given per event. For JSON input it is the normalised event object (dotted
 * keys expanded to nested objects); for records it is a record view. Compiled closures know which.
 */
export type EventView = unknown;

export interface CompiledFilter {
  /** Event category the filter requires, or null for `any`. Used by the router/prefilter. */
  category: string | null;
  /** True when the event passes the category test and the where-clause. */
  test(ev: EventView): boolean;
}

export interface CompiledStep {
  filter: CompiledFilter;
  /**
   * The join key values of an event for this step: shared `sequence by` keys first, then the
   * step's own `by` keys. One inner array per key. A multi-valued key field gives several values
   * (the engine expands the cross product). An empty inner array means the key is null/missing.
   */
  keys(ev: EventView): Value[][];
  /**
   * The id (JoinKey.id) of the event's only join key, built without the arrays of keys(): null
   * when the event cannot join (a position that may not be null is), undefined when some position
   * has several values (use keys() then). Optional: engines fall back to keys() without it.
   */
  keyId?(ev: EventView): string | null | undefined;
  /** For each key position: whether a null key is allowed (optional `?field` keys). */
  keyNullable: boolean[];
  /** `with runs=N` (1 when absent). */
  runs: number;
  /** `![…]` missing-event step. */
  missing: boolean;
  /**
   * Conditions on earlier steps' events (Elastic Endpoint's `event0.field`), checked when an event
   * that passed `filter` would extend a partial: `earlier` is that partial's events so far.
   */
  cross?: (ev: EventView, earlier: readonly { view: EventView }[]) => boolean;
}

export interface CompiledPipe {
  name: 'head' | 'tail';
  count: number;
}

export interface CompiledQuery {
  kind: 'event' | 'sequence' | 'sample';
  /** Event queries have exactly one step (with no keys). */
  steps: CompiledStep[];
  until?: CompiledStep;
  /** `with maxspan=…` in milliseconds (sequences only). */
  maxspanMs?: number;
  pipes: CompiledPipe[];
  /** Number of join-key positions (shared + per-step); equal across steps after checking. */
  keyCount: number;
}

// The contract between a partition worker's loop (transport) and the detection logic it runs.
// The loop owns rings, batching, sleeping and progress; a processor owns all per-key state of its
// partition and turns events into alerts. Production uses the EQL engine processor; tests plug in
// small fixtures to exercise the transport alone.

export interface AlertOut {
  /**
   * Ordering seq: the seq of the event that completed the alert (for window-closing completions,
   * the seq of the match's last real event). Never depends on partitioning or timing.
   */
  seq: number;
  /** Index of the rule in the ruleset (merge order among alerts completed by the same event). */
  ruleIndex: number;
  /** Complete alert JSON line (no trailing newline); its content must depend only on input and rules. */
  json: string;
}

export interface ProcessorInit {
  partition: number;
  partitions: number;
  config: unknown;
  /**
   * When set, `config` is a preview and this resolves to the complete config (parts main was
   * still building when the worker started, RuntimeOptions.completeConfig): a processor may do the
   * work the preview allows meanwhile, and must take the rest from the complete one.
   */
  complete?: Promise<unknown>;
}

export interface Processor {
  /**
   * Optional: the records the next `count` onEvent calls will deliver, in that order (record i at
   * `bytes[offsets[i]…]`, valid until the last of those calls returns). A processor may evaluate
   * work for the whole batch at once here (the Wasm predicate module: one call per batch).
   * Callers that never call it still get correct results, one event at a time.
   */
  beginBatch?(bytes: Uint8Array, offsets: ArrayLike<number>, count: number): void;
  /**
   * One event record routed to this partition. `bytes[offset, offset+length)` is the record and is
   * only valid during the call (the buffer is reused): copy what must outlive it.
   * `groupMask` says which key groups the event was routed here for.
   */
  onEvent(bytes: Uint8Array, offset: number, length: number, seq: number, groupMask: number, emit: (a: AlertOut) => void): void;
  /**
   * Optional: a record with the bits of its true step predicates, computed upstream (a `matched`
   * frame): `bits[bitsAt…]`, valid during the call like the record.
   */
  onMatched?(bytes: Uint8Array, offset: number, length: number, seq: number, bits: Uint32Array, bitsAt: number, emit: (a: AlertOut) => void): void;
  /**
   * Optional: the step-predicate bits of `count` records at `offsets` in `bytes`, with no effect on
   * state (a predicate job: main spreads the stateless stage over the workers). Returns the bitset
   * words record by record, valid until the next call.
   */
  evaluatePredicates?(bytes: Uint8Array, offsets: ArrayLike<number>, count: number): Uint32Array;
  /** Words per record of evaluatePredicates' result. */
  readonly predicateWords?: number;
  /** Optional, after each batch: `ordinal` is the input ordinal of the last matched record read. */
  publishIdle?(ordinal: number): void;
  /**
   * Every event with sequence number ≤ seq has been routed, and global event time has reached
   * `timeMs` (time of event seq). Event-time expiry and window closing run here, so a partition
   * that gets no events of its own still advances.
   */
  onWatermark(seq: number, timeMs: number, emit: (a: AlertOut) => void): void;
  /** End of stream: flush windows that were waiting for more events (e.g. trailing missing events). */
  onEnd(emit: (a: AlertOut) => void): void;
  /**
   * The smallest ordering seq an alert from this partition may still carry (Infinity when none is
   * pending). Alerts that complete when a window closes (trailing missing events) are ordered by
   * the seq of their last real event, which may be older than the events processed since; the loop
   * holds its published progress below this floor so the merge never releases past them.
   */
  progressFloor(): number;
  /** Live state entries (for the counters). */
  stateEntries(): number;
  evictions(): number;
  /** Evictions by memory cap (docs/runtime.md, "Memory caps"); processors without caps omit it. */
  evictionsByKind?(): EvictionCounts;
  /** Live sequence partials (a subset of stateEntries); processors without partials omit it. */
  partialsLive?(): number;
}

export interface EvictionCounts {
  perKey: number;
  perRule: number;
  total: number;
}

export type CreateProcessor = (init: ProcessorInit) => Processor | Promise<Processor>;

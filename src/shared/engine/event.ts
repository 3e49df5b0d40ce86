// What flows into and out of the streaming engine. The engine never reads event contents itself:
// compiled filters and key extractors do; it only needs each event's time and arrival number.
import type { EventView, Value } from './compiled.js';

export interface EngineEvent {
  /** The event as the compiled closures read it (a normalised JSON object for `kestrel query`). */
  view: EventView;
  /**
   * Event time in epoch milliseconds (fractions allowed), or null when the event has none.
   * Sequences skip timeless events (they cannot be placed in a time window); event and sample
   * queries do not need a time.
   */
  time: number | null;
  /** Arrival number: the event's position in event order (0, 1, 2 …). */
  seq: number;
  /**
   * Set on an event read in place from a buffer that is reused once push returns (state-stage.ts):
   * returns an equivalent event that stays valid, copying the record once however often it is
   * called (each call counts one holder, see release). An engine calls it (through `stable`)
   * before it stores the event anywhere; an event without it is already stable. Most events are
   * offered and dropped, so most are never copied.
   */
  keep?(): EngineEvent;
  /**
   * Set on a kept event whose record lives in a recycled buffer (state-stage.ts): each stable()
   * of it counts one holder, and a holder that stops holding it calls this. Once no holder is
   * left the buffer is reused, so the event must not be read after its last release. Holders that
   * never call it (samples, tail pipes) simply keep it for good.
   */
  release?(): void;
}

/**
 * The event as it may be stored past the current push (EngineEvent.keep). The caller becomes one
 * of its holders, and calls letGo when it drops the event.
 */
export function stable(ev: EngineEvent): EngineEvent {
  return ev.keep === undefined ? ev : ev.keep();
}

/** A holder of an event from stable() no longer holds it. */
export function letGo(ev: EngineEvent): void {
  ev.release?.();
}

export interface EngineResult {
  /** One entry per (expanded) step; null in the slot of a missing event `![…]`. */
  events: (EngineEvent | null)[];
  /** The join key values shared by the result's events (empty for event queries). */
  joinKeys: Value[];
}

/** Counters for memory accounting and later caps; all monotonic except the *Live ones. */
export interface EngineStats {
  eventsSeen: number;
  /** Sequence partials currently waiting for their next step. */
  partialsLive: number;
  partialsCreated: number;
  /** Partials freed because they could no longer complete within maxspan. */
  partialsExpired: number;
  /** Partials overwritten by a newer partial waiting at the same step (ES semantics). */
  partialsReplaced: number;
  /** Partials dropped by an `until` event of their key. */
  partialsUntil: number;
  /** Partials dropped by any memory cap (the sum of the three kinds below). */
  evictions: number;
  /** Evicted because one join key had too many partials (that key's oldest first). */
  evictionsPerKey: number;
  /** Evicted because the rule's engine had too many partials (its oldest first). */
  evictionsPerRule: number;
  /** Evicted because the engines sharing a budget had too many partials (oldest across them). */
  evictionsTotal: number;
  /** Sequences rejected because the next event came later than maxspan after the first one. */
  rejectedMaxspan: number;
  /** Sequences rejected because a missing event `![…]` was present. */
  rejectedMissing: number;
  /** Completed sequences waiting to learn whether a trailing missing event shows up. */
  pendingTrailing: number;
  /** Live mode: windows still open at the end, which got no verdict (engine.ts EngineOptions.live). */
  unfinishedAtEnd: number;
  /** Join keys with any state (partials, pending completions, leading-missing marks, samples). */
  keysLive: number;
  results: number;
}

export function emptyStats(): EngineStats {
  return {
    eventsSeen: 0,
    partialsLive: 0,
    partialsCreated: 0,
    partialsExpired: 0,
    partialsReplaced: 0,
    partialsUntil: 0,
    evictions: 0,
    evictionsPerKey: 0,
    evictionsPerRule: 0,
    evictionsTotal: 0,
    rejectedMaxspan: 0,
    rejectedMissing: 0,
    pendingTrailing: 0,
    unfinishedAtEnd: 0,
    keysLive: 0,
    results: 0,
  };
}

// The streaming engine: feeds events, in event order, to the query's matcher and passes results
// through the head/tail pipes and the size cap. One engine runs one compiled query.
import type { CompiledQuery } from './compiled.js';
import { emptyStats, stable, type EngineEvent, type EngineResult, type EngineStats } from './event.js';
import { ResultLimiter } from './limits.js';
import { SampleCollector } from './sample-collector.js';
import { SequenceMatcher } from './sequence-matcher.js';
import { TwoStepMatcher, isTwoStepSequence } from './two-step-matcher.js';
import type { PartialBudget } from './partial-budget.js';

export interface EngineOptions {
  /** Called for every result, in Elasticsearch result order. */
  onResult(result: EngineResult): void;
  /** The ES `size` request parameter: a cap on results that pipes cannot exceed. Default: none. */
  size?: number;
  /** ES `max_samples_per_key` (samples only). Default 1. */
  maxSamplesPerKey?: number;
  /** Cap on live sequence partials; the oldest are evicted beyond it. Default: none. */
  maxPartials?: number;
  /** Cap on live partials of one join key; that key's oldest is evicted beyond it. Default: none. */
  maxPartialsPerKey?: number;
  /** A budget shared with other engines (one partition's processor): caps their total. */
  budget?: PartialBudget;
  /**
   * Live mode: verdicts as soon as they are known, never invented at the end. A sample is emitted
   * the moment its key has one distinct event per step (Elasticsearch, querying stored data,
   * returns samples in key order at the end: replay and `query` keep that). At end(), a trailing
   * missing-event window that is still open gives no verdict (it is counted in
   * stats.unfinishedAtEnd) instead of being accepted as at the end of stored data.
   */
  live?: boolean;
}

export interface Engine {
  /** Offers the next event. Events must come in event order (time order for maxspan semantics). */
  push(ev: EngineEvent): void;
  /** Ends the stream: flushes tail pipes, pending trailing missing-event checks and samples. */
  end(): void;
  /**
   * Global event time reached t (watermark): lets time-based expiry and verdicts run. Offering an
   * event none of the query's filters matches has exactly this effect (for a timed event), so a
   * caller that knows no filter matches may call this instead of push.
   */
  advanceTime(t: number): void;
  /** False when advanceTime never changes anything (only sequences with maxspan track time). */
  readonly followsTime: boolean;
  /** False when heldSeq() is always Infinity: the engine emits every result when it completes. */
  readonly mayHold: boolean;
  /**
   * The smallest ordering seq (seq of a result's last event) of a result this engine may still
   * emit later than the event that completed it: held trailing verdicts, tail pipes and samples
   * (both emit only at the end). Infinity when nothing is held.
   */
  heldSeq(): number;
  /**
   * True when the engine holds no state: no sequence partial and no pending trailing verdict. An
   * event that can only continue a match (a later step, a missing step, an until) then changes
   * nothing, so a caller may skip offering it (state-stage.ts).
   */
  idle(): boolean;
  /** True when no further result can come (a head pipe or the size cap is satisfied). */
  readonly done: boolean;
  readonly stats: Readonly<EngineStats>;
}

export function createEngine(query: CompiledQuery, options: EngineOptions): Engine {
  const stats = emptyStats();
  const limiter = new ResultLimiter<EngineResult>(query.pipes, options.size, (r) => {
    stats.results++;
    options.onResult(r);
  });
  // Tail pipes emit only at the end of the stream: everything may be held until then.
  const holdsAll = query.pipes.some((p) => p.name === 'tail');
  const base = { stats };

  switch (query.kind) {
    case 'event': {
      const filter = query.steps[0].filter;
      return {
        ...base,
        get done() { return limiter.done; },
        push(ev) {
          stats.eventsSeen++;
          // A tail pipe holds results: the event must outlive this push.
          if (filter.test(ev.view)) limiter.push({ events: [stable(ev)], joinKeys: [] });
        },
        advanceTime() {},
        idle: () => true,
        followsTime: false,
        mayHold: holdsAll,
        heldSeq: () => (holdsAll && stats.eventsSeen > 0 ? 0 : Infinity),
        end: () => limiter.end(),
      };
    }
    case 'sequence': {
      // A tail pipe holds results until the end: it becomes a holder of their events (the matcher
      // lets them go once it has emitted them; event.ts, release).
      const hold = holdsAll ? (r: EngineResult) => r.events.forEach((e) => e && stable(e)) : undefined;
      const emit = (r: EngineResult) => {
        hold?.(r);
        limiter.push(r);
      };
      const matcherOptions = {
        dropUnfinishedAtEnd: options.live,
        maxPartials: options.maxPartials,
        maxPartialsPerKey: options.maxPartialsPerKey,
        budget: options.budget,
      };
      // Two positive steps (most sequences): the same results from less state per partial.
      const matcher = isTwoStepSequence(query)
        ? new TwoStepMatcher(query, stats, emit, matcherOptions)
        : new SequenceMatcher(query, stats, emit, matcherOptions);
      return {
        ...base,
        get done() { return limiter.done; },
        push(ev) {
          stats.eventsSeen++;
          matcher.push(ev);
        },
        advanceTime: (t) => matcher.advanceTime(t),
        idle: () => stats.partialsLive === 0 && stats.pendingTrailing === 0,
        followsTime: matcher.followsTime,
        mayHold: holdsAll || matcher.mayHold,
        heldSeq: () => (holdsAll && stats.eventsSeen > 0 ? 0 : matcher.heldSeq()),
        end() {
          matcher.end();
          limiter.end();
        },
      };
    }
    case 'sample': {
      const collector = new SampleCollector(query, stats, options.maxSamplesPerKey ?? 1, options.maxPartials);
      if (options.live) {
        return {
          ...base,
          get done() { return limiter.done; },
          push(ev) {
            stats.eventsSeen++;
            collector.pushStreaming(ev, (r) => limiter.push(r));
          },
          advanceTime() {},
          idle: () => stats.eventsSeen === 0,
          followsTime: false,
          mayHold: holdsAll,
          heldSeq: () => (holdsAll && stats.eventsSeen > 0 ? 0 : Infinity),
          end: () => limiter.end(),
        };
      }
      return {
        ...base,
        get done() { return limiter.done; },
        push(ev) {
          stats.eventsSeen++;
          collector.push(ev);
        },
        advanceTime() {},
        idle: () => stats.eventsSeen === 0,
        followsTime: false,
        mayHold: true,
        // Samples are only known at the end of the stream.
        heldSeq: () => (stats.eventsSeen > 0 ? 0 : Infinity),
        end() {
          collector.finish((r) => {
            limiter.push(r);
            return !limiter.done;
          });
          limiter.end();
        },
      };
    }
  }
}

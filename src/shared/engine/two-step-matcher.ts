// The sequence matcher for the commonest shape: two positive steps, each once, no missing-event
// step (`sequence by k [A] [B]`, with or without maxspan and `until`). It gives exactly the
// results and counters of SequenceMatcher (sequence-matcher.ts, whose header states the
// semantics; test/two-step-matcher.test.ts compares the two on generated streams) with less state
// per partial.
//
// Why a second matcher. With two steps a key has at most one partial, waiting for B, so the key's
// state is that partial: one object in a Map by key id, instead of a key state, its array of
// waiting slots, a partial and its array of events. Such rules start a partial for most events of
// their first step (`[process where event.action == "exec" and user.id != "0"]` for every exec by
// a regular user) and most partials expire unmatched, so what a partial costs to make, keep past
// the young generation and free is most of what the rule costs (2.5–4× less per partial here in a
// micro-benchmark of start, expiry and missed lookups).
import type { CompiledQuery, CompiledStep, Value } from './compiled.js';
import { letGo, stable, type EngineEvent, type EngineResult, type EngineStats } from './event.js';
import { expandJoinKeys, isOwnId, type JoinKey } from './join-key.js';
import type { EvictableState } from './partial-budget.js';
import { PartialsByAge } from './partials-by-age.js';
import type { SequenceMatcherOptions } from './sequence-matcher.js';

/** A first-step event waiting for the second step of its key. */
interface Waiting {
  /** The key's id: its entry in `waiting`. */
  id: string;
  /**
   * The key: null when it is one plain string (the id itself; join-key.ts isOwnId), KEY_OF_FIRST
   * when it is the first event's only key (its values are read again from that event).
   */
  key: JoinKey | null;
  first: EngineEvent;
  startTime: number;
  /** Still the key's entry (not replaced, matched, expired, dropped or evicted). */
  alive: boolean;
}

type EvictionKind = 'evictionsPerKey' | 'evictionsPerRule' | 'evictionsTotal';

/** Waiting.key of a partial whose key is its first event's only one (see push). */
const KEY_OF_FIRST: JoinKey = { values: [], id: '' };

/** Spare partial objects a matcher keeps; past this a dead one is left to the GC. */
const MAX_SPARE_PARTIALS = 4096;
/** What a spare partial holds instead of an event (never read: a spare is not waiting). */
const NO_EVENT: EngineEvent = { view: null as never, time: null, seq: -1 };

/** Whether `query` has the shape TwoStepMatcher handles. */
export function isTwoStepSequence(query: CompiledQuery): boolean {
  return (
    query.kind === 'sequence' &&
    query.steps.length === 2 &&
    query.steps.every((s) => !s.missing && s.runs <= 1) &&
    query.steps[0]!.cross === undefined
  );
}

export class TwoStepMatcher implements EvictableState {
  private readonly first: CompiledStep;
  private readonly second: CompiledStep;
  private readonly maxspan: number;
  private readonly waiting = new Map<string, Waiting>();
  /** Partials in start order, for maxspan expiry and oldest-first eviction (when trackAge). */
  private readonly byAge: PartialsByAge<Waiting>;
  private readonly trackAge: boolean;
  private now = -Infinity;
  /**
   * Partials that stopped waiting and that nothing lists any more, for the next starts. A rule
   * like "an exec by a regular user, then a uid change to root" starts a partial for most execs
   * and most expire: made fresh, each one outlived the young generation and was garbage in the
   * old one, which is what made V8's scavenges slow (they copy what survives) and the old space
   * grow between full collections.
   */
  private readonly spare: Waiting[] = [];

  constructor(
    private readonly query: CompiledQuery,
    private readonly stats: EngineStats,
    private readonly emit: (r: EngineResult) => void,
    private readonly options: SequenceMatcherOptions = {},
  ) {
    if (!isTwoStepSequence(query)) throw new Error('TwoStepMatcher takes a sequence of two positive steps');
    this.first = query.steps[0]!;
    this.second = query.steps[1]!;
    this.maxspan = query.maxspanMs ?? 0;
    this.byAge = new PartialsByAge(
      (p) => p.alive,
      this.maxspan === 0,
      (p) => this.reuse(p),
    );
    const o = options;
    this.trackAge = this.maxspan > 0 || o.maxPartials !== undefined || o.maxPartialsPerKey !== undefined || o.budget !== undefined;
    o.budget?.join(this);
  }

  get followsTime(): boolean {
    return this.maxspan > 0;
  }

  /** Results are delivered as they complete: nothing waits for a verdict. */
  readonly mayHold = false;

  heldSeq(): number {
    return Infinity;
  }

  end(): void {}

  advanceTime(t: number): void {
    if (t > this.now) {
      this.now = t;
      if (this.maxspan > 0) this.expire(t);
    }
  }

  /** As SequenceMatcher.push: the second step first, so one event never fills both steps of one partial. */
  push(ev: EngineEvent): void {
    const t = ev.time;
    if (t === null || Number.isNaN(t)) return;
    this.advanceTime(t);
    const view = ev.view;
    const second = this.second;
    if (second.filter.test(view)) {
      const id = second.keyId !== undefined ? second.keyId(view) : undefined;
      if (id !== undefined) {
        if (id !== null) this.extend(id, ev, t);
      } else for (const key of expandJoinKeys(second.keys(view), second.keyNullable)) this.extend(key.id, ev, t);
    }
    const first = this.first;
    if (first.filter.test(view)) {
      const id = first.keyId !== undefined ? first.keyId(view) : undefined;
      if (id !== null) {
        // One key: its id will do, and its values are read again from the first event should the
        // partial complete (few do), rather than kept as a JoinKey by every partial.
        if (id !== undefined) this.start(id, isOwnId(id) ? null : KEY_OF_FIRST, ev, t);
        else for (const key of expandJoinKeys(first.keys(view), first.keyNullable)) this.start(key.id, key, ev, t);
      }
    }
    const until = this.query.until;
    if (until && until.filter.test(view)) {
      const id = until.keyId?.(view);
      if (id !== undefined) {
        if (id !== null) this.drop(id);
      } else for (const key of expandJoinKeys(until.keys(view), until.keyNullable)) this.drop(key.id);
    }
    this.maybeEvict();
  }

  /** The first step matched: the key's partial, replacing an older one (ES keeps only the newest). */
  private start(id: string, key: JoinKey | null, ev: EngineEvent, t: number): void {
    const p = this.newWaiting(id, key, stable(ev), t);
    const stats = this.stats;
    const budget = this.options.budget;
    stats.partialsCreated++;
    const old = this.waiting.get(id);
    if (old !== undefined) {
      old.alive = false;
      stats.partialsLive--;
      if (budget) budget.live--;
      stats.partialsReplaced++;
      letGo(old.first);
      this.retire(old);
    } else stats.keysLive++;
    this.waiting.set(id, p);
    stats.partialsLive++;
    if (budget) budget.live++;
    if (this.trackAge) this.byAge.push(p, stats.partialsLive);
    // A key holds one partial here: a per-key cap below one evicts it at once.
    const keyCap = this.options.maxPartialsPerKey;
    if (keyCap !== undefined && 1 > keyCap) this.evict(p, 'evictionsPerKey');
  }

  /** The second step matched for key `id`: completes its partial, unless maxspan has passed. */
  private extend(id: string, ev: EngineEvent, t: number): void {
    const p = this.waiting.get(id);
    if (p === undefined) return;
    const cross = this.second.cross;
    if (cross && !cross(ev.view, [p.first])) return;
    this.unpark(p);
    if (this.maxspan > 0 && t - p.startTime > this.maxspan) {
      this.stats.rejectedMaxspan++;
      letGo(p.first);
      this.retire(p);
      return;
    }
    const second = stable(ev);
    this.emit({ events: [p.first, second], joinKeys: this.joinKeyValues(p) });
    // The result is made (alert text) during emit: nothing reads these events after it.
    letGo(p.first);
    letGo(second);
    this.retire(p);
  }

  /** The values of a partial's key, for its result. */
  private joinKeyValues(p: Waiting): Value[] {
    if (p.key === null) return [p.id];
    if (p.key !== KEY_OF_FIRST) return p.key.values;
    const keys = expandJoinKeys(this.first.keys(p.first.view), this.first.keyNullable);
    const key = keys.find((k) => k.id === p.id);
    if (key === undefined) throw new Error(`internal: the first event of a partial no longer has its key ${p.id}`);
    return key.values;
  }

  /** An `until` event of key `id`: its partial is dropped. */
  private drop(id: string): void {
    const p = this.waiting.get(id);
    if (p === undefined) return;
    this.unpark(p);
    this.stats.partialsUntil++;
    letGo(p.first);
    this.retire(p);
  }

  /** Takes a live partial out of `waiting` (its events are the caller's to let go). */
  private unpark(p: Waiting): void {
    p.alive = false;
    this.waiting.delete(p.id);
    this.stats.partialsLive--;
    this.stats.keysLive--;
    if (this.options.budget) this.options.budget.live--;
  }

  private evict(p: Waiting, kind: EvictionKind): void {
    this.unpark(p);
    letGo(p.first);
    this.stats.evictions++;
    this.stats[kind]++;
    this.retire(p);
  }

  /** A partial object for a start: a spare one, or a new one. */
  private newWaiting(id: string, key: JoinKey | null, first: EngineEvent, startTime: number): Waiting {
    const p = this.spare.pop();
    if (p === undefined) return { id, key, first, startTime, alive: true };
    p.id = id;
    p.key = key;
    p.first = first;
    p.startTime = startTime;
    p.alive = true;
    return p;
  }

  /**
   * A partial stopped waiting (matched, replaced, dropped, evicted): reusable at once when
   * partials are not listed by age (no maxspan nor caps); otherwise only once the list lets it
   * go (PartialsByAge calls reuse), as the list may still hold it.
   */
  private retire(p: Waiting): void {
    if (!this.trackAge) this.reuse(p);
  }

  /** Keeps a dead partial for the next start, holding nothing of its old key or event. */
  private reuse(p: Waiting): void {
    if (p.alive || this.spare.length >= MAX_SPARE_PARTIALS) return;
    p.id = '';
    p.key = null;
    p.first = NO_EVENT;
    this.spare.push(p);
  }

  /** Partials whose maxspan window has closed can no longer complete. */
  private expire(now: number): void {
    this.byAge.expireBefore(now - this.maxspan, this.expireOne, this.liveCount);
  }

  private readonly liveCount = (): number => this.stats.partialsLive;

  private readonly expireOne = (p: Waiting): void => {
    this.unpark(p);
    this.stats.partialsExpired++;
    letGo(p.first);
  };

  oldestPartialSeq(): number {
    const p = this.byAge.oldestLive();
    return p ? p.first.seq : Infinity;
  }

  evictOldest(): void {
    this.byAge.evictOldest(this.evictForTotal, this.liveCount);
  }

  private readonly evictForTotal = (p: Waiting): void => this.evict(p, 'evictionsTotal');
  private readonly evictForRule = (p: Waiting): void => this.evict(p, 'evictionsPerRule');

  private maybeEvict(): void {
    const cap = this.options.maxPartials;
    if (cap !== undefined && this.stats.partialsLive > cap) this.byAge.evictDownTo(cap, this.evictForRule, this.liveCount);
    this.options.budget?.enforce();
  }
}

// The streaming sequence state machine, with Elasticsearch's semantics (x-pack/plugin/eql
// SequenceMatcher, KeyToSequences, TumblingWindow) replayed one event at a time:
//
// - Per join key, at most one partial waits at each step: ES keeps a list per stage but a match
//   always takes the newest earlier partial and discards everything older, so only the newest
//   can ever be used. A newer partial at a step therefore replaces the older one.
// - An event is offered to the steps from last to first, so a partial it advances is never
//   advanced by it again (one event never fills two steps of one sequence), while the same event
//   may still start or extend another partial.
// - maxspan is measured from the first event; a gap equal to maxspan still matches. A partial
//   taken by a too-late event is consumed and rejected, as in ES.
// - `until` drops the key's partials, including ones the until event itself just advanced (ES
//   treats an until marker equal to the partial's last event as "between").
// - Missing events `![…]` follow TumblingWindow's post-completion check: a middle one rejects
//   when an event of the key lies strictly between the neighbouring matches' times; leading and
//   trailing ones compare the nearest such event with maxspan. Trailing checks wait until the
//   maxspan window closes (or the stream ends); results are still emitted in ES order, that is
//   by the last matched event.
// Partials that can no longer complete within maxspan are freed as event time advances, so
// memory stays bounded on an endless stream.
import type { CompiledQuery, CompiledStep } from './compiled.js';
import { letGo, stable, type EngineEvent, type EngineResult, type EngineStats } from './event.js';
import { expandJoinKeys, isOwnId, type JoinKey } from './join-key.js';
import type { EvictableState, PartialBudget } from './partial-budget.js';
import { PartialsByAge } from './partials-by-age.js';

/** A step after `runs=N` expansion. */
interface Stage {
  step: CompiledStep;
  missing: boolean;
}

interface Partial {
  /** Its first event's key; null when that was one plain string, the state's id (isOwnId). */
  key: JoinKey | null;
  state: KeyState;
  /** Events of the positive steps filled so far. */
  events: EngineEvent[];
  startTime: number;
  lastTime: number;
  /** Time of the latest leading missing-event match strictly before startTime, or null. */
  lastLeading: number | null;
  /** Earliest time of a middle missing-event match after lastTime, in the current gap. */
  gapMissTime: number | null;
  /** A middle missing event was found: the sequence still advances (it occupies its slot, as in ES) but is rejected on completion. */
  discarded: boolean;
  /** Index in state.waiting where it waits, or -1 once consumed/dropped. */
  slot: number;
  /** Its events were let go (dispose): it is dead and nothing reads them any more. */
  disposed: boolean;
}

interface KeyState {
  /** The key's id (JoinKey.id): its Map key. */
  id: string;
  /** waiting[j]: the partial whose last filled positive step is j. */
  waiting: (Partial | null)[];
  live: number;
  /** Completed sequences of this key still waiting for their trailing missing-event verdict. */
  pending: Completion[];
  /** Still the key's entry in `keys`: an idle state is removed once, and a newer one may take its id. */
  held: boolean;
}

interface Completion {
  partial: Partial;
  /** Time maxspan is measured from for the trailing verdict (ES: start, or the leading miss). */
  reference: number;
  verdict: 'pending' | 'accept' | 'reject';
}

/**
 * The `pending` list of a key with no completion waiting for a verdict: shared and never written
 * (most keys never have one), so an idle partial's key costs no array of its own.
 */
const NO_PENDING: Completion[] = [];

/** Latest two distinct times of leading missing-event matches, per key. */
interface LeadingMark {
  last: number;
  previous: number;
}

export interface SequenceMatcherOptions {
  /** Cap on live partials; the oldest are evicted beyond it (counted in stats.evictionsPerRule). */
  maxPartials?: number;
  /** Cap on one join key's live partials; its oldest is evicted (stats.evictionsPerKey). */
  maxPartialsPerKey?: number;
  /** Shared with other matchers: caps their total (stats.evictionsTotal). */
  budget?: PartialBudget;
  /**
   * At end(), a pending trailing verdict is dropped (counted in stats.unfinishedAtEnd) rather than
   * accepted: live mode, where the end is a shutdown, not the end of the data.
   */
  dropUnfinishedAtEnd?: boolean;
}

type EvictionKind = 'evictionsPerKey' | 'evictionsPerRule' | 'evictionsTotal';

export class SequenceMatcher implements EvictableState {
  private readonly stages: Stage[];
  /** Indices (into stages) of the positive steps. */
  private readonly positive: number[];
  /** gapOfMissing[s]: for a middle missing stage, the positive index it follows; -1 leading, -2 trailing. */
  private readonly missingRole: Map<number, number>;
  private readonly hasLeading: boolean;
  private readonly hasTrailing: boolean;
  private readonly maxspan: number;
  private readonly keys = new Map<string, KeyState>();
  private readonly leading = new Map<string, LeadingMark>();
  /** Partials in creation order (so in start-time order for time-ordered input), for expiry/eviction. */
  private readonly byAge: PartialsByAge<Partial>;
  /** Completions in ES result order, held back only while a trailing verdict is pending. */
  private readonly outQueue: Completion[] = [];
  private outHead = 0;
  private now = -Infinity;
  /** Partials must be tracked by age: for maxspan expiry or for a cap's oldest-first eviction. */
  private readonly trackAge: boolean;

  constructor(
    private readonly query: CompiledQuery,
    private readonly stats: EngineStats,
    private readonly emit: (r: EngineResult) => void,
    private readonly options: SequenceMatcherOptions = {},
  ) {
    this.stages = [];
    for (const step of query.steps) for (let r = 0; r < Math.max(1, step.runs); r++) this.stages.push({ step, missing: step.missing });
    this.positive = [];
    this.stages.forEach((s, i) => {
      if (!s.missing) this.positive.push(i);
    });
    if (this.positive.length === 0) throw new Error('a sequence needs at least one step that is not a missing event');
    const first = this.positive[0];
    const last = this.positive[this.positive.length - 1];
    this.missingRole = new Map();
    this.stages.forEach((s, i) => {
      if (!s.missing) return;
      if (i < first) this.missingRole.set(i, -1);
      else if (i > last) this.missingRole.set(i, -2);
      else this.missingRole.set(i, this.positive.filter((p) => p < i).length - 1);
    });
    this.hasLeading = first > 0;
    this.hasTrailing = last < this.stages.length - 1;
    this.maxspan = query.maxspanMs ?? 0;
    this.byAge = new PartialsByAge((p) => p.slot >= 0, this.maxspan === 0);
    const o = options;
    this.trackAge = this.maxspan > 0 || o.maxPartials !== undefined || o.maxPartialsPerKey !== undefined || o.budget !== undefined;
    o.budget?.join(this);
  }

  push(ev: EngineEvent): void {
    const t = ev.time;
    if (t === null || Number.isNaN(t)) return;
    this.advanceTime(t);
    // Missing-event steps first: a leading match at the very time a sequence starts is not
    // "before" it, and a middle/trailing match is only counted strictly after the previous match.
    if (this.missingRole.size) this.offerMissing(ev, t);
    const P = this.positive.length;
    for (let j = P - 1; j >= 0; j--) {
      const step = this.stages[this.positive[j]].step;
      if (!step.filter.test(ev.view)) continue;
      // The event's key id will do when it has one key: a continuing step only looks it up, and a
      // first step keyed by one plain string needs no JoinKey of its own (the key's state holds
      // one). Most partials start that way, and what a partial holds outlives the young generation.
      const id = step.keyId !== undefined ? step.keyId(ev.view) : undefined;
      if (id === null) continue;
      if (id !== undefined && j > 0) this.extend(j, id, ev, t);
      else if (id !== undefined && isOwnId(id)) this.start(this.stateFor(id), null, ev, t);
      else for (const key of expandJoinKeys(step.keys(ev.view), step.keyNullable)) this.advance(j, key, ev, t);
    }
    const until = this.query.until;
    if (until && until.filter.test(ev.view)) {
      const id = until.keyId?.(ev.view);
      if (id !== undefined) {
        if (id !== null) this.dropKey(id);
      } else for (const key of expandJoinKeys(until.keys(ev.view), until.keyNullable)) this.dropKey(key.id);
    }
    this.maybeEvict();
  }

  /**
   * Global event time reached t without an event for this matcher (a watermark in a partition that
   * saw none of its own): expire partials and settle trailing verdicts as a pushed event would.
   */
  advanceTime(t: number): void {
    if (t > this.now) {
      this.now = t;
      if (this.maxspan > 0) this.expire(t);
    }
  }

  /** Whether time matters: without maxspan nothing expires, so advanceTime changes nothing. */
  get followsTime(): boolean {
    return this.maxspan > 0;
  }

  /** Only a trailing missing-event step makes a completed result wait (for its verdict). */
  get mayHold(): boolean {
    return this.hasTrailing;
  }

  /**
   * The smallest seq of a completed result not yet delivered (a pending trailing verdict, or a
   * result queued behind one), Infinity when none. A result's ordering seq is its last event's.
   */
  heldSeq(): number {
    let min = Infinity;
    for (let i = this.outHead; i < this.outQueue.length; i++) {
      const events = this.outQueue[i].partial.events;
      const seq = events[events.length - 1].seq;
      if (seq < min) min = seq;
    }
    return min;
  }

  /**
   * End of stream: every pending trailing verdict becomes "no missing event seen" (stored data
   * ends here), or with dropUnfinishedAtEnd gives no verdict (a shutdown before the deadline).
   */
  end(): void {
    for (let i = this.outHead; i < this.outQueue.length; i++) {
      const c = this.outQueue[i];
      if (c.verdict !== 'pending') continue;
      if (this.options.dropUnfinishedAtEnd) {
        this.settle(c, 'reject');
        this.stats.rejectedMissing--;
        this.stats.unfinishedAtEnd++;
      } else this.settle(c, 'accept');
    }
    this.flush();
  }

  private advance(j: number, key: JoinKey, ev: EngineEvent, t: number): void {
    if (j === 0) this.start(this.stateFor(key.id), key, ev, t);
    else this.extend(j, key.id, ev, t);
  }

  /**
   * The first step matched for `state`'s key: a new partial. `key` null: the key is one plain
   * string, the state's id, and no JoinKey is made for it (made fresh for nearly every partial,
   * a JoinKey was one more object each partial kept past the young generation).
   */
  private start(state: KeyState, key: JoinKey | null, ev: EngineEvent, t: number): void {
    const partial: Partial = {
      key,
      state,
      events: [stable(ev)],
      startTime: t,
      lastTime: t,
      lastLeading: this.hasLeading ? this.leadingBefore(state.id, t) : null,
      gapMissTime: null,
      discarded: false,
      slot: -1,
      disposed: false,
    };
    this.stats.partialsCreated++;
    if (this.positive.length === 1) this.complete(partial);
    else this.park(state, partial, 0);
    this.releaseIfIdle(state);
  }

  /** Step j > 0 matched for the key with this id: extends the key's partial waiting for it, if any. */
  private extend(j: number, id: string, ev: EngineEvent, t: number): void {
    const P = this.positive.length;
    const state = this.keys.get(id);
    const partial = state?.waiting[j - 1];
    if (!state || !partial) return;
    // A condition on the partial's earlier events (a named step's fields): when it fails, this
    // event is not the partial's next one, and the partial keeps waiting.
    const cross = this.stages[this.positive[j]!]!.step.cross;
    if (cross && !cross(ev.view, partial.events)) return;
    this.unpark(state, partial);
    if (this.maxspan > 0 && t - partial.startTime > this.maxspan) {
      this.stats.rejectedMaxspan++;
      this.dispose(partial);
    } else {
      if (partial.gapMissTime !== null && partial.gapMissTime < t) partial.discarded = true;
      partial.gapMissTime = null;
      partial.events.push(stable(ev));
      partial.lastTime = t;
      if (j === P - 1) this.complete(partial);
      else this.park(state, partial, j);
    }
    this.releaseIfIdle(state);
  }

  private offerMissing(ev: EngineEvent, t: number): void {
    for (const [s, role] of this.missingRole) {
      const step = this.stages[s].step;
      if (!step.filter.test(ev.view)) continue;
      for (const key of expandJoinKeys(step.keys(ev.view), step.keyNullable)) {
        if (role === -1) this.markLeading(key.id, t);
        else if (role === -2) this.trailingSeen(key.id, t);
        else {
          const p = this.keys.get(key.id)?.waiting[role];
          if (p && p.gapMissTime === null && t > p.lastTime) p.gapMissTime = t;
        }
      }
    }
  }

  private markLeading(id: string, t: number): void {
    const mark = this.leading.get(id);
    if (!mark) {
      this.leading.set(id, { last: t, previous: -Infinity });
      return;
    }
    if (t > mark.last) {
      mark.previous = mark.last;
      mark.last = t;
      // Re-insert so the map stays ordered by last time, which lets expiry stop at the first live mark.
      this.leading.delete(id);
      this.leading.set(id, mark);
    } else if (t < mark.last && t > mark.previous) mark.previous = t;
  }

  /** ES looks for leading missing events with a time strictly before the sequence start. */
  private leadingBefore(id: string, start: number): number | null {
    const mark = this.leading.get(id);
    if (!mark) return null;
    const t = mark.last < start ? mark.last : mark.previous;
    return t === -Infinity ? null : t;
  }

  private trailingSeen(id: string, t: number): void {
    const state = this.keys.get(id);
    if (!state || state.pending.length === 0) return;
    let changed = false;
    // settle() removes from state.pending, so walk a copy.
    for (const c of [...state.pending]) {
      if (c.verdict !== 'pending' || t <= c.partial.lastTime) continue;
      // The first trailing event decides: accepted only if it is beyond maxspan.
      this.settle(c, this.maxspan > 0 && t - c.reference > this.maxspan ? 'accept' : 'reject');
      changed = true;
    }
    if (changed) this.flush();
  }

  private complete(p: Partial): void {
    if (p.discarded) {
      this.stats.rejectedMissing++;
      this.dispose(p);
      return;
    }
    let verdict: Completion['verdict'] = 'accept';
    let reference = p.startTime;
    if (this.hasLeading && p.lastLeading !== null) {
      reference = p.lastLeading;
      // Leading only: rejected when the leading event is within maxspan of the last match.
      if (!this.hasTrailing && !(this.maxspan > 0 && p.lastTime - p.lastLeading > this.maxspan)) verdict = 'reject';
    }
    // With a trailing missing step the verdict waits, unless a leading step found nothing (ES
    // accepts then whatever follows).
    if (verdict === 'accept' && this.hasTrailing && !(this.hasLeading && p.lastLeading === null)) verdict = 'pending';
    if (verdict === 'reject') {
      this.stats.rejectedMissing++;
      this.dispose(p);
      return;
    }
    const c: Completion = { partial: p, reference, verdict };
    if (verdict === 'pending') {
      if (p.state.pending === NO_PENDING) p.state.pending = [];
      p.state.pending.push(c);
      this.stats.pendingTrailing++;
    }
    if (verdict === 'accept' && this.outHead === this.outQueue.length) this.deliver(p);
    else this.outQueue.push(c);
  }

  private settle(c: Completion, verdict: 'accept' | 'reject'): void {
    c.verdict = verdict;
    this.stats.pendingTrailing--;
    if (verdict === 'reject') {
      this.stats.rejectedMissing++;
      this.dispose(c.partial);
    }
    const state = c.partial.state;
    state.pending.splice(state.pending.indexOf(c), 1);
    this.releaseIfIdle(state);
  }

  private flush(): void {
    while (this.outHead < this.outQueue.length && this.outQueue[this.outHead].verdict !== 'pending') {
      const c = this.outQueue[this.outHead++];
      if (c.verdict === 'accept') this.deliver(c.partial);
    }
    if (this.outHead === this.outQueue.length) {
      this.outQueue.length = 0;
      this.outHead = 0;
    }
  }

  private deliver(p: Partial): void {
    const events: (EngineEvent | null)[] = new Array(this.stages.length);
    let k = 0;
    for (let s = 0; s < this.stages.length; s++) events[s] = this.stages[s].missing ? null : p.events[k++];
    this.emit({ events, joinKeys: p.key === null ? [p.state.id] : p.key.values });
    // The result is made (alert text) during emit: nothing reads these events after it.
    this.dispose(p);
  }

  /** A partial is dead (delivered, rejected, replaced, evicted, expired, dropped): lets its events go. */
  private dispose(p: Partial): void {
    if (p.disposed) return;
    p.disposed = true;
    for (const ev of p.events) letGo(ev);
  }

  /** The state of the key with this id, made if new. */
  private stateFor(id: string): KeyState {
    let state = this.keys.get(id);
    if (!state) {
      state = { id, waiting: this.positive.length === 2 ? [null] : new Array(Math.max(0, this.positive.length - 1)).fill(null), live: 0, pending: NO_PENDING, held: true };
      this.keys.set(id, state);
      this.stats.keysLive++;
    }
    return state;
  }

  private park(state: KeyState, p: Partial, j: number): void {
    const old = state.waiting[j];
    if (old) {
      old.slot = -1;
      state.live--;
      this.stats.partialsLive--;
      // The shared budget counts live partials too: without this every replacement leaked one
      // count, and a long-running partition ended up evicting live partials for ones long gone.
      if (this.options.budget) this.options.budget.live--;
      this.stats.partialsReplaced++;
      this.dispose(old);
    }
    state.waiting[j] = p;
    p.slot = j;
    state.live++;
    this.stats.partialsLive++;
    if (this.options.budget) this.options.budget.live++;
    if (p.events.length === 1 && this.trackAge) this.byAge.push(p, this.stats.partialsLive);
    const keyCap = this.options.maxPartialsPerKey;
    if (keyCap !== undefined && state.live > keyCap) this.evict(this.oldestOfKey(state), 'evictionsPerKey');
  }

  private unpark(state: KeyState, p: Partial): void {
    state.waiting[p.slot] = null;
    p.slot = -1;
    state.live--;
    this.stats.partialsLive--;
    if (this.options.budget) this.options.budget.live--;
  }

  /** The key's partial that started first (partials start in seq order). */
  private oldestOfKey(state: KeyState): Partial {
    let oldest: Partial | null = null;
    for (const p of state.waiting) if (p && (!oldest || p.events[0].seq < oldest.events[0].seq)) oldest = p;
    return oldest!;
  }

  private evict(p: Partial, kind: EvictionKind): void {
    this.unpark(p.state, p);
    this.dispose(p);
    this.stats.evictions++;
    this.stats[kind]++;
    this.releaseIfIdle(p.state);
  }

  oldestPartialSeq(): number {
    const p = this.byAge.oldestLive();
    return p ? p.events[0].seq : Infinity;
  }

  evictOldest(): void {
    this.byAge.evictOldest(this.evictForTotal, this.liveCount);
  }

  private readonly evictForTotal = (p: Partial): void => this.evict(p, 'evictionsTotal');
  private readonly evictForRule = (p: Partial): void => this.evict(p, 'evictionsPerRule');

  private releaseIfIdle(state: KeyState): void {
    if (state.live === 0 && state.pending.length === 0 && state.held) {
      state.held = false;
      this.keys.delete(state.id);
      this.stats.keysLive--;
    }
  }

  private dropKey(id: string): void {
    const state = this.keys.get(id);
    if (!state) return;
    for (const p of state.waiting) {
      if (p) {
        this.unpark(state, p);
        this.stats.partialsUntil++;
        this.dispose(p);
      }
    }
    this.releaseIfIdle(state);
  }

  /**
   * Frees what the advancing time makes useless: partials whose maxspan window has closed, leading
   * marks too old to matter, and trailing verdicts no later event can overturn.
   */
  private expire(now: number): void {
    const limit = now - this.maxspan;
    this.byAge.expireBefore(limit, this.expireOne, this.liveCount);
    // Called whenever time moves on: most matchers have no leading marks nor queued results.
    if (this.leading.size > 0) {
      for (const [id, mark] of this.leading) {
        if (mark.last >= limit) break;
        this.leading.delete(id);
      }
    }
    if (this.outHead === this.outQueue.length) return;
    let settled = false;
    for (let i = this.outHead; i < this.outQueue.length; i++) {
      const c = this.outQueue[i];
      if (c.verdict === 'pending' && c.reference < limit) {
        this.settle(c, 'accept');
        settled = true;
      }
    }
    if (settled) this.flush();
  }

  private readonly expireOne = (p: Partial): void => {
    this.unpark(p.state, p);
    this.stats.partialsExpired++;
    this.dispose(p);
    this.releaseIfIdle(p.state);
  };

  private readonly liveCount = (): number => this.stats.partialsLive;

  private maybeEvict(): void {
    const cap = this.options.maxPartials;
    if (cap !== undefined && this.stats.partialsLive > cap) this.byAge.evictDownTo(cap, this.evictForRule, this.liveCount);
    this.options.budget?.enforce();
  }
}

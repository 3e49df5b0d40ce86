// Sequence partials in the order they started, for maxspan expiry and oldest-first eviction (the
// caps in partial-budget.ts). Shared by both sequence matchers (sequence-matcher.ts,
// two-step-matcher.ts), which differ only in how a partial says it still waits.
//
// A partial that stops waiting (matched, replaced, dropped) stays listed until compaction: taking
// it out at once would cost a search. Compaction keeps the list bounded: the consumed prefix is
// cut once it is most of the list, and without maxspan (nothing expires from the head) dead
// entries are squeezed out of the middle too, or a rule that never evicts nor expires would keep
// every partial it ever made, and their events, for the life of the run. Both are amortised O(1).

export class PartialsByAge<T extends { startTime: number }> {
  private readonly items: T[] = [];
  private head = 0;

  /**
   * `isLive`: whether a listed partial still waits. `dropDead`: squeeze dead entries out of the
   * middle (a matcher without maxspan). `onLeave`: told of each partial as it leaves the list,
   * once, after any expire/evict call for it (from then on only the matcher may hold it, so a
   * dead one can be reused).
   */
  constructor(
    private readonly isLive: (p: T) => boolean,
    private readonly dropDead: boolean,
    private readonly onLeave?: (p: T) => void,
  ) {}

  /** Lists a new partial; `liveCount` is the matcher's live partials, for compaction. */
  push(p: T, liveCount: number): void {
    this.items.push(p);
    this.compact(liveCount);
  }

  /** The oldest partial still waiting, skipping dead entries (they never come back). */
  oldestLive(): T | null {
    while (this.head < this.items.length) {
      const p = this.items[this.head]!;
      if (this.isLive(p)) return p;
      this.head++;
      this.onLeave?.(p);
    }
    return null;
  }

  /** Takes out every partial that started before `limit`, calling `expire` on those still waiting. */
  expireBefore(limit: number, expire: (p: T) => void, liveCount: () => number): void {
    const items = this.items;
    while (this.head < items.length && items[this.head]!.startTime < limit) {
      const p = items[this.head++]!;
      if (this.isLive(p)) expire(p);
      this.onLeave?.(p);
    }
    this.compact(liveCount());
  }

  /** Hands the oldest partial still waiting (if any) to `evict`: the shared budget's eviction. */
  evictOldest(evict: (p: T) => void, liveCount: () => number): void {
    const p = this.oldestLive();
    if (p) evict(p);
    this.compact(liveCount());
  }

  /** Hands the oldest waiting partials to `evict` until at most `cap` are live: a rule's cap. */
  evictDownTo(cap: number, evict: (p: T) => void, liveCount: () => number): void {
    for (let p = this.oldestLive(); p && liveCount() > cap; p = this.oldestLive()) evict(p);
    this.compact(liveCount());
  }

  /** Drops the consumed prefix and, with dropDead, dead entries; at least live + 2048 pushes apart. */
  compact(liveCount: number): void {
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
    if (this.dropDead && this.items.length - this.head > 2 * (liveCount + 1024)) {
      let w = 0;
      for (let i = this.head; i < this.items.length; i++) {
        const p = this.items[i]!;
        if (this.isLive(p)) this.items[w++] = p;
        else this.onLeave?.(p);
      }
      this.items.length = w;
      this.head = 0;
    }
  }
}

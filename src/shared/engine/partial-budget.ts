// Memory caps on sequence partials, and the one budget several engines share.
//
// Three caps bound the state a partition holds (docs/runtime.md, "Memory caps"):
//   per key:  partials waiting for one join key of one rule (the key's oldest partial is evicted);
//   per rule: partials of one rule's engine (its oldest partial is evicted);
//   total:    partials of all engines that share a PartialBudget, i.e. one processor (partition):
//             the oldest partial across those engines is evicted.
// Every eviction is counted by kind in the engine's stats; nothing is dropped silently.

export const DEFAULT_MAX_PARTIALS_PER_KEY = 64;
export const DEFAULT_MAX_PARTIALS_PER_RULE = 100_000;
export const DEFAULT_MAX_PARTIALS_TOTAL = 1_000_000;

/** What the shared budget needs from an engine to evict across engines. */
export interface EvictableState {
  /** Seq of the first event of this engine's oldest live partial (Infinity when it has none). */
  oldestPartialSeq(): number;
  /** Evicts the oldest live partial, counted as a total-cap eviction. */
  evictOldest(): void;
}

export class PartialBudget {
  /** Live partials across every member, kept up to date by the members. */
  live = 0;
  private readonly members: EvictableState[] = [];

  /**
   * `catchUp`, when given, runs before any eviction is decided: members may count partials whose
   * time has run out but that they were not told yet (eql-processor tells event time lazily); it
   * brings them up to date, so the total and the oldest partial are the ones eviction must see.
   */
  constructor(
    readonly cap: number,
    private readonly catchUp?: () => void,
  ) {}

  join(member: EvictableState): void {
    this.members.push(member);
  }

  /**
   * Evicts the oldest partials across members until the total is within the cap. Runs only when
   * over the cap, so the scan over members costs nothing on the normal path. Ties (partials started
   * by the same event in several rules) go to the member that joined first: deterministic.
   */
  enforce(): void {
    if (this.live > this.cap) this.catchUp?.();
    while (this.live > this.cap) {
      let victim: EvictableState | undefined;
      let oldest = Infinity;
      for (const m of this.members) {
        const seq = m.oldestPartialSeq();
        if (seq < oldest) {
          oldest = seq;
          victim = m;
        }
      }
      if (!victim) return;
      victim.evictOldest();
    }
  }
}

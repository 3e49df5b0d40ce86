// Event time as each rule engine is owed it, told lazily.
//
// An engine that follows time (a sequence with maxspan: Engine.followsTime) must see the time of
// every event of its categories, also of events none of its filters match: that time expires its
// partials and trailing verdicts. Telling it on every such event costs a call per timed engine per
// event; instead the processor records, per category group (the set of timed engines an event of
// some categories concerns), the latest time of its events, and brings an engine up to date
// (Engine.advanceTime, which is monotone: advancing to a then b ≥ a equals advancing to b) only
// when something is about to depend on its state: its own next event, the shared partial budget
// deciding an eviction, progress (heldSeq), counters, a watermark, the end of the stream.
export class CategoryClocks {
  /** Latest event time per group (-Infinity before any timed event). */
  private readonly groupTime: number[] = [];
  /** Group ids of each engine (by rule index); empty for engines that do not follow time. */
  private readonly groupsOf: number[][];
  /** Group id by its engines (rule indices, comma-joined), so each distinct set is one group. */
  private readonly groupIds = new Map<string, number>();

  constructor(engineCount: number) {
    this.groupsOf = Array.from({ length: engineCount }, () => []);
  }

  /** The group of these timed engines (rule indices), created on first use. */
  group(timed: readonly number[]): number {
    const key = timed.join(',');
    let id = this.groupIds.get(key);
    if (id === undefined) {
      id = this.groupTime.length;
      this.groupTime.push(-Infinity);
      this.groupIds.set(key, id);
      for (const rule of timed) this.groupsOf[rule]!.push(id);
    }
    return id;
  }

  /** An event of group `g` at time `t` (null: a timeless event, which moves no clock). */
  passed(g: number, t: number | null): void {
    if (t !== null && t > this.groupTime[g]!) this.groupTime[g] = t;
  }

  /** The latest time of the events engine `rule` is owed so far; -Infinity when none. */
  timeFor(rule: number): number {
    let t = -Infinity;
    for (const g of this.groupsOf[rule]!) if (this.groupTime[g]! > t) t = this.groupTime[g]!;
    return t;
  }

  inGroup(rule: number, g: number): boolean {
    return this.groupsOf[rule]!.includes(g);
  }
}

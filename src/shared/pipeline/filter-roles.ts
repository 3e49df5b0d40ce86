// What each step predicate (filter id, in predicateFilters order) means to the state it feeds.
// The predicate stage outputs one bit per filter; the router (main) and the state stage (workers)
// read the bits through this table.
//
// A filter *starts* when its event can create state in an engine that has none: the one step of
// an event query, every step of a sample, and a sequence's first real step (with any missing steps
// before it). Every other filter — later sequence steps, missing steps after the first real one,
// `until` — can only continue a match already under way, so for an engine holding no state such an
// event changes nothing (Engine.idle) and need not be delivered at all.
import type { CheckedQuery } from '../eql/ir.js';

export interface FilterRoles {
  /** Rule index of each filter id (a rule's filters have consecutive ids). */
  filterRule: Uint32Array;
  /** Step index within its rule of each filter id (the until filter: steps.length). */
  filterStep: Uint32Array;
  /** 1 when the filter can start a match, 0 when it can only continue one. */
  starts: Uint8Array;
  /** Rule r's filter ids are [firstFilter[r], firstFilter[r + 1]). */
  firstFilter: Uint32Array;
  /** u32 words per record in a bitset over all filters. */
  wordsPerRecord: number;
  filterCount: number;
}

export function filterRoles(rules: readonly CheckedQuery[]): FilterRoles {
  const filterRule: number[] = [];
  const filterStep: number[] = [];
  const starts: number[] = [];
  const firstFilter: number[] = [];
  rules.forEach((q, r) => {
    firstFilter.push(filterRule.length);
    const firstReal = q.steps.findIndex((s) => !s.missing);
    q.steps.forEach((_, i) => {
      filterRule.push(r);
      filterStep.push(i);
      starts.push(q.kind !== 'sequence' || i <= firstReal ? 1 : 0);
    });
    if (q.until) {
      filterRule.push(r);
      filterStep.push(q.steps.length);
      starts.push(0);
    }
  });
  firstFilter.push(filterRule.length);
  return {
    filterRule: Uint32Array.from(filterRule),
    filterStep: Uint32Array.from(filterStep),
    starts: Uint8Array.from(starts),
    firstFilter: Uint32Array.from(firstFilter),
    wordsPerRecord: Math.ceil(filterRule.length / 32),
    filterCount: filterRule.length,
  };
}

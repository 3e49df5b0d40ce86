// Plans and runs the first pass of join-key pruning (key-gate.ts says why it is exact): picks the
// driver step from the events already read for schema inference, reads every input once with a
// line gate for that step alone, and collects the join keys of the events that match it.
import type { CompiledQuery } from '../engine/compiled.js';
import type { CheckedQuery } from '../eql/ir.js';
import { readRecords, type LineFilterSlot } from '../input/read-events.js';
import type { TimedEvent } from '../input/timed-events.js';
import { KeyGate, driverCandidates, keySegments, prunablePositions, type KeyPrunePlan } from './key-gate.js';
import { LineGate } from './line-gate.js';

/**
 * Pruning pays when one step is rare and another is common: the first pass then parses few lines
 * and the second skips many. Measured on the head (the events read for schema inference): the
 * driver must match at most 1 in DRIVER_SHARE of them, and some other step COMMONER times as many.
 */
const DRIVER_SHARE = 50;
const COMMONER = 8;

/** The pruning plan for a query, or undefined when pruning cannot apply or would not pay. */
export function planKeyPrune(checked: CheckedQuery, compiled: CompiledQuery, head: readonly TimedEvent[]): KeyPrunePlan | undefined {
  const positions = prunablePositions(checked);
  // Lineage terms (Elastic Endpoint) read a process table that every event must feed.
  if (positions === undefined || checked.steps.some((s) => s.filter.state)) return undefined;
  const counts = compiled.steps.map((s) => head.reduce((n, ev) => n + (s.filter.test(ev.view) ? 1 : 0), 0));
  let driver: number | undefined;
  for (const c of driverCandidates(checked)) {
    if (LineGate.forFilters([c.filter]) === undefined) continue; // its lines cannot be found unparsed
    if (driver === undefined || counts[c.index]! < counts[driver]!) driver = c.index;
  }
  if (driver === undefined) return undefined;
  const untilCount = compiled.until ? head.reduce((n, ev) => n + (compiled.until!.filter.test(ev.view) ? 1 : 0), 0) : 0;
  const commonest = Math.max(untilCount, ...counts.filter((_c, i) => i !== driver));
  const rare = counts[driver]! * DRIVER_SHARE <= head.length;
  const pays = commonest >= Math.max(1, counts[driver]!) * COMMONER;
  return rare && pays ? { driver, positions } : undefined;
}

/**
 * Reads `files` once and returns the gate that keeps only lines whose key may be a driver key;
 * undefined when a driver event has a key the text gate cannot compare (not one string per
 * position), which ends pruning for this query.
 */
export async function collectKeyGate(files: readonly string[], checked: CheckedQuery, compiled: CompiledQuery, plan: KeyPrunePlan, maxLineLength?: number): Promise<KeyGate | undefined> {
  const step = compiled.steps[plan.driver]!;
  const slot: LineFilterSlot = { filter: LineGate.forFilters([checked.steps[plan.driver]!.filter]), maxLineLength };
  const keys = plan.positions.map(() => new Set<string>());
  for (const file of files) {
    for await (const record of readRecords(file, undefined, slot)) {
      if (!step.filter.test(record.event)) continue;
      const values = step.keys(record.event);
      // An event with a missing key that may not be null never joins: it is in no result.
      if (values.some((v, p) => v.length === 0 && !step.keyNullable[p])) continue;
      for (let k = 0; k < plan.positions.length; k++) {
        const at = values[plan.positions[k]!]!;
        if (at.length === 0) return undefined; // a null key joins null keys, which text shows as absence
        for (const v of at) {
          if (typeof v !== 'string') return undefined;
          keys[k]!.add(v);
        }
      }
    }
  }
  return new KeyGate(plan.positions.map((p, k) => ({ segments: keySegments(checked, p), keys: keys[k]! })));
}

// Plans and runs the first pass of join-key pruning (key-gate.ts says why it is exact): picks the
// driver step from the events already read for schema inference, reads every input once with a
// line gate for that step alone, and collects the join keys of the events that match it.
import type { CompiledQuery, CompiledStep } from '../engine/compiled.js';
import type { CheckedQuery, TExpr } from '../eql/ir.js';
import { readRecords, type LineFilterSlot } from '../input/read-events.js';
import type { TimedEvent } from '../input/timed-events.js';
import { KeyGate, KeyHarvest, driverCandidates, keySegments, prunablePositions, type KeyPrunePlan } from './key-gate.js';
import { KeyIndex, type Span } from './key-index.js';
import { LineGate } from './line-gate.js';

/**
 * Whether pruning pays, judged on a sample of the head (the events read for schema inference).
 * The first pass parses the driver's lines and the query pass then skips the other steps' lines
 * whose keys the driver never matched, so it pays when the driver is not common (at most
 * 1 in DRIVER_SHARE sampled events), the other steps match at least OTHERS_OVER_DRIVER times as
 * many, and their keys are mostly not the driver's (at most SHARED_KEYS of them share one within
 * the sample; `by host.id` over a few hosts shares nearly all and is not pruned). Measured on
 * 500k events (bench/query.bench.mjs): a rare driver 3.8 → 1.3 s; a driver matching ~1 in 10
 * events against one matching ~1 in 3, 7.8 → 5.0 s.
 */
const DRIVER_SHARE = 4;
const OTHERS_OVER_DRIVER = 2;
const SHARED_KEYS = 0.5;
/**
 * A driver matching at most 1 in this many sampled events selects few lines, so the query pass
 * reads them where they are (key-index.ts) instead of reading the files again.
 */
const INDEXED_DRIVER_SHARE = 100;

/** The pruning plan for a query, or undefined when pruning cannot apply or would not pay. */
export function planKeyPrune(checked: CheckedQuery, compiled: CompiledQuery, sample: readonly TimedEvent[]): KeyPrunePlan | undefined {
  const positions = prunablePositions(checked);
  // Lineage terms (Elastic Endpoint) read a process table that every event must feed.
  if (positions === undefined || checked.steps.some((s) => s.filter.state)) return undefined;
  const matches = compiled.steps.map((s) => sample.filter((ev) => s.filter.test(ev.view)));
  let driver: number | undefined;
  for (const c of driverCandidates(checked)) {
    if (LineGate.forFilters([c.filter]) === undefined) continue; // its lines cannot be found unparsed
    if (driver === undefined || matches[c.index]!.length < matches[driver]!.length) driver = c.index;
  }
  if (driver === undefined) return undefined;
  const driverStep = compiled.steps[driver]!;
  const driverKeys = positions.map(() => new Set<unknown>());
  for (const ev of matches[driver]!) {
    const values = driverStep.keys(ev.view);
    positions.forEach((p, k) => values[p]!.forEach((v) => driverKeys[k]!.add(v)));
  }
  // Events of the other steps (and until), each once, with the step whose keys they would have.
  const others = new Map<TimedEvent, CompiledStep>();
  compiled.steps.forEach((s, i) => i !== driver && matches[i]!.forEach((ev) => others.set(ev, s)));
  if (compiled.until) for (const ev of sample) if (compiled.until.filter.test(ev.view)) others.set(ev, compiled.until);
  let shared = 0;
  for (const [ev, step] of others) {
    const values = step.keys(ev.view);
    if (positions.every((p, k) => values[p]!.some((v) => driverKeys[k]!.has(v)))) shared++;
  }
  const driverCount = matches[driver]!.length;
  const pays = driverCount * DRIVER_SHARE <= sample.length && others.size >= Math.max(1, driverCount) * OTHERS_OVER_DRIVER && shared <= others.size * SHARED_KEYS;
  const index = positions.length === 1 && driverCount * INDEXED_DRIVER_SHARE <= sample.length;
  return pays ? { driver, positions, index } : undefined;
}

/**
 * Reads `files` once and returns the gate that keeps only lines whose key may be a driver key;
 * undefined when a driver event has a key the text gate cannot compare (not one string per
 * position), which ends pruning for this query.
 */
/** What the first pass found: the key gate, and where the lines it keeps are when they were noted. */
export interface KeyPass {
  gate: KeyGate;
  /** Per file, in order: the lines to read (key-index.ts), or undefined to read every file again through the gate. */
  lines?: { index: KeyIndex; spans: Span[] }[];
}

export async function collectKeyGate(
  files: readonly string[], checked: CheckedQuery, compiled: CompiledQuery, plan: KeyPrunePlan, maxLineLength?: number, maxNotedLines?: number,
): Promise<KeyPass | undefined> {
  const step = compiled.steps[plan.driver]!;
  const keys = plan.positions.map(() => new Set<string>());
  const gate = LineGate.forFilters([checked.steps[plan.driver]!.filter])!;
  // Most driver lines give their keys from their text (KeyHarvest) and are not parsed: a superset
  // of the keys of the lines that really match, which keeps every line a result can need. Not
  // where the driver's key may be null: the text cannot show that a null key is the one it has.
  const harvest = plan.positions.every((p) => !step.keyNullable[p]) ? new KeyHarvest(plan.positions.map((p) => lastSegment(checked.steps[plan.driver]!.keys[p]!))) : undefined;
  const indexes: KeyIndex[] = [];
  let index: KeyIndex | undefined;
  const slot: LineFilterSlot = {
    maxLineLength,
    filter: {
      skipped: 0,
      mayMatch(text, start, end) {
        index?.note(text, start, end);
        if (!gate.mayMatch(text, start, end)) return false;
        const found = harvest?.read(text, start, end);
        if (found === undefined) return true;
        found.forEach((values, k) => values.forEach((v) => keys[k]!.has(v) || keys[k]!.add(ownCopy(v))));
        return false;
      },
    },
  };
  let indexed = plan.index;
  // Bad input ends pruning rather than the query: the query pass then reports it where it is,
  // after the results before it, as without pruning.
  try {
    for (const file of files) {
      if (indexed) indexes.push((index = new KeyIndex(keySegments(checked, plan.positions[0]!), maxNotedLines)));
      slot.nonAscii = false;
      if (!(await collectFile(file, slot, step, plan, keys))) return undefined;
      // Offsets in characters are bytes only in an ASCII file; a full index was given up.
      if (slot.nonAscii || index?.full) {
        indexed = false;
        index = undefined;
        indexes.length = 0;
      }
    }
  } catch {
    return undefined;
  }
  const keyGate = new KeyGate(plan.positions.map((p, k) => ({ segments: keySegments(checked, p), keys: keys[k]! })));
  if (!indexed) return { gate: keyGate };
  return { gate: keyGate, lines: indexes.map((index) => ({ index, spans: index.select(keys[0]!) })) };
}

/** Adds a file's driver keys to `keys`; returns false when a driver key is one the text gate cannot compare. */
async function collectFile(file: string, slot: LineFilterSlot, step: CompiledStep, plan: KeyPrunePlan, keys: Set<string>[]): Promise<boolean> {
  for await (const record of readRecords(file, undefined, slot)) {
    if (!step.filter.test(record.event)) continue;
    const values = step.keys(record.event);
    // An event with a missing key that may not be null never joins: it is in no result.
    if (values.some((v, p) => v.length === 0 && !step.keyNullable[p])) continue;
    for (let k = 0; k < plan.positions.length; k++) {
      const at = values[plan.positions[k]!]!;
      if (at.length === 0) return false; // a null key joins null keys, which text shows as absence
      for (const v of at) {
        if (typeof v !== 'string') return false;
        keys[k]!.add(v);
      }
    }
  }
  return true;
}

/**
 * A string with its own characters. Text sliced from a read chunk (64 KiB) is a view that keeps
 * the whole chunk alive, and a key set of such views kept ~450 MB of chunks on a 580 MB file.
 * (V8 returns `(' ' + s).slice(1)` as the same view; a round trip through bytes does not.
 * Decoded text holds no lone surrogate, so the trip is exact.)
 */
function ownCopy(s: string): string {
  return Buffer.from(s, 'utf8').toString('utf8');
}

function lastSegment(key: TExpr): string {
  return key.kind === 'field' ? key.segments[key.segments.length - 1]! : '';
}

// The compile-path switch for records: a ruleset (many checked queries) becomes CompiledQuerys
// whose filters either read the bits a batch evaluation left behind (engine 'wasm') or run the
// interpreter over the record (engine 'interp'). Join keys always use the interpreter's
// extractors over records. The streaming engine sees ordinary CompiledQuerys either way; the
// caller evaluates each batch before pushing its events (RecordEvent.index = position in batch).
import type { CompiledFilter, CompiledQuery } from '../../engine/compiled.js';
import type { RecordLayout } from '../../record/layout.js';
import { compileQuery } from '../compile.js';
import type { CheckedFilter, CheckedQuery } from '../ir.js';
import { WasmPredicateSet, type PredicateOptions } from './evaluator.js';
import { RecordEvent, recordFieldAccessor } from './record-access.js';

export type PredicateEngine = 'wasm' | 'interp';

/** The engine the detection pipeline uses when none is asked for. */
export const DEFAULT_PREDICATE_ENGINE: PredicateEngine = 'wasm';

export interface RecordRulesetOptions extends PredicateOptions {
  engine: PredicateEngine;
}

export interface RecordRuleset {
  /** One per input query, in order. */
  queries: CompiledQuery[];
  /**
   * Evaluates every filter of every query over a batch (no-op for 'interp'). Call it before the
   * batch's events reach the engine; the filters answer for the last batch evaluated.
   */
  evaluateBatch(bytes: Uint8Array, offsets: ArrayLike<number>, count: number): void;
  /** The Wasm predicate set ('wasm' only): counters, module, bitsets. */
  predicates?: WasmPredicateSet;
}

export async function compileRulesetForRecords(rules: readonly CheckedQuery[], layout: RecordLayout, opts: RecordRulesetOptions): Promise<RecordRuleset> {
  const accessor = recordFieldAccessor(layout);
  const queries = rules.map((r) => compileQuery(r, { accessor }));
  if (opts.engine === 'interp') return { queries, evaluateBatch: () => {} };

  const filters: CheckedFilter[] = [];
  for (const r of rules) {
    for (const s of r.steps) filters.push(s.filter);
    if (r.until) filters.push(r.until.filter);
  }
  const set = await WasmPredicateSet.create({ filters }, layout, opts);
  let next = 0;
  const bitFilter = (category: string | null): CompiledFilter => {
    const id = next++;
    return { category, test: (ev) => set.matches((ev as RecordEvent).index, id) };
  };
  for (const q of queries) {
    for (const s of q.steps) s.filter = bitFilter(s.filter.category);
    if (q.until) q.until.filter = bitFilter(q.until.filter.category);
  }
  return {
    queries,
    evaluateBatch: (bytes, offsets, count) => {
      set.evaluateBatch(bytes, offsets, count);
    },
    predicates: set,
  };
}

export { RecordEvent };

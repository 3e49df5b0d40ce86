// Generating a ruleset's fuel-metered predicate module: the code generator, loaded only by whoever
// builds a module (the build thread, or a cold start without one). A warm start instantiates a
// cached module and never loads it (evaluator.ts).
import type { RecordLayout } from '../../record/layout.js';
import { PredicateModuleGenerator, type PredicateModule } from './module.js';
import type { CheckedFilter } from '../ir.js';

export interface BuiltPredicates {
  /** The fuel-instrumented module. */
  bytes: Uint8Array;
  /** Predicate id of each filter (its bit position within a record's words). */
  predicateIds: number[];
  /** Its facts; `bytes` there is empty (the module as generated is never built). */
  module: PredicateModule;
}

/**
 * Generates the metered module for a ruleset's filters over one record layout: each function is
 * metered as it is generated (the bytes of instrumentFuel over the generated module, without
 * parsing it again).
 */
export function buildPredicates(filters: readonly CheckedFilter[], layout: RecordLayout): BuiltPredicates {
  const generator = new PredicateModuleGenerator(layout, true);
  generator.add(filters);
  return finishPredicates(generator);
}

/** The module of a generator constructed metered, to which every filter was added. */
export function finishPredicates(generator: PredicateModuleGenerator): BuiltPredicates {
  const { bytes, module } = generator.finishMetered();
  return { bytes, predicateIds: Array.from({ length: module.predicateCount }, (_, i) => i), module };
}

export { PredicateModuleGenerator } from './module.js';

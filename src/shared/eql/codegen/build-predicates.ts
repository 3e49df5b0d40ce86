// Generating and fuel-instrumenting a ruleset's predicate module: the code generator and the
// instrumenter, loaded only by whoever builds a module (the build thread, or a cold start without
// one). A warm start instantiates a cached module and never loads them (evaluator.ts).
import type { RecordLayout } from '../../record/layout.js';
import { instrumentFuel } from '../../wasm/fuel.js';
import { generatePredicateModule, type PredicateModule } from './module.js';
import type { CheckedFilter } from '../ir.js';

export interface BuiltPredicates {
  /** The fuel-instrumented module. */
  bytes: Uint8Array;
  /** Predicate id of each filter (its bit position within a record's words). */
  predicateIds: number[];
  module: PredicateModule;
}

/** Generates and instruments the module for a ruleset's filters over one record layout. */
export function buildPredicates(filters: readonly CheckedFilter[], layout: RecordLayout): BuiltPredicates {
  return instrumentPredicates(generatePredicateModule(filters, layout));
}

/** Fuel-instruments a generated module (PredicateModuleGenerator.finish()). */
export function instrumentPredicates(module: PredicateModule): BuiltPredicates {
  const bytes = instrumentFuel(module.bytes, { type: 'i64', initialFuel: 0 });
  return { bytes, predicateIds: Array.from({ length: module.predicateCount }, (_, i) => i), module };
}

export { PredicateModuleGenerator } from './module.js';

// Piscina task: a ruleset's Wasm predicate module, built off the main thread. Checks the rules
// against the schema exactly as partition workers do (so the filters, and the predicate ids, are
// the same), then generates, instruments and compiles the module. The result clones back to main
// with the compiled code shared, and main hands it on to every partition worker.
//
// A cold start streams instead (StreamedBuildTask): main sends the filters of each few rules as it
// checks them, this thread generates (and fuel-meters) their functions at once, and at the end it
// only adds the batch loop, encodes and compiles. The module is the same bytes; most of its
// generation then overlaps main's checking of the corpus.
import { WasmPredicateSet, type PreparedPredicates } from '../shared/eql/codegen/evaluator.js';
import type { MessagePort } from 'node:worker_threads';
import { buildLayout } from '../shared/record/layout.js';
import { schemaFromDescription, type SchemaDescription } from '../shared/record/schema-desc.js';
import { checkRuleset, checkSchemaFor, predicateFilters, type RuleSpec } from '../shared/pipeline/ruleset.js';
import { seedParsedQueries } from '../shared/eql/parser.js';
import type { Query } from '../shared/eql/ast.js';
import type { CheckedFilter } from '../shared/eql/ir.js';
import { importFilters, type CheckedTransfer } from '../shared/eql/filter-transfer.js';

export interface PredicateModuleTask {
  rules: RuleSpec[];
  schema: SchemaDescription;
  /** The queries already parsed by main (parser.ts exportParsedQueries): not parsed again here. */
  parsed?: [string, Query][];
  /**
   * The rules' predicate filters as main checked them (filter-transfer.ts exportFilters, in
   * predicateFilters order): neither parsed nor checked again here (~0.15 s of a cold start).
   */
  filters?: CheckedTransfer;
}

export interface PredicateModuleTaskResult {
  prepared: PreparedPredicates;
  /** The instrumented module's bytes, for main's disk cache. */
  bytes: Uint8Array;
  /** Parsing and checking the rules, before generation (or taking main's filters). */
  checkMs: number;
  /** Whether the filters were main's (task.filters) rather than checked here. */
  handedOver: boolean;
  /** Built by a streamed build (StreamedBuildTask) rather than in one task. */
  streamed: boolean;
}

/**
 * A streamed build: one task that holds this thread while main sends, on `port`, the filters of
 * each few rules as it checks them (exportFilters), then `finish` (the module is returned) or
 * `abort` (a rule failed its check: the module would be another one; null is returned).
 */
export interface StreamedBuildTask {
  stream: MessagePort;
  schema: SchemaDescription;
}

export type StreamMessage = { filters: CheckedTransfer } | { finish: true } | { abort: true };

async function streamedBuild(task: StreamedBuildTask): Promise<PredicateModuleTaskResult | null> {
  const { PredicateModuleGenerator } = await import('../shared/eql/codegen/build-predicates.js');
  const generator = new PredicateModuleGenerator(buildLayout(schemaFromDescription(task.schema)), true);
  const startedAt = performance.now();
  let importMs = 0;
  const port = task.stream;
  // One listener for the whole build, queueing what arrives while a batch is being generated.
  const queued: StreamMessage[] = [];
  let wake: (() => void) | null = null;
  port.on('message', (m: StreamMessage) => {
    queued.push(m);
    wake?.();
  });
  const next = async (): Promise<StreamMessage> => {
    while (queued.length === 0) await new Promise<void>((resolve) => (wake = resolve));
    wake = null;
    return queued.shift()!;
  };
  try {
    for (;;) {
      const message = await next();
      if ('abort' in message) return null;
      if ('finish' in message) break;
      const t0 = performance.now();
      const filters = importFilters(message.filters);
      importMs += performance.now() - t0;
      generator.add(filters);
    }
  } finally {
    port.close();
  }
  let bytes: Uint8Array = new Uint8Array(0);
  const prepared = await WasmPredicateSet.prepareGenerated(generator, startedAt, (b) => (bytes = b));
  return { prepared, bytes, checkMs: importMs, handedOver: true, streamed: true };
}

/** `null` only warms the thread up: loads the parser, checker and code generator. */
export default async function predicateModuleTask(task: PredicateModuleTask | StreamedBuildTask | null): Promise<PredicateModuleTaskResult | null> {
  if (task === null) {
    await import('../shared/eql/codegen/build-predicates.js');
    return null;
  }
  if ('stream' in task) return streamedBuild(task);
  const schema = schemaFromDescription(task.schema);
  const started = performance.now();
  let filters: CheckedFilter[];
  if (task.filters !== undefined) filters = importFilters(task.filters);
  else {
    if (task.parsed) seedParsedQueries(task.parsed);
    filters = predicateFilters(checkRuleset(task.rules, checkSchemaFor(schema)));
  }
  const checkMs = performance.now() - started;
  let bytes: Uint8Array = new Uint8Array(0);
  const prepared = await WasmPredicateSet.prepare({ filters }, buildLayout(schema), (b) => (bytes = b));
  return { prepared, bytes, checkMs, handedOver: task.filters !== undefined, streamed: false };
}

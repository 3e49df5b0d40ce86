// The processor of a predicate helper: a worker of a replay whose state stays on the main thread
// (main/pipeline/detection.ts stateOnMain). It only evaluates predicate jobs, so it builds the
// predicate stage alone: no compiled steps, no state stage, no lineage. That is less start-up work
// (the helper is ready sooner, and main evaluates less meanwhile) and less memory.
import type { AlertOut, Processor } from '../processor.js';
import type { RecordLayout } from '../../shared/record/layout.js';
import { checkRuleset, checkSchemaFor, predicateFilters } from '../../shared/pipeline/ruleset.js';
import { DEFAULT_PREDICATE_ENGINE } from '../../shared/eql/codegen/ruleset.js';
import { PredicateStage } from './predicate-stage.js';
import { importFilters } from '../../shared/eql/filter-transfer.js';
import type { EqlProcessorConfig } from '../eql-processor.js';

/**
 * Failpoint for crash tests: with KESTREL_FAILPOINT_CRASH_JOB=N in the environment, a helper throws
 * on the Nth predicate job it evaluates, as a bug in evaluation would. Read once.
 */
const CRASH_JOB = Number(process.env.KESTREL_FAILPOINT_CRASH_JOB ?? 0);

export class PredicateHelper implements Processor {
  /** The stage for `config`'s rules; with `complete`, the predicate module comes from there. */
  static async create(config: EqlProcessorConfig, layout: RecordLayout, checkSchema: ReturnType<typeof checkSchemaFor>, complete?: Promise<EqlProcessorConfig>): Promise<PredicateHelper> {
    const filters = config.filters !== undefined ? importFilters(config.filters) : predicateFilters(checkRuleset(config.rules, checkSchema));
    if (complete) config = await complete;
    const stage = await PredicateStage.create(filters, layout, checkSchema, config.engine ?? DEFAULT_PREDICATE_ENGINE, config.predicates);
    return new PredicateHelper(stage);
  }

  private jobs = 0;

  private constructor(private readonly predicates: PredicateStage) {}

  get predicateWords(): number {
    return this.predicates.wordsPerRecord;
  }

  evaluatePredicates(bytes: Uint8Array, offsets: ArrayLike<number>, count: number): Uint32Array {
    if (CRASH_JOB > 0 && ++this.jobs === CRASH_JOB) throw new Error(`failpoint KESTREL_FAILPOINT_CRASH_JOB=${CRASH_JOB} reached`);
    return this.predicates.evaluate(bytes, offsets, count);
  }

  onEvent(): void {
    throw new Error('internal: a record reached a predicate helper (it takes predicate jobs only)');
  }

  onWatermark(_seq: number, _timeMs: number, _emit: (a: AlertOut) => void): void {}

  onEnd(_emit: (a: AlertOut) => void): void {}

  progressFloor(): number {
    return Infinity;
  }

  stateEntries(): number {
    return 0;
  }

  evictions(): number {
    return 0;
  }
}

// Live mode's first events used to meet cold code: V8 runs new JavaScript in its interpreter and
// compiles the predicate module's functions on first call, so the first second of a live run
// evaluated events several times slower than later ones (a 1,089-event batch took 195 ms instead
// of ~15 ms on the 2-vCPU VM). At 50k events/s the backlog from that second took seconds to clear:
// p99 ingest→alert latency after the first second was ~400 ms in bench/replay.bench.mjs.
//
// So before a live pipeline takes its first real event, synthetic host activity (kestrel synth's
// generator, attacks included) runs through a throwaway single-thread pipeline with the same
// rules: the same classes and the same compiled predicate module, so V8 has compiled and
// optimised the hot path by then. Its alerts go nowhere and its state is dropped; the real
// pipeline's output never depends on it. Only this thread is warmed: partition workers run their
// own copies of the code.
import { performance } from 'node:perf_hooks';
import type { RecordLayout } from '../../shared/record/layout.js';
import { logger } from '../../shared/log.js';

export interface WarmUpBudget {
  /** Synthetic events at most. */
  events: number;
  /** Stop after this long (ms), whatever is left. */
  ms: number;
}

/** ~1 s on the 2-vCPU VM: enough for the hot path to be optimised (no slow batch after it). */
export const DEFAULT_WARM_UP: WarmUpBudget = { events: 20_000, ms: 1_500 };

/** What the warm-up drives: a pipeline's batch interface. */
export interface WarmUpTarget {
  pushRecords(bytes: Uint8Array, offsets: ArrayLike<number>, count: number): void;
  flush(): Promise<void>;
  finish(): Promise<number>;
}

const BATCH_RECORDS = 1024;
/** Event time between the starts of two batches: more than a batch spans (~1 s), so time only moves on. */
const BATCH_SPAN_MS = 60_000;

/**
 * Pushes synthetic records through `target` within the budget, then finishes it. Records are made
 * a batch at a time (each batch its own short synthetic host history, later in time than the
 * last), so making them counts against the time budget too, and the first batch always runs:
 * under load, generating all of them first could use the whole budget.
 */
export async function warmUp(target: WarmUpTarget, layout: RecordLayout, budget: WarmUpBudget = DEFAULT_WARM_UP): Promise<{ events: number; ms: number }> {
  const started = performance.now();
  // Loaded here: only a live start needs the generator.
  const { DEFAULT_START, synthesize } = await import('../../shared/synth/generate.js');
  const epoch = Date.parse(DEFAULT_START);
  let events = 0;
  try {
    for (let batchNo = 0; events < budget.events && (batchNo === 0 || performance.now() - started < budget.ms); batchNo++) {
      const records: Uint8Array[] = [];
      const options = {
        scenario: 'mixed' as const,
        events: Math.min(BATCH_RECORDS, budget.events - events),
        seed: `kestrel warm-up ${batchNo}`,
        attackRate: 0.02,
        firstSeq: events + 1,
        start: new Date(epoch + batchNo * BATCH_SPAN_MS).toISOString(),
      };
      synthesize(layout, options, (bytes, length) => {
        records.push(bytes.slice(0, length));
      });
      const offsets = new Uint32Array(records.length);
      let size = 0;
      records.forEach((r, k) => {
        offsets[k] = size;
        size += r.length;
      });
      const bytes = new Uint8Array(size);
      records.forEach((r, k) => bytes.set(r, offsets[k]));
      target.pushRecords(bytes, offsets, records.length);
      await target.flush();
      events += records.length;
    }
  } finally {
    await target.finish();
  }
  const ms = performance.now() - started;
  logger().debug({ events, ms: Math.round(ms) }, 'live pipeline warmed up');
  return { events, ms };
}

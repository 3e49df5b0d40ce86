// The predicate stage: stateless, so it runs once per event on whichever thread has the records
// (main ahead of the partition workers, or the single-thread pipeline). A batch of records in, one
// bitset per record out: bit id set when step predicate `id` (predicateFilters order) is true.
//
// Behind the discriminator index (eql/prefilter.ts, read from record bytes in place by
// prefilter-record.ts) only candidate predicates run at all: with engine 'wasm' one call of the
// ruleset's predicate module per batch, which also tests each record's category once; with
// 'interp' the interpreter, per candidate. Both give the same bits.
import { ValueBytesCache } from '../../shared/record/value-bytes-cache.js';
import type { RecordLayout } from '../../shared/record/layout.js';
import { RecordView } from '../../shared/record/view.js';
import { decodeField } from '../../shared/record/decode.js';
import { RecordEvent, recordFieldAccessor, slotFieldId } from '../../shared/eql/record-access.js';
import { FilterIndex } from '../../shared/eql/prefilter.js';
import { RecordCandidateWriter } from '../../shared/eql/prefilter-record.js';
import { compileFilter } from '../../shared/eql/compile.js';
import { WasmPredicateSet, type CandidateSelector, type PredicateCounters, type PreparedPredicates } from '../../shared/eql/codegen/evaluator.js';
import type { PredicateEngine } from '../../shared/eql/codegen/ruleset.js';
import type { CheckedFilter } from '../../shared/eql/ir.js';
import type { Value } from '../../shared/engine/compiled.js';
import type { BuiltSchema } from '../../shared/schema/schema.js';
import { PredicateProfile } from './predicate-profile.js';

/**
 * The first records of a stage are interpreted even when its predicate module is ready: V8
 * compiles a module's functions lazily, on their first call, and the first batch paid ~100 ms of
 * compiles on the AMD VM. A short run (a 1k-event capture) is over before that pays back; a long
 * one pays it a batch later (1k events with 435 rules at w0: median ~950 → ~905 ms over 8
 * alternating runs). V8 itself starts JS in its interpreter. Same bits either way.
 */
export const INTERPRET_FIRST_RECORDS = 2048;

export class PredicateStage {
  /**
   * The stage for `filters` (every step filter of a ruleset). Engine 'wasm' instantiates the
   * prepared module (built once per ruleset generation, main/predicate-module-pool.ts) or, without
   * one, builds its own.
   */
  static async create(filters: CheckedFilter[], layout: RecordLayout, checkSchema: BuiltSchema, engine: PredicateEngine, prepared?: PreparedPredicates): Promise<PredicateStage> {
    let wasm: WasmPredicateSet | undefined;
    if (engine === 'wasm') {
      wasm = prepared ? WasmPredicateSet.fromPrepared({ filters }, layout, prepared) : await WasmPredicateSet.create({ filters }, layout);
    }
    return new PredicateStage(filters, layout, checkSchema, wasm);
  }

  /**
   * Engine 'wasm' whose module is still compiling: the interpreter evaluates until `prepared`
   * resolves, then the module takes over (both give the same bits, so nothing downstream can
   * tell). Start-up no longer waits for the compile. A failed build is thrown by the next
   * evaluate(), as a failing start() would have been.
   */
  static pending(filters: CheckedFilter[], layout: RecordLayout, checkSchema: BuiltSchema, prepared: Promise<PreparedPredicates | undefined>): PredicateStage {
    const stage = new PredicateStage(filters, layout, checkSchema, undefined);
    prepared.then(
      (p) => {
        if (p) stage.wasm = WasmPredicateSet.fromPrepared({ filters }, layout, p);
      },
      (e: unknown) => {
        stage.failure = e;
      },
    );
    return stage;
  }

  /** The error of a pending module's build, thrown by the next evaluate(). */
  private failure: unknown = undefined;

  readonly wordsPerRecord: number;
  private readonly index: FilterIndex;
  private readonly candidateWriter: RecordCandidateWriter;
  private readonly selectCandidates: CandidateSelector;
  /**
   * Interpreter: each filter's test, compiled on first use (a Wasm stage, warm, never needs one),
   * and the filters each category value allows (cached).
   */
  private readonly tests: (((ev: RecordEvent) => boolean) | undefined)[] = [];
  private readonly accessor: ReturnType<typeof recordFieldAccessor>;
  private readonly allowedByCategory = new ValueBytesCache<Uint32Array>(32);
  private readonly ev: RecordEvent;
  private readonly probe: RecordView;
  private readonly categoryId: number;
  private interpBits = new Uint32Array(0);
  /** `kestrel replay --profile`: per-filter counts (null when not profiling). */
  private profile: PredicateProfile | null = null;
  private evaluatedWords = new Uint32Array(0);

  private constructor(
    private readonly filters: CheckedFilter[],
    layout: RecordLayout,
    checkSchema: BuiltSchema,
    private wasm: WasmPredicateSet | undefined,
  ) {
    this.wordsPerRecord = Math.ceil(filters.length / 32);
    this.index = new FilterIndex(filters);
    const accessor = recordFieldAccessor(layout);
    this.candidateWriter = new RecordCandidateWriter(this.index, layout, (path) => {
      const def = checkSchema.lookup(path);
      return {
        read: accessor({ path, segments: path.split('.'), def }) as (ev: RecordEvent) => Value | undefined,
        slot: def?.nullValue === undefined ? slotFieldId(layout, path) : -1,
      };
    });
    this.selectCandidates = (ev, words, at) => this.candidateWriter.write(ev, words, at);
    this.accessor = accessor;
    this.ev = new RecordEvent(layout, new Uint8Array(0), 0);
    this.probe = new RecordView(layout);
    this.categoryId = layout.fieldId(checkSchema.aliasOf('event.category') ?? 'event.category');
  }

  /**
   * The bits of `count` records at `offsets` in `bytes`: record i's are words
   * [i * wordsPerRecord, (i + 1) * wordsPerRecord) of the result, valid until the next call.
   */
  evaluate(bytes: Uint8Array, offsets: ArrayLike<number>, count: number): Uint32Array {
    if (this.failure !== undefined) throw this.failure;
    if (this.profile !== null) return this.evaluateProfiled(bytes, offsets, count);
    return this.evaluateBits(bytes, offsets, count);
  }

  /** Starts counting, per filter, evaluations and true results (PredicateProfile). */
  enableProfile(): PredicateProfile {
    this.profile ??= new PredicateProfile(this.filters.length, this.wordsPerRecord);
    return this.profile;
  }

  /**
   * Nanoseconds one evaluation of each filter costs, timed afterwards on the profile's sample: the
   * sample batch run with only that filter's evaluations, less the batch run with none (the loop
   * and category tests), repeated until the run is long enough to time. With the Wasm engine each
   * batch is loaded into the module once and re-run (no record copies in the timing). NaN for a
   * filter the sample never evaluated.
   */
  calibrate(): Float64Array {
    const p = this.profile;
    const cost = new Float64Array(this.filters.length).fill(NaN);
    if (p === null || p.sampleCount === 0) return cost;
    const W = this.wordsPerRecord;
    const calls = new Float64Array(this.filters.length);
    const ms = new Float64Array(this.filters.length);
    for (let b = 0; b < p.sampleBytes.length; b++) {
      const bytes = p.sampleBytes[b]!;
      const offsets = p.sampleOffsets[b]!;
      const candidates = p.sampleCandidates[b]!;
      const present = new Set<number>();
      for (let i = 0; i < candidates.length; i++) {
        let w = candidates[i]!;
        while (w !== 0) {
          const low = w & -w;
          w ^= low;
          const f = ((i % W) << 5) + 31 - Math.clz32(low);
          calls[f]!++;
          present.add(f);
        }
      }
      const run = this.calibrationRun(bytes, offsets, candidates);
      // Repeats so that one timed run of the batch takes at least ~0.3 ms.
      let reps = 1;
      for (let t = timed(run, -1, 1); t < 0.3 && reps < 4096; t *= 2) reps *= 2;
      const base = timed(run, -1, reps);
      for (const f of present) {
        try {
          ms[f]! += Math.max(0, timed(run, f, reps) - base) / reps;
        } catch {
          calls[f] = -Infinity; // trapped (fuel): no figure rather than a wrong one
        }
      }
    }
    for (let f = 0; f < this.filters.length; f++) if (calls[f]! > 0) cost[f] = (ms[f]! * 1e6) / calls[f]!;
    return cost;
  }

  /** Runs one sample batch with only filter f's evaluations (f < 0: none). */
  private calibrationRun(bytes: Uint8Array, offsets: readonly number[], candidates: Uint32Array): (f: number) => void {
    const W = this.wordsPerRecord;
    if (!this.wasm) return (f) => this.evaluateOnly(f, bytes, offsets, candidates);
    const wasm = this.wasm;
    let only = -1;
    const select: CandidateSelector = (_ev, words, at) => {
      words.fill(0, at, at + W);
      if (only >= 0) words[at + (only >>> 5)] = candidates[at + (only >>> 5)]! & (1 << (only & 31));
    };
    wasm.evaluateBatch(bytes, offsets, offsets.length, select);
    return (f) => {
      only = f;
      wasm.rerun(select);
    };
  }

  /** Evaluates filter f alone (f < 0: none) on the records where `candidates` says it ran. */
  private evaluateOnly(f: number, bytes: Uint8Array, offsets: readonly number[], candidates: Uint32Array): void {
    const W = this.wordsPerRecord;
    const word = f >>> 5;
    const bit = 1 << (f & 31);
    if (this.wasm) {
      this.wasm.evaluateBatch(bytes, offsets, offsets.length, (_ev, words, at) => {
        words.fill(0, at, at + W);
        if (f >= 0) words[at + word] = candidates[at + word]! & bit;
      });
      return;
    }
    if (f < 0) return;
    const test = this.testOf(f);
    for (let r = 0; r < offsets.length; r++) if (candidates[r * W + word]! & bit) test(this.ev.reset(bytes, offsets[r]!, 0));
  }

  /** evaluate() while profiling: the evaluated predicates of each record are counted too. */
  private evaluateProfiled(bytes: Uint8Array, offsets: ArrayLike<number>, count: number): Uint32Array {
    const W = this.wordsPerRecord;
    if (this.evaluatedWords.length < count * W) this.evaluatedWords = new Uint32Array(count * W * 2);
    const evaluated = this.evaluatedWords;
    for (let r = 0; r < count; r++) {
      this.candidateWriter.write(this.ev.reset(bytes, offsets[r]!, 0), evaluated, r * W);
      const allowed = this.allowed(bytes, offsets[r]!);
      for (let w = 0; w < W; w++) evaluated[r * W + w] = evaluated[r * W + w]! & allowed[w]!;
    }
    const bits = this.evaluateBits(bytes, offsets, count);
    this.profile!.count(bytes, offsets, count, evaluated, bits);
    return bits;
  }

  /** Records the interpreter still takes before the module does (INTERPRET_FIRST_RECORDS). */
  private interpretLeft = INTERPRET_FIRST_RECORDS;

  /**
   * Lets the module take every record from the first (live mode: its warm-up copy's batches
   * compile the module's functions before real events arrive, and a real event must not wait for
   * the interpreter).
   */
  moduleFromStart(): this {
    this.interpretLeft = 0;
    return this;
  }

  private evaluateBits(bytes: Uint8Array, offsets: ArrayLike<number>, count: number): Uint32Array {
    // Records interpreted while the module was still compiling count too.
    const interpret = this.interpretLeft > 0;
    if (interpret) this.interpretLeft -= count;
    if (this.wasm && !interpret) return this.wasm.evaluateBatch(bytes, offsets, count, this.selectCandidates);
    const W = this.wordsPerRecord;
    if (this.interpBits.length < W * count) this.interpBits = new Uint32Array(W * count * 2);
    const bits = this.interpBits;
    for (let r = 0; r < count; r++) {
      const ev = this.ev.reset(bytes, offsets[r]!, 0);
      const at = r * W;
      this.candidateWriter.write(ev, bits, at);
      const allowed = this.allowed(bytes, offsets[r]!);
      for (let w = 0; w < W; w++) {
        let word = bits[at + w]! & allowed[w]!;
        let out = 0;
        while (word !== 0) {
          const low = word & -word;
          word ^= low;
          const id = (w << 5) + 31 - Math.clz32(low);
          if ((this.tests[id] ?? this.testOf(id))(ev)) out |= low;
        }
        bits[at + w] = out;
      }
    }
    return bits;
  }

  private testOf(id: number): (ev: RecordEvent) => boolean {
    return (this.tests[id] ??= compileFilter(this.filters[id]!, this.accessor).test as (ev: RecordEvent) => boolean);
  }

  /** Predicate module counters (batches, records, fallbacks); undefined for 'interp'. */
  get counters(): PredicateCounters | undefined {
    return this.wasm?.counters;
  }

  /** Interpreter: the filters whose category the record has (or that take any), as a bitset. */
  private allowed(bytes: Uint8Array, offset: number): Uint32Array {
    // A handful of category values, compared as bytes in place (as the state stage does).
    return this.allowedByCategory.get(this.probe.reset(bytes, offset), this.categoryId, this.allowedFor);
  }

  /** The allowed-filters mask for the category value(s) at `view` (decoded: a cache miss). */
  private readonly allowedFor = (view: RecordView): Uint32Array => {
    const cats: unknown = this.categoryId >= 0 ? decodeField(view, this.categoryId) : undefined;
    const has = (c: string) => cats === c || (Array.isArray(cats) && cats.includes(c));
    const mask = new Uint32Array(this.wordsPerRecord);
    this.filters.forEach((f, id) => {
      if (f.category === null || has(f.category)) mask[id >>> 5] = mask[id >>> 5]! | (1 << (id & 31));
    });
    return mask;
  };

}

/** Best of three timings, in ms, of `reps` runs of `run(f)`. */
function timed(run: (f: number) => void, f: number, reps: number): number {
  let best = Infinity;
  for (let round = 0; round < 3; round++) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) run(f);
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

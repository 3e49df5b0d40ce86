// The predicate stage: stateless, so it runs once per event on whichever thread has the records
// (main ahead of the partition workers, or the single-thread pipeline). A batch of records in, one
// bitset per record out: bit id set when step predicate `id` (predicateFilters order) is true.
//
// Behind the discriminator index (eql/prefilter.ts, read from record bytes in place by
// prefilter-record.ts) only candidate predicates run at all: with engine 'wasm' one call of the
// ruleset's predicate module per batch, which also tests each record's category once; with
// 'interp' the interpreter, per candidate. Both give the same bits.
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

  readonly wordsPerRecord: number;
  private readonly index: FilterIndex;
  private readonly candidateWriter: RecordCandidateWriter;
  private readonly selectCandidates: CandidateSelector;
  /** Interpreter: each filter's test, and the filters each category value allows (cached). */
  private tests: ((ev: RecordEvent) => boolean)[] = [];
  private readonly allowedByCategory = new Map<string, Uint32Array>();
  private readonly ev: RecordEvent;
  private readonly probe: RecordView;
  private readonly categoryId: number;
  private interpBits = new Uint32Array(0);

  private constructor(
    private readonly filters: CheckedFilter[],
    layout: RecordLayout,
    checkSchema: BuiltSchema,
    private readonly wasm: WasmPredicateSet | undefined,
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
    if (!wasm) this.tests = filters.map((f) => compileFilter(f, accessor).test as (ev: RecordEvent) => boolean);
    this.ev = new RecordEvent(layout, new Uint8Array(0), 0);
    this.probe = new RecordView(layout);
    this.categoryId = layout.fieldId(checkSchema.aliasOf('event.category') ?? 'event.category');
  }

  /**
   * The bits of `count` records at `offsets` in `bytes`: record i's are words
   * [i * wordsPerRecord, (i + 1) * wordsPerRecord) of the result, valid until the next call.
   */
  evaluate(bytes: Uint8Array, offsets: ArrayLike<number>, count: number): Uint32Array {
    if (this.wasm) return this.wasm.evaluateBatch(bytes, offsets, count, this.selectCandidates);
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
          if (this.tests[(w << 5) + 31 - Math.clz32(low)]!(ev)) out |= low;
        }
        bits[at + w] = out;
      }
    }
    return bits;
  }

  /** Predicate module counters (batches, records, fallbacks); undefined for 'interp'. */
  get counters(): PredicateCounters | undefined {
    return this.wasm?.counters;
  }

  /** Interpreter: the filters whose category the record has (or that take any), as a bitset. */
  private allowed(bytes: Uint8Array, offset: number): Uint32Array {
    this.probe.reset(bytes, offset);
    const cats: unknown = this.categoryId >= 0 ? decodeField(this.probe, this.categoryId) : undefined;
    const key = typeof cats === 'string' ? cats : Array.isArray(cats) ? cats.join('\u0000') : '';
    let mask = this.allowedByCategory.get(key);
    if (mask === undefined) {
      const has = (c: string) => cats === c || (Array.isArray(cats) && cats.includes(c));
      mask = new Uint32Array(this.wordsPerRecord);
      this.filters.forEach((f, id) => {
        if (f.category === null || has(f.category)) mask![id >>> 5] = mask![id >>> 5]! | (1 << (id & 31));
      });
      if (this.allowedByCategory.size < 1024) this.allowedByCategory.set(key, mask);
    }
    return mask;
  }
}

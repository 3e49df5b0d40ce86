// Runs a ruleset's predicate module over batches of records: copies the batch into the module's
// memory, calls `eval` once under a fuel budget, and exposes the resulting bitsets. The module's
// host imports evaluate the sub-expressions it hands back with the interpreter over the same
// records. If the budget runs out (a pathological pattern over a huge value) or the module traps,
// the batch is evaluated by the interpreter instead and the fallback is counted.
//
// Building the module (generate, instrument, compile) is the expensive part and is done once per
// ruleset: `prepare` returns a PreparedPredicates that structured-clones to other threads (the
// compiled code is shared, not copied), and `fromPrepared` instantiates it cheaply next to that
// thread's own checked filters. The detection pipeline prepares in a pool thread
// (main/predicate-module-pool.ts) and hands the result to every partition worker.
import { createHash } from 'node:crypto';
import type { CompiledFilter, EventView } from '../../engine/compiled.js';
import { InternalError, LimitError } from '../../errors.js';
import type { RecordLayout } from '../../record/layout.js';
import { REFUEL_EXPORT } from '../../wasm/fuel-exports.js';
import { PAGE_BYTES } from '../../wasm/wasm-opcodes.js';
import { compileFilter } from '../compile.js';
import type { CheckedFilter } from '../ir.js';
import { PREDICATE_ABI, MAX_MEMORY_PAGES } from './abi.js';
import type { CodegenStats } from './expr.js';
import { describeHosts, rebuildHosts, type HostRef } from './host-table.js';
import { RecordEvent, recordFieldAccessor } from './record-access.js';
import type { BuiltPredicates } from './build-predicates.js';
import type { PredicateModuleGenerator } from './module.js';

export interface PredicateRuleset {
  filters: readonly CheckedFilter[];
}

/**
 * A ruleset's predicate module, compiled, with what instantiating it needs: plain data plus a
 * WebAssembly.Module, so it can be posted to worker threads.
 */
export interface PreparedPredicates {
  /** The fuel-instrumented module, compiled. */
  module: WebAssembly.Module;
  predicateCount: number;
  wordsPerRecord: number;
  /** End of the constant pool (PredicateModule.dataEnd). */
  dataEnd: number;
  /** Size of the module before fuel instrumentation (the default fuel budget grows with it). */
  codeBytes: number;
  /** Size of the instrumented module. */
  instrumentedBytes: number;
  /** The host-eval table as places in the filters (host-table.ts). */
  hosts: HostRef[];
  stats: CodegenStats;
  /** Where the time went: generate + instrument, then WebAssembly.compile (0 on a cache hit). */
  timings: { buildMs: number; compileMs: number };
}

export interface PredicateOptions {
  /**
   * Fuel per record in a batch (the budget is this × batch size). Default: 1,000,000 plus the
   * module's code size, because entering a predicate charges its whole straight-line body
   * (wasm-rules.md, cost model) even when `and` stops at the first test.
   */
  fuelPerRecord?: number;
}

/**
 * Writes the candidate bits of one record (`ev`) into `words[at, at + wordsPerRecord)`, same
 * shape as its output (bit p = predicate p): a predicate left at 0 is not evaluated and reads
 * false, so it must be one that cannot match the record (eql/prefilter.ts FilterIndex).
 */
export type CandidateSelector = (ev: RecordEvent, words: Uint32Array, at: number) => void;

export interface PredicateCounters {
  batches: number;
  records: number;
  /** Batches the interpreter evaluated because the module ran out of fuel. */
  fuelFallbacks: number;
  /** Batches the interpreter evaluated because the module trapped otherwise. */
  trapFallbacks: number;
  /** host_eval calls (one sub-expression of one record). */
  hostCalls: number;
  /** Records evaluated entirely by the host (they carry fields outside the layout). */
  hostRecords: number;
}

/** The fixed part of the default per-record budget: loops over long values. */
export const BASE_FUEL_PER_RECORD = 1_000_000;

/**
 * Compiled modules kept per thread, most recently used last. A ruleset's module is megabytes of
 * machine code, so a long `kestrel run` with many rule swaps must not keep every one: past this
 * many the least recently used is dropped (instances already made from it keep it alive).
 */
export const MODULE_CACHE_ENTRIES = 8;
const moduleCache = new Map<string, Promise<WebAssembly.Module>>();
const cacheCounters = { hits: 0, misses: 0 };

/** Compiled-module cache statistics (keyed by SHA-256 of the instrumented bytes). */
export function predicateCacheStats(): { hits: number; misses: number; entries: number } {
  return { ...cacheCounters, entries: moduleCache.size };
}

export function compileCached(bytes: Uint8Array): Promise<WebAssembly.Module> {
  const key = createHash('sha256').update(bytes).digest('hex');
  let m = moduleCache.get(key);
  if (m) {
    cacheCounters.hits++;
    moduleCache.delete(key);
    moduleCache.set(key, m);
    return m;
  }
  cacheCounters.misses++;
  m = WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  moduleCache.set(key, m);
  if (moduleCache.size > MODULE_CACHE_ENTRIES) moduleCache.delete(moduleCache.keys().next().value!);
  m.catch(() => {
    if (moduleCache.get(key) === m) moduleCache.delete(key);
  });
  return m;
}

export class WasmPredicateSet {
  /** Builds and compiles (cached by content): the expensive half, done once per ruleset. */
  static async prepare(ruleset: PredicateRuleset, layout: RecordLayout, onBytes?: (instrumented: Uint8Array) => void): Promise<PreparedPredicates> {
    const { buildPredicates } = await import('./build-predicates.js');
    const t0 = performance.now();
    return WasmPredicateSet.compileBuilt(buildPredicates(ruleset.filters, layout), ruleset.filters, t0, onBytes);
  }

  /**
   * Finishes and compiles a module generated a few filters at a time (a PredicateModuleGenerator
   * constructed metered; its filters `generated.added`): the same result as prepare() over them.
   * `startedAt` (performance.now()) is when generation began, for the build timing.
   */
  static async prepareGenerated(generated: PredicateModuleGenerator, startedAt: number, onBytes?: (instrumented: Uint8Array) => void): Promise<PreparedPredicates> {
    const { finishPredicates } = await import('./build-predicates.js');
    return WasmPredicateSet.compileBuilt(finishPredicates(generated), generated.added, startedAt, onBytes);
  }

  private static async compileBuilt(built: BuiltPredicates, filters: readonly CheckedFilter[], t0: number, onBytes?: (instrumented: Uint8Array) => void): Promise<PreparedPredicates> {
    onBytes?.(built.bytes);
    const t1 = performance.now();
    const module = await compileCached(built.bytes);
    const { predicateCount, wordsPerRecord, dataEnd, stats } = built.module;
    return {
      module, predicateCount, wordsPerRecord, dataEnd, stats,
      codeBytes: built.module.codeBytes,
      instrumentedBytes: built.bytes.length,
      hosts: describeHosts(built.module.hosts, filters),
      timings: { buildMs: t1 - t0, compileMs: performance.now() - t1 },
    };
  }

  /**
   * Instantiates a prepared module over `ruleset`, which must hold the filters it was prepared
   * from or equal ones (the same rules checked against the same schema, in the same order).
   */
  static fromPrepared(ruleset: PredicateRuleset, layout: RecordLayout, prepared: PreparedPredicates, opts: PredicateOptions = {}): WasmPredicateSet {
    if (prepared.predicateCount !== ruleset.filters.length) {
      throw new InternalError('wasm.predicates.prepared', `a predicate module for ${prepared.predicateCount} filters was given ${ruleset.filters.length}`);
    }
    return new WasmPredicateSet(ruleset, layout, prepared, opts);
  }

  /** Prepares and instantiates in this thread. */
  static async create(ruleset: PredicateRuleset, layout: RecordLayout, opts: PredicateOptions = {}): Promise<WasmPredicateSet> {
    return WasmPredicateSet.fromPrepared(ruleset, layout, await WasmPredicateSet.prepare(ruleset, layout), opts);
  }

  readonly counters: PredicateCounters = { batches: 0, records: 0, fuelFallbacks: 0, trapFallbacks: 0, hostCalls: 0, hostRecords: 0 };
  readonly wordsPerRecord: number;
  readonly predicateCount: number;
  readonly prepared: PreparedPredicates;

  private readonly memory: WebAssembly.Memory;
  private readonly evalFn: (offsets: number, count: number, bits: number) => void;
  private readonly refuel: (n: bigint) => bigint;
  private readonly fuelPerRecord: number;
  private readonly regionStart: number;
  private readonly filters: readonly CheckedFilter[];
  private readonly layout: RecordLayout;
  private interpFilters: CompiledFilter[] | undefined;
  private readonly evalHost: (id: number, ev: EventView) => number;
  private readonly event: RecordEvent;
  private batchBytes: Uint8Array = new Uint8Array(0);
  private batchOffsets: ArrayLike<number> = [];
  private bits: Uint32Array = new Uint32Array(0);
  private words: Uint32Array = new Uint32Array(0);

  private constructor(ruleset: PredicateRuleset, layout: RecordLayout, prepared: PreparedPredicates, opts: PredicateOptions) {
    this.prepared = prepared;
    this.filters = ruleset.filters;
    this.layout = layout;
    this.event = new RecordEvent(layout, new Uint8Array(0), 0);
    this.wordsPerRecord = prepared.wordsPerRecord;
    this.predicateCount = prepared.predicateCount;
    this.fuelPerRecord = opts.fuelPerRecord ?? BASE_FUEL_PER_RECORD + prepared.codeBytes;
    this.regionStart = (prepared.dataEnd + 7) & ~7;
    const accessor = recordFieldAccessor(layout);
    this.evalHost = rebuildHosts(prepared.hosts, ruleset.filters).bind(accessor);
    const instance = new WebAssembly.Instance(prepared.module, {
      [PREDICATE_ABI.importModule]: {
        [PREDICATE_ABI.hostEval]: (r: number, id: number) => {
          this.counters.hostCalls++;
          return this.evalHost(id, this.eventAt(r));
        },
        [PREDICATE_ABI.hostRecord]: (r: number, addr: number) => {
          this.counters.hostRecords++;
          this.interpretRecord(r, new Uint32Array(this.memory.buffer, addr, this.wordsPerRecord), true);
        },
      },
    });
    const ex = instance.exports;
    this.memory = ex[PREDICATE_ABI.memoryExport] as WebAssembly.Memory;
    this.evalFn = ex[PREDICATE_ABI.evalExport] as (o: number, c: number, b: number) => void;
    this.refuel = ex[REFUEL_EXPORT] as (n: bigint) => bigint;
  }

  /**
   * Evaluates every predicate (or, with `select`, every candidate predicate) over `count`
   * records found at `offsets` in `bytes`. Returns the bitsets (wordsPerRecord u32 per record,
   * see abi.ts), valid until the next call.
   */
  evaluateBatch(bytes: Uint8Array, offsets: ArrayLike<number>, count: number, select?: CandidateSelector): Uint32Array {
    this.batchBytes = bytes;
    this.batchOffsets = offsets;
    this.counters.batches++;
    this.counters.records += count;
    const W = this.wordsPerRecord;
    const offsetsAddr = this.regionStart;
    const bitsAddr = offsetsAddr + 4 * count;
    const recordsAddr = (bitsAddr + 4 * W * count + 7) & ~7;
    // Records are copied as one span when they lie in order and close together (a capture chunk,
    // a ring segment), else one by one.
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let lo = Infinity;
    let hi = 0;
    let total = 0;
    let ordered = true;
    for (let i = 0; i < count; i++) {
      const off = offsets[i]!;
      const len = dv.getUint32(off, true);
      if (i > 0 && off < offsets[i - 1]!) ordered = false;
      lo = Math.min(lo, off);
      hi = Math.max(hi, off + len);
      total += len;
    }
    const span = ordered && hi - lo <= 2 * total + 4096;
    // 16 spare bytes: inline string compares load whole words past a string's end.
    this.ensureMemory(recordsAddr + (count === 0 ? 0 : span ? hi - lo : total) + 16);
    const mem = new Uint8Array(this.memory.buffer);
    const table = new Uint32Array(this.memory.buffer, offsetsAddr, count);
    if (span && count > 0) {
      mem.set(bytes.subarray(lo, hi), recordsAddr);
      for (let i = 0; i < count; i++) table[i] = recordsAddr + offsets[i]! - lo;
    } else {
      let at = recordsAddr;
      for (let i = 0; i < count; i++) {
        const off = offsets[i]!;
        const len = dv.getUint32(off, true);
        mem.set(bytes.subarray(off, off + len), at);
        table[i] = at;
        at += len;
      }
    }
    this.words = new Uint32Array(this.memory.buffer, bitsAddr, W * count);
    // The module reads each record's candidate bits from its output words (module.ts batchLoop).
    if (select) for (let r = 0; r < count; r++) select(this.eventAt(r), this.words, r * W);
    else this.words.fill(0xffffffff);
    // i64 fuel: one BigInt per batch, and no cap that a big ruleset × batch could hit.
    this.refuel(BigInt(this.fuelPerRecord) * BigInt(count) + 10_000n);
    try {
      this.evalFn(offsetsAddr, count, bitsAddr);
    } catch (e) {
      if (!(e instanceof WebAssembly.RuntimeError)) throw e;
      if (this.refuel(0n) < 0n) this.counters.fuelFallbacks++;
      else this.counters.trapFallbacks++;
      this.words = new Uint32Array(this.memory.buffer, bitsAddr, W * count);
      // The module may have overwritten candidate words: every predicate, which gives the same bits.
      for (let r = 0; r < count; r++) this.interpretRecord(r, this.words.subarray(r * W, (r + 1) * W), false);
    }
    this.refuel(0n);
    this.bits = this.words;
    return this.bits;
  }

  /**
   * Evaluates the last batch again with new candidate words from `select` (records already in the
   * module's memory, not copied again): for timing predicates (kestrel replay --profile).
   */
  rerun(select: CandidateSelector): void {
    const W = this.wordsPerRecord;
    const count = this.words.length / W;
    for (let r = 0; r < count; r++) select(this.eventAt(r), this.words, r * W);
    this.refuel(BigInt(this.fuelPerRecord) * BigInt(count) + 10_000n);
    try {
      this.evalFn(this.regionStart, count, this.words.byteOffset);
    } finally {
      this.refuel(0n);
    }
  }

  /**
   * The last batch's bits: record r's are words [r * wordsPerRecord, (r + 1) * wordsPerRecord),
   * predicate id at bit (id & 31) of word (id >> 5). Valid until the next evaluateBatch.
   */
  get batchBits(): Uint32Array {
    return this.bits;
  }

  /** The bit of (record, predicate) from the last batch. */
  matches(recordIndex: number, predicateId: number): boolean {
    return ((this.bits[recordIndex * this.wordsPerRecord + (predicateId >>> 5)]! >>> (predicateId & 31)) & 1) === 1;
  }

  private eventAt(r: number): RecordEvent {
    return this.event.reset(this.batchBytes, this.batchOffsets[r]!, 0, r);
  }

  /**
   * The predicates of record r by the interpreter, into its output words: only those whose
   * candidate bit is set in `out` when `candidatesOnly`, else all of them.
   */
  private interpretRecord(r: number, out: Uint32Array, candidatesOnly: boolean): void {
    this.interpFilters ??= this.filters.map((f) => compileFilter(f, recordFieldAccessor(this.layout)));
    const ev = this.eventAt(r);
    for (let w = 0; w < out.length; w++) {
      const candidates = candidatesOnly ? out[w]! : 0xffffffff;
      let word = 0;
      for (let p = w * 32; p < Math.min(this.interpFilters.length, (w + 1) * 32); p++) {
        if ((candidates >>> (p & 31)) & 1 && this.interpFilters[p]!.test(ev)) word |= 1 << (p & 31);
      }
      out[w] = word;
    }
  }

  private ensureMemory(bytes: number): void {
    const have = this.memory.buffer.byteLength;
    if (bytes <= have) return;
    const pages = Math.ceil((bytes - have) / PAGE_BYTES);
    if (have / PAGE_BYTES + pages > MAX_MEMORY_PAGES) {
      throw new LimitError('wasm.predicates.batch', `a batch of ${bytes} bytes does not fit the predicate module's memory (${MAX_MEMORY_PAGES} pages); use smaller batches`);
    }
    this.memory.grow(pages);
  }
}

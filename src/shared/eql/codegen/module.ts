// One Wasm module for a whole ruleset: a predicate function per filter (category test and
// where-clause), the byte library, and `eval`, which walks a batch of records and writes one bit
// per (record, predicate). The memory map and imports are in abi.ts.
import type { EventView } from '../../engine/compiled.js';
import { RecordFlag, RecordHeader } from '../../record/frame.js';
import type { RecordLayout } from '../../record/layout.js';
import { ExternalKind, Op, PAGE_BYTES } from '../../wasm/wasm-opcodes.js';
import { ModuleBuilder } from '../../wasm/wasm-writer.js';
import { buildMetered } from '../../wasm/fuel.js';
import type { CheckedFilter, FieldNode } from '../ir.js';
import { DATA_BASE, MAX_MEMORY_PAGES, PREDICATE_ABI } from './abi.js';
import { addByteLib } from './byte-lib.js';
import { DataPool } from './data-pool.js';
import { FunctionEmitter, I32 } from '../../wasm/function-emitter.js';
import { emitCategoryTest, emitTruth, type CodegenStats, type GenContext } from './expr.js';
import { HostHelpers } from './host-helpers.js';

export interface PredicateModule {
  /** The module as generated (not yet fuel-instrumented). */
  bytes: Uint8Array;
  /** Its size: what the default fuel budget grows with (evaluator.ts). */
  codeBytes: number;
  predicateCount: number;
  /** u32 words of output per record: ceil(predicateCount / 32). */
  wordsPerRecord: number;
  /** End of the constant pool; batch regions start at the next 8-byte boundary. */
  dataEnd: number;
  /** Sub-expressions the module may hand back to JS, by id. */
  hosts: HostHelpers;
  stats: CodegenStats;
}

export function generatePredicateModule(filters: readonly CheckedFilter[], layout: RecordLayout): PredicateModule {
  const gen = new PredicateModuleGenerator(layout);
  gen.add(filters);
  return gen.finish();
}

/**
 * Generates a ruleset's module a few filters at a time: each filter's predicate function as it is
 * added, the batch loop and the module at finish(). A cold start adds the filters while the main
 * thread is still checking the rest of the rules; the module is the same bytes as one generated
 * from all the filters at once.
 */
export class PredicateModuleGenerator {
  private readonly mb: ModuleBuilder;
  /**
   * The fuel global's index when metering (the one global the module has besides it comes first),
   * else -1. Metering here gives exactly instrumentFuel(module, { type: 'i64', initialFuel: 0 }).
   */
  private readonly fuelGlobal: number;
  private readonly hostEval: number;
  private readonly hostRecord: number;
  private readonly recordGlobal: number;
  private readonly lib: ReturnType<typeof addByteLib>;
  private readonly data = new DataPool();
  private readonly hosts = new HostHelpers();
  private readonly stats: CodegenStats = { nativeNodes: 0, hostNodes: 0, hostKinds: new Map() };
  private readonly filters: CheckedFilter[] = [];
  private readonly predicates: number[] = [];
  private finished = false;

  /**
   * `metered`: each function is fuel-metered as it is added and finishMetered() gives the
   * instrumented module (no second pass over the module); else finish() gives it as generated.
   */
  constructor(private readonly layout: RecordLayout, metered = false) {
    this.fuelGlobal = metered ? PREDICATE_MODULE_GLOBALS : -1;
    this.mb = new ModuleBuilder(metered ? { fuelGlobal: this.fuelGlobal, wide: true } : undefined);
    const mb = this.mb;
    this.hostEval = mb.importFunction(PREDICATE_ABI.importModule, PREDICATE_ABI.hostEval, [I32, I32], [I32]);
    this.hostRecord = mb.importFunction(PREDICATE_ABI.importModule, PREDICATE_ABI.hostRecord, [I32, I32], []);
    this.recordGlobal = mb.addGlobal(I32, true, [Op.i32Const, 0]);
    this.lib = addByteLib(mb);
  }

  /** Filters added so far, in predicate id order. */
  get added(): readonly CheckedFilter[] {
    return this.filters;
  }

  /**
   * The next filters' predicate functions (ids in the order added). A predicate function is the
   * where-clause alone: the batch loop tests each distinct category once per record and only
   * calls the predicates of the categories the record has.
   */
  add(filters: readonly CheckedFilter[]): void {
    if (this.finished) throw new Error('internal: filters added to a finished predicate module');
    const { mb, layout, lib, data, hosts, hostEval, recordGlobal, stats } = this;
    for (const filter of filters) {
      const em = new FunctionEmitter([I32, I32]);
      const ctx: GenContext = { em, base: 0, slots: 1, layout, lib, data, hosts, hostEval, recordGlobal, stats, scratch: new Map() };
      emitTruth(ctx, filter.where);
      em.i32(1).op(Op.i32Eq);
      this.predicates.push(mb.addEmitted([I32, I32], [I32], em));
      this.filters.push(filter);
    }
  }

  /** The batch loop over every filter added, and the module as generated. */
  finish(): PredicateModule {
    const m = this.finishModule();
    const bytes = this.mb.build();
    return { ...m, bytes, codeBytes: bytes.length };
  }

  /**
   * The batch loop and the fuel-instrumented module (constructed `metered`): the bytes of
   * instrumentFuel(finish().bytes, { type: 'i64', initialFuel: 0 }), and the module's other facts.
   */
  finishMetered(): { bytes: Uint8Array; module: PredicateModule } {
    if (this.fuelGlobal < 0) throw new Error('internal: finishMetered() of a generator not constructed metered');
    const m = this.finishModule();
    const bytes = buildMetered(this.mb, { initialFuel: 0 });
    // The module as generated is not built: only its size is needed.
    return { bytes, module: { ...m, bytes: new Uint8Array(0), codeBytes: this.mb.encodedSize() } };
  }

  private finishModule(): Omit<PredicateModule, 'bytes' | 'codeBytes'> {
    if (this.finished) throw new Error('internal: a predicate module finished twice');
    this.finished = true;
    const { mb, layout, lib, data, hosts, hostEval, recordGlobal, stats, filters, predicates } = this;
    const words = Math.ceil(filters.length / 32);
    const gen = { layout, lib, data, hosts, hostEval, recordGlobal, stats };
    const evalFn = mb.addEmitted([I32, I32, I32], [], batchLoop(gen, filters, predicates, words, this.hostRecord));
    mb.exportFunction(PREDICATE_ABI.evalExport, evalFn);
    const dataEnd = data.size;
    mb.setMemory(Math.ceil(dataEnd / PAGE_BYTES) + 1, MAX_MEMORY_PAGES);
    mb.export(PREDICATE_ABI.memoryExport, ExternalKind.memory, 0);
    if (dataEnd > DATA_BASE) mb.addData(DATA_BASE, data.segment());
    return { predicateCount: filters.length, wordsPerRecord: words, dataEnd, hosts, stats };
  }
}

/** Globals of a predicate module (the record global): the fuel global comes after them. */
const PREDICATE_MODULE_GLOBALS = 1;

/** What the batch loop's category tests need of the module being generated. */
type CategoryGen = Omit<GenContext, 'em' | 'base' | 'slots' | 'scratch'>;

/** A distinct category test and, per output word, the predicates that require it. */
interface CategoryGroup {
  category: string;
  field: FieldNode;
  masks: Uint32Array;
}

/** Groups the predicates by (category field, category); `always` holds those without one. */
function categoryGroups(filters: readonly CheckedFilter[], words: number): { groups: CategoryGroup[]; always: Uint32Array } {
  const always = new Uint32Array(words);
  const byKey = new Map<string, CategoryGroup>();
  filters.forEach((f, p) => {
    let masks: Uint32Array = always;
    if (f.category !== null) {
      const key = `${f.categoryField.path}\u0000${f.category}`;
      let g = byKey.get(key);
      if (!g) byKey.set(key, (g = { category: f.category, field: f.categoryField, masks: new Uint32Array(words) }));
      masks = g.masks;
    }
    masks[p >>> 5] = masks[p >>> 5]! | (1 << (p & 31));
  });
  return { groups: [...byKey.values()], always };
}

/**
 * eval(offsets, count, bits): for each record, every candidate predicate whose category the
 * record has, 32 bits per stored word. `bits` holds the candidate bits on entry and the results
 * on return.
 */
function batchLoop(gen: CategoryGen, filters: readonly CheckedFilter[], predicates: readonly number[], words: number, hostRecord: number): FunctionEmitter {
  const { layout, recordGlobal } = gen;
  const em = new FunctionEmitter([I32, I32, I32]);
  const [offsets, count, bits] = [0, 1, 2];
  const r = em.local(I32);
  const base = em.local(I32);
  const slots = em.local(I32);
  const out = em.local(I32);
  const word = em.local(I32);
  const candidates = em.local(I32);
  const { groups, always } = categoryGroups(filters, words);
  const allowed = Array.from({ length: words }, () => em.local(I32));
  const ctx: GenContext = { ...gen, em, base, slots, scratch: new Map() };
  const done = em.block();
  const next = em.loop();
  em.get(r).get(count).op(Op.i32GeU).brIf(done);
  em.get(offsets).get(r).i32(2).op(Op.i32Shl).op(Op.i32Add).mem(Op.i32Load).set(base);
  em.get(r).globalSet(recordGlobal);
  em.get(bits).get(r).i32(words * 4).op(Op.i32Mul).op(Op.i32Add).set(out);
  const record = em.block();
  // Fields outside the layout live in the record's extra JSON: the interpreter does the record.
  em.get(base).mem(Op.i32Load16U, RecordHeader.flags).i32(RecordFlag.hasExtra).op(Op.i32And);
  em.if().get(r).get(out).call(hostRecord).br(record).end();
  // First slot: align8(tagsOffset + present count), relative to the record (frame.ts).
  em.get(base).get(base).mem(Op.i32Load16U, RecordHeader.presentCount).i32(layout.tagsOffset + 7).op(Op.i32Add).i32(-8).op(Op.i32And).op(Op.i32Add).set(slots);
  // Each distinct category once (compile.ts categoryTest): `allowed` = the predicates whose
  // category the record has, or that have none. A predicate outside it is false without a call.
  for (let w = 0; w < words; w++) em.i32(always[w]!).set(allowed[w]!);
  for (const g of groups) {
    const field = g.field;
    const category = g.category;
    const hostId = gen.hosts.addEvaluator((accessor) => {
      const read = accessor(field);
      return (ev: EventView) => {
        const v = read(ev);
        return v === category || (Array.isArray(v) && v.includes(category)) ? 1 : 0;
      };
    }, field);
    emitCategoryTest(ctx, field, category, hostId);
    em.if();
    for (let w = 0; w < words; w++) if (g.masks[w] !== 0) em.get(allowed[w]!).i32(g.masks[w]!).op(Op.i32Or).set(allowed[w]!);
    em.end();
  }
  // The host wrote each record's candidate bits where its output goes: a predicate whose bit is 0
  // cannot match (its discriminator is absent) and is not called; its output bit stays 0.
  // Only set bits are visited (a record has a few dozen candidates among hundreds of predicates):
  // count trailing zeros, clear the lowest bit, and jump to that bit's call through a br_table.
  const bit = em.local(I32);
  for (let w = 0; w < words; w++) {
    em.get(out).mem(Op.i32Load, 4 * w).get(allowed[w]!).op(Op.i32And).set(candidates);
    em.i32(0).set(word);
    const wordDone = em.block();
    const nextBit = em.loop();
    em.get(candidates).op(Op.i32Eqz).brIf(wordDone);
    em.get(candidates).op(Op.i32Ctz).set(bit);
    em.get(candidates).get(candidates).i32(1).op(Op.i32Sub).op(Op.i32And).set(candidates);
    const n = Math.min(32, predicates.length - w * 32);
    // Blocks outermost first: the fallback (a bit with no predicate), then bit n-1 … bit 0.
    const fallback = em.block();
    const cases: number[] = [];
    for (let k = n - 1; k >= 0; k--) cases[k] = em.block();
    em.get(bit).brTable(cases, fallback);
    for (let k = 0; k < n; k++) {
      em.end(); // bit k's block: its call follows
      em.get(base).get(slots).call(predicates[w * 32 + k]!);
      if (k !== 0) em.i32(k).op(Op.i32Shl);
      em.get(word).op(Op.i32Or).set(word);
      em.br(nextBit);
    }
    em.end(); // fallback
    em.br(nextBit);
    em.end(); // loop
    em.end(); // wordDone
    em.get(out).get(word).mem(Op.i32Store, 4 * w);
  }
  em.end(); // record
  em.get(r).i32(1).op(Op.i32Add).set(r).br(next);
  em.end().end();
  return em;
}

// The contract between a generated predicate module and its host (evaluator.ts), as named
// constants: imports, exports, the memory map and the three-valued truth encoding.
//
// Memory map (one linear memory, exported as `memory`):
//   [0, DATA_BASE)            reserved (address 0 marks an empty hash-table entry)
//   [DATA_BASE, dataEnd)      constants: UTF-8 strings and patterns, IP bytes, hash tables
//   [offsets, +4·count)       u32 absolute address of each record of the batch
//   [bits, +4·W·count)        W = ceil(predicates / 32) u32 words per record; bit p of record r
//                             is bit (p & 31) of word r·W + (p >> 5). In: candidate bits (only
//                             those predicates are evaluated); out: match bits
//   [records, …)              the batch's records, copied in as they are (8-aligned)
// The host places the last three regions after dataEnd for each batch and grows the memory when
// a batch needs more; the module only ever reads records and rewrites the bitsets.

export const PREDICATE_ABI = {
  importModule: 'kestrel',
  /** host_eval(record, node) → tri: evaluates one sub-expression with the interpreter. */
  hostEval: 'host_eval',
  /** host_record(record, bitsAddr): all predicates of one record by the interpreter. */
  hostRecord: 'host_record',
  /** eval(offsetsAddr, count, bitsAddr): evaluates every candidate predicate over every record. */
  evalExport: 'eval',
  memoryExport: 'memory',
} as const;

/** First byte of the constant pool. */
export const DATA_BASE = 64;

/** Three-valued truth as an i32: ES null logic inside the module. */
export const Tri = { false: 0, true: 1, null: 2 } as const;

/** Upper bound of the declared memory maximum (pages of 64 KiB): 1 GiB. */
export const MAX_MEMORY_PAGES = 16384;

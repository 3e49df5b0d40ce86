// Opcode numbers and the shape of each instruction's immediates, as data: the reader decodes any
// instruction from this table, the writer and the instrumentation passes name opcodes from it.
// Covers the Wasm MVP plus what Node 20 accepts and AssemblyScript emits without extra flags:
// sign extension, non-trapping float-to-int, bulk memory, reference types, multi-value.
// SIMD, threads, exceptions and tail calls are recognised only to be refused by name.

export const WASM_MAGIC = 0x6d736100; // "\0asm" read little-endian
export const WASM_VERSION = 1;
export const PAGE_BYTES = 65536;

export const SectionId = {
  custom: 0,
  type: 1,
  import: 2,
  function: 3,
  table: 4,
  memory: 5,
  global: 6,
  export: 7,
  start: 8,
  element: 9,
  code: 10,
  data: 11,
  dataCount: 12,
} as const;

/** Position of each known section in the mandatory order (the data count sits before code). */
export const SECTION_ORDER: readonly number[] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 10, 11];

export const ValType = {
  i32: 0x7f,
  i64: 0x7e,
  f32: 0x7d,
  f64: 0x7c,
  funcref: 0x70,
  externref: 0x6f,
} as const;
export type ValTypeCode = (typeof ValType)[keyof typeof ValType];

export const EMPTY_BLOCK = 0x40;

export const ExternalKind = { func: 0, table: 1, memory: 2, global: 3 } as const;

export const Op = {
  unreachable: 0x00,
  nop: 0x01,
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  brTable: 0x0e,
  return: 0x0f,
  call: 0x10,
  callIndirect: 0x11,
  drop: 0x1a,
  select: 0x1b,
  selectTyped: 0x1c,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  globalGet: 0x23,
  globalSet: 0x24,
  i32Load: 0x28,
  i64Load: 0x29,
  f64Load: 0x2b,
  i32Load8U: 0x2d,
  i32Load16U: 0x2f,
  i32Store: 0x36,
  i64Store: 0x37,
  i32Store8: 0x3a,
  memorySize: 0x3f,
  memoryGrow: 0x40,
  i32Const: 0x41,
  i64Const: 0x42,
  f32Const: 0x43,
  f64Const: 0x44,
  i32Eqz: 0x45,
  i32Eq: 0x46,
  i32Ne: 0x47,
  i32LtS: 0x48,
  i32LtU: 0x49,
  i32GtS: 0x4a,
  i32GtU: 0x4b,
  i32LeS: 0x4c,
  i32LeU: 0x4d,
  i32GeS: 0x4e,
  i32GeU: 0x4f,
  i64Eqz: 0x50,
  i64Eq: 0x51,
  i64Ne: 0x52,
  i64LtS: 0x53,
  i64LtU: 0x54,
  i64GtS: 0x55,
  i64GtU: 0x56,
  i64LeS: 0x57,
  i64LeU: 0x58,
  i64GeS: 0x59,
  i64GeU: 0x5a,
  f64Eq: 0x61,
  f64Ne: 0x62,
  f64Lt: 0x63,
  f64Gt: 0x64,
  f64Le: 0x65,
  f64Ge: 0x66,
  i32Ctz: 0x68,
  i32Popcnt: 0x69,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
  i32DivS: 0x6d,
  i32DivU: 0x6e,
  i32RemS: 0x6f,
  i32RemU: 0x70,
  i32And: 0x71,
  i32Or: 0x72,
  i32Xor: 0x73,
  i32Shl: 0x74,
  i32ShrS: 0x75,
  i32ShrU: 0x76,
  i64Add: 0x7c,
  i64Sub: 0x7d,
  i64Mul: 0x7e,
  i64DivS: 0x7f,
  i64And: 0x83,
  i64Or: 0x84,
  i64Xor: 0x85,
  i64ShrU: 0x88,
  i32WrapI64: 0xa7,
  i64ExtendI32S: 0xac,
  i64ExtendI32U: 0xad,
  refNull: 0xd0,
  refIsNull: 0xd1,
  refFunc: 0xd2,
  prefixFC: 0xfc,
} as const;

/** What follows an opcode byte. */
export const Imm = {
  none: 0,
  blockType: 1,
  index: 2, // one u32 (label, function, local, global, table, type …)
  brTable: 3,
  callIndirect: 4, // type index, table index
  memarg: 5, // align, offset
  zeroByte: 6, // memory.size / memory.grow: reserved memory index 0
  i32: 7,
  i64: 8,
  f32: 9,
  f64: 10,
  refType: 11,
  selectTypes: 12,
  prefixFC: 13,
  invalid: 14,
  unsupported: 15,
} as const;

/** Immediate kind of each single-byte opcode; anything not set is invalid. */
export const IMMEDIATES: Uint8Array = (() => {
  const t = new Uint8Array(256).fill(Imm.invalid);
  const set = (from: number, to: number, kind: number): void => {
    for (let op = from; op <= to; op++) t[op] = kind;
  };
  set(0x00, 0x01, Imm.none);
  set(0x02, 0x04, Imm.blockType);
  t[0x05] = Imm.none;
  set(0x06, 0x0a, Imm.unsupported); // try / catch / throw / rethrow (exception handling)
  t[0x0b] = Imm.none;
  set(0x0c, 0x0d, Imm.index);
  t[0x0e] = Imm.brTable;
  t[0x0f] = Imm.none;
  t[0x10] = Imm.index;
  t[0x11] = Imm.callIndirect;
  set(0x12, 0x13, Imm.unsupported); // return_call, return_call_indirect (tail calls)
  set(0x18, 0x19, Imm.unsupported); // delegate, catch_all
  set(0x1a, 0x1b, Imm.none);
  t[0x1c] = Imm.selectTypes;
  set(0x20, 0x26, Imm.index); // locals, globals, table.get/set
  set(0x28, 0x3e, Imm.memarg);
  set(0x3f, 0x40, Imm.zeroByte);
  t[0x41] = Imm.i32;
  t[0x42] = Imm.i64;
  t[0x43] = Imm.f32;
  t[0x44] = Imm.f64;
  set(0x45, 0xc4, Imm.none); // numeric MVP ops and sign extension (0xc0–0xc4)
  t[0xd0] = Imm.refType;
  t[0xd1] = Imm.none;
  t[0xd2] = Imm.index;
  t[0xfc] = Imm.prefixFC;
  set(0xfd, 0xfe, Imm.unsupported); // SIMD, threads
  return t;
})();

/** Names of recognised-but-refused opcode groups, for the error message. */
export function unsupportedFeature(op: number): string {
  if (op >= 0x06 && op <= 0x0a) return 'exception handling';
  if (op === 0x18 || op === 0x19) return 'exception handling';
  if (op === 0x12 || op === 0x13) return 'tail calls';
  if (op === 0xfd) return 'SIMD';
  if (op === 0xfe) return 'threads';
  return 'an unknown feature';
}

/** 0xFC-prefixed opcodes (non-trapping float-to-int, bulk memory, reference-type table ops). */
export const OpFC = {
  memoryInit: 8,
  dataDrop: 9,
  memoryCopy: 10,
  memoryFill: 11,
  tableInit: 12,
  elemDrop: 13,
  tableCopy: 14,
  tableGrow: 15,
  tableSize: 16,
  tableFill: 17,
} as const;
export const OPFC_MAX = 17;

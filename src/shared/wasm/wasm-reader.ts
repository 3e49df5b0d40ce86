// A small, strict reader for Wasm binaries: module structure, LEB128, and a streaming instruction
// decoder that gives instruction boundaries and block nesting (not semantics). It accepts the
// features listed in wasm-opcodes.ts and nothing else. Every malformed input becomes an
// InputError('wasm.malformed') naming the byte offset; refused features become
// InputError('wasm.unsupported'). Full type checking is left to WebAssembly.validate.
import { InputError } from '../errors.js';
import {
  EMPTY_BLOCK,
  ExternalKind,
  IMMEDIATES,
  Imm,
  OPFC_MAX,
  Op,
  OpFC,
  SECTION_ORDER,
  SectionId,
  ValType,
  WASM_MAGIC,
  WASM_VERSION,
  unsupportedFeature,
} from './wasm-opcodes.js';

export interface FuncType {
  params: number[];
  results: number[];
}

export interface Limits {
  min: number;
  max: number | null;
  /** Offset of the limits' flag byte (where a rewriter starts replacing). */
  start: number;
  end: number;
}

export type ImportDesc =
  | { kind: typeof ExternalKind.func; typeIndex: number }
  | { kind: typeof ExternalKind.table; refType: number; limits: Limits }
  | { kind: typeof ExternalKind.memory; limits: Limits }
  | { kind: typeof ExternalKind.global; valType: number; mutable: boolean };

export type Import = { module: string; name: string; offset: number } & ImportDesc;

export interface Export {
  name: string;
  kind: number;
  index: number;
  offset: number;
}

export interface Global {
  valType: number;
  mutable: boolean;
}

export interface FunctionBody {
  /** First byte of the local declarations. */
  start: number;
  /** First byte of the instructions. */
  codeStart: number;
  /** One past the function's final `end`. */
  end: number;
  /** Number of declared locals (parameters excluded). */
  localCount: number;
}

export interface Section {
  id: number;
  /** First byte of the section id. */
  headerStart: number;
  /** First byte of the payload. */
  start: number;
  end: number;
  /** Name of a custom section. */
  name?: string;
}

export interface WasmModule {
  bytes: Uint8Array;
  sections: Section[];
  types: FuncType[];
  imports: Import[];
  /** Type index of each module-defined function. */
  functions: number[];
  /** Tables in the index space, imported ones included. */
  tableCount: number;
  /** Limits of the module-defined tables. */
  tables: Limits[];
  memories: Limits[];
  globals: Global[];
  exports: Export[];
  start: number | null;
  bodies: FunctionBody[];
  importedFunctionCount: number;
  importedGlobalCount: number;
  importedMemoryCount: number;
}

/** Locals beyond this are refused (the engines' own limit is 50,000). */
const MAX_LOCALS = 50_000;

export function malformed(message: string, offset: number): InputError {
  return new InputError('wasm.malformed', `malformed Wasm at byte ${offset}: ${message}`, { context: { offset } });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A cursor over a byte range; every read checks bounds and encoding. */
export class ByteReader {
  pos: number;
  end: number;
  constructor(
    readonly bytes: Uint8Array,
    start = 0,
    end = bytes.length,
  ) {
    this.pos = start;
    this.end = end;
  }

  get atEnd(): boolean {
    return this.pos >= this.end;
  }

  u8(): number {
    if (this.pos >= this.end) throw malformed('unexpected end', this.pos);
    return this.bytes[this.pos++];
  }

  peek(): number {
    if (this.pos >= this.end) throw malformed('unexpected end', this.pos);
    return this.bytes[this.pos];
  }

  /** Unsigned LEB128 of at most 32 bits, in at most 5 bytes, no stray high bits. */
  u32(): number {
    const start = this.pos;
    let result = 0;
    for (let i = 0; i < 5; i++) {
      const b = this.u8();
      if (i === 4 && (b & 0x80) !== 0) break;
      if (i === 4 && (b & 0x70) !== 0) throw malformed('u32 LEB128 out of range', start);
      result += (b & 0x7f) * 2 ** (7 * i);
      if ((b & 0x80) === 0) return result;
    }
    throw malformed('u32 LEB128 too long', start);
  }

  /** Signed LEB128 of `bits` bits; returns the value for bits ≤ 33 and skips wider ones. */
  signed(bits: number): number {
    const start = this.pos;
    const maxBytes = Math.ceil(bits / 7);
    let result = 0;
    for (let i = 0; i < maxBytes; i++) {
      const b = this.u8();
      if (i === maxBytes - 1) {
        // Bits past the value's width must all repeat its sign bit.
        const used = bits - 7 * i;
        const rest = (b & 0x7f) >> (used - 1);
        if (b & 0x80) break;
        if (rest !== 0 && rest !== 0x7f >> (used - 1)) throw malformed(`s${bits} LEB128 out of range`, start);
      }
      result += (b & 0x7f) * 2 ** (7 * i);
      if ((b & 0x80) === 0) {
        const width = 7 * (i + 1);
        if (b & 0x40 && width < 53) result -= 2 ** width;
        return result;
      }
    }
    throw malformed(`s${bits} LEB128 too long`, start);
  }

  skip(n: number): void {
    if (n > this.end - this.pos) throw malformed('unexpected end', this.pos);
    this.pos += n;
  }

  name(): string {
    const len = this.u32();
    const start = this.pos;
    this.skip(len);
    try {
      return utf8.decode(this.bytes.subarray(start, start + len));
    } catch {
      throw malformed('name is not valid UTF-8', start);
    }
  }

  valType(): number {
    const at = this.pos;
    const t = this.u8();
    if (t === ValType.i32 || t === ValType.i64 || t === ValType.f32 || t === ValType.f64 || t === ValType.funcref || t === ValType.externref) return t;
    if (t === 0x7b) throw new InputError('wasm.unsupported', `unsupported Wasm at byte ${at}: SIMD value type v128`, { context: { offset: at } });
    throw malformed(`bad value type 0x${t.toString(16)}`, at);
  }

  refType(): number {
    const at = this.pos;
    const t = this.u8();
    if (t !== ValType.funcref && t !== ValType.externref) throw malformed(`bad reference type 0x${t.toString(16)}`, at);
    return t;
  }

  limits(): Limits {
    const start = this.pos;
    const flag = this.u8();
    if (flag > 1) {
      if (flag <= 7) throw new InputError('wasm.unsupported', `unsupported Wasm at byte ${start}: shared or 64-bit limits (flag ${flag})`, { context: { offset: start } });
      throw malformed(`bad limits flag ${flag}`, start);
    }
    const min = this.u32();
    const max = flag === 1 ? this.u32() : null;
    if (max !== null && max < min) throw malformed(`limits maximum ${max} below minimum ${min}`, start);
    return { min, max, start, end: this.pos };
  }

  /** Reads a count and checks it cannot claim more items than bytes left (one byte each at least). */
  count(): number {
    const at = this.pos;
    const n = this.u32();
    if (n > this.end - this.pos) throw malformed(`count ${n} exceeds the remaining ${this.end - this.pos} bytes`, at);
    return n;
  }
}

/**
 * Streams the instructions of one function body or constant expression. After each successful
 * `next()`, `op` (and `sub` for 0xFC-prefixed ones), `start`, `immStart` and `pos` describe the
 * instruction just read and `depth` is the block nesting after it. Allocates nothing per step.
 */
export class InstructionDecoder {
  readonly r: ByteReader;
  op = -1;
  sub = -1;
  /** Offset of the opcode byte. */
  start = 0;
  /** Offset just past the opcode (and sub-opcode): where the immediates begin. */
  immStart = 0;
  depth = 0;
  done = false;
  /** Kinds of the open blocks (block/loop/if/else), innermost last; index 0 is the body itself. */
  private readonly kinds: number[] = [Op.block];

  /**
   * `wholeRange`: the final `end` must be the last byte of the range (a function body); otherwise
   * decoding stops at the final `end` and the caller carries on after it (a constant expression).
   */
  constructor(
    bytes: Uint8Array,
    start: number,
    end: number,
    private readonly wholeRange = true,
  ) {
    this.r = new ByteReader(bytes, start, end);
  }

  get pos(): number {
    return this.r.pos;
  }

  next(): boolean {
    if (this.done) return false;
    const r = this.r;
    if (r.atEnd) throw malformed('function body ends inside a block (missing end)', r.pos);
    this.start = r.pos;
    const op = r.u8();
    this.op = op;
    this.sub = -1;
    const kind = IMMEDIATES[op];
    if (kind === Imm.prefixFC) {
      const sub = r.u32();
      if (sub > OPFC_MAX) throw malformed(`unknown opcode 0xfc ${sub}`, this.start);
      this.sub = sub;
    }
    this.immStart = r.pos;
    switch (kind) {
      case Imm.none:
        break;
      case Imm.blockType:
        this.blockType();
        break;
      case Imm.index:
        r.u32();
        break;
      case Imm.brTable: {
        const n = r.count();
        for (let i = 0; i <= n; i++) r.u32();
        break;
      }
      case Imm.callIndirect:
        r.u32();
        r.u32();
        break;
      case Imm.memarg:
        r.u32();
        r.u32();
        break;
      case Imm.zeroByte:
        this.zero();
        break;
      case Imm.i32:
        r.signed(32);
        break;
      case Imm.i64:
        r.signed(64);
        break;
      case Imm.f32:
        r.skip(4);
        break;
      case Imm.f64:
        r.skip(8);
        break;
      case Imm.refType:
        r.refType();
        break;
      case Imm.selectTypes: {
        const n = r.count();
        if (n !== 1) throw malformed(`typed select needs exactly one type, got ${n}`, this.immStart);
        r.valType();
        break;
      }
      case Imm.prefixFC:
        this.fcImmediates(this.sub);
        break;
      case Imm.unsupported:
        throw new InputError('wasm.unsupported', `unsupported Wasm at byte ${this.start}: opcode 0x${op.toString(16)} (${unsupportedFeature(op)})`, {
          context: { offset: this.start },
        });
      default:
        throw malformed(`unknown opcode 0x${op.toString(16)}`, this.start);
    }
    this.structure(op);
    return true;
  }

  private structure(op: number): void {
    const kinds = this.kinds;
    if (op === Op.block || op === Op.loop || op === Op.if) {
      kinds.push(op);
      this.depth++;
    } else if (op === Op.else) {
      if (kinds[kinds.length - 1] !== Op.if || this.depth === 0) throw malformed('else outside an if', this.start);
      kinds[kinds.length - 1] = Op.else;
    } else if (op === Op.end) {
      kinds.pop();
      if (this.depth === 0) {
        this.done = true;
        if (this.wholeRange && !this.r.atEnd) throw malformed('bytes after the final end of a body or expression', this.r.pos);
      } else {
        this.depth--;
      }
    }
  }

  private blockType(): void {
    const r = this.r;
    const b = r.peek();
    if (b === EMPTY_BLOCK) {
      r.pos++;
      return;
    }
    if ((b & 0xc0) === 0x40) {
      // A one-byte negative number: a value type.
      r.valType();
      return;
    }
    const at = r.pos;
    if (r.signed(33) < 0) throw malformed('bad block type', at);
  }

  private zero(): void {
    const at = this.r.pos;
    if (this.r.u8() !== 0) throw new InputError('wasm.unsupported', `unsupported Wasm at byte ${at}: multiple memories`, { context: { offset: at } });
  }

  private fcImmediates(sub: number): void {
    const r = this.r;
    switch (sub) {
      case OpFC.memoryInit:
        r.u32();
        this.zero();
        break;
      case OpFC.memoryCopy:
        this.zero();
        this.zero();
        break;
      case OpFC.memoryFill:
        this.zero();
        break;
      case OpFC.tableInit:
      case OpFC.tableCopy:
        r.u32();
        r.u32();
        break;
      case OpFC.dataDrop:
      case OpFC.elemDrop:
      case OpFC.tableGrow:
      case OpFC.tableSize:
      case OpFC.tableFill:
        r.u32();
        break;
      default:
        break; // 0–7: saturating truncations, no immediates
    }
  }
}

/** Skips a constant expression (global init, segment offset), checking it is well formed. */
function skipConstExpr(r: ByteReader): void {
  const d = new InstructionDecoder(r.bytes, r.pos, r.end, false);
  while (d.next());
  r.pos = d.pos;
}

/** Parses a whole module, checking its structure strictly. */
export function parseModule(bytes: Uint8Array): WasmModule {
  const r = new ByteReader(bytes);
  if (bytes.length < 8) throw malformed('shorter than the 8-byte header', 0);
  const magic = bytes[0] | (bytes[1] << 8) | (bytes[2] << 16) | (bytes[3] << 24);
  if (magic >>> 0 !== WASM_MAGIC) throw malformed('bad magic number (not a Wasm module)', 0);
  const version = bytes[4] | (bytes[5] << 8) | (bytes[6] << 16) | (bytes[7] << 24);
  if (version !== WASM_VERSION) throw malformed(`unsupported version ${version}`, 4);
  r.pos = 8;

  const m: WasmModule = {
    bytes,
    sections: [],
    types: [],
    imports: [],
    functions: [],
    tableCount: 0,
    tables: [],
    memories: [],
    globals: [],
    exports: [],
    start: null,
    bodies: [],
    importedFunctionCount: 0,
    importedGlobalCount: 0,
    importedMemoryCount: 0,
  };
  let lastRank = -1;
  let dataCount: number | null = null;
  let dataSegments: number | null = null;
  while (!r.atEnd) {
    const headerStart = r.pos;
    const id = r.u8();
    const size = r.u32();
    const start = r.pos;
    if (size > r.end - start) throw malformed(`section ${id} size ${size} runs past the end of the module`, headerStart);
    const end = start + size;
    const s = new ByteReader(bytes, start, end);
    const section: Section = { id, headerStart, start, end };
    if (id === SectionId.custom) {
      section.name = s.name();
    } else {
      const rank = SECTION_ORDER.indexOf(id);
      if (rank < 0) {
        if (id === 13) throw new InputError('wasm.unsupported', `unsupported Wasm at byte ${headerStart}: tag section (exception handling)`, { context: { offset: headerStart } });
        throw malformed(`unknown section id ${id}`, headerStart);
      }
      if (rank <= lastRank) throw malformed(`section ${id} is out of order or repeated`, headerStart);
      lastRank = rank;
      switch (id) {
        case SectionId.type:
          readTypes(s, m);
          break;
        case SectionId.import:
          readImports(s, m);
          break;
        case SectionId.function:
          for (let n = s.count(), i = 0; i < n; i++) m.functions.push(typeIndex(s, m));
          break;
        case SectionId.table:
          for (let n = s.count(), i = 0; i < n; i++) {
            s.refType();
            m.tables.push(s.limits());
            m.tableCount++;
          }
          break;
        case SectionId.memory:
          for (let n = s.count(), i = 0; i < n; i++) m.memories.push(s.limits());
          break;
        case SectionId.global:
          for (let n = s.count(), i = 0; i < n; i++) {
            const valType = s.valType();
            const mutable = mutability(s);
            skipConstExpr(s);
            m.globals.push({ valType, mutable });
          }
          break;
        case SectionId.export:
          readExports(s, m);
          break;
        case SectionId.start:
          m.start = s.u32();
          break;
        case SectionId.element:
          readElements(s);
          break;
        case SectionId.dataCount:
          dataCount = s.u32();
          break;
        case SectionId.code:
          readBodies(s, m);
          break;
        case SectionId.data:
          dataSegments = readData(s);
          break;
      }
      if (!s.atEnd) throw malformed(`section ${id} has ${s.end - s.pos} unexpected trailing bytes`, s.pos);
    }
    m.sections.push(section);
    r.pos = end;
  }
  if (m.functions.length !== m.bodies.length) {
    throw malformed(`${m.functions.length} functions declared but ${m.bodies.length} bodies given`, bytes.length);
  }
  if (dataCount !== null && dataCount !== (dataSegments ?? 0)) {
    throw malformed(`data count ${dataCount} does not match ${dataSegments ?? 0} data segments`, bytes.length);
  }
  return m;
}

/**
 * Parses a module the engine also accepts. Instrumentation passes start here: they append globals
 * and functions, so an out-of-range index in an invalid input could otherwise come to name one
 * of them (a module refilling its own fuel).
 */
export function parseValidModule(bytes: Uint8Array): WasmModule {
  const m = parseModule(bytes);
  if (!WebAssembly.validate(bytes)) {
    throw new InputError('wasm.invalid', `the module does not validate: ${engineError(bytes)}`);
  }
  return m;
}

/** The engine's message for a module it refuses. */
export function engineError(bytes: Uint8Array): string {
  try {
    new WebAssembly.Module(bytes);
    return 'unknown reason';
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/** A type index, checked here because the passes look function types up by it. */
function typeIndex(s: ByteReader, m: WasmModule): number {
  const at = s.pos;
  const t = s.u32();
  if (t >= m.types.length) throw malformed(`type index ${t} out of range (${m.types.length} types)`, at);
  return t;
}

function mutability(s: ByteReader): boolean {
  const at = s.pos;
  const b = s.u8();
  if (b > 1) throw malformed(`bad global mutability ${b}`, at);
  return b === 1;
}

function readTypes(s: ByteReader, m: WasmModule): void {
  for (let n = s.count(), i = 0; i < n; i++) {
    const at = s.pos;
    if (s.u8() !== 0x60) throw malformed('function type must start with 0x60', at);
    const params: number[] = [];
    for (let k = s.count(), j = 0; j < k; j++) params.push(s.valType());
    const results: number[] = [];
    for (let k = s.count(), j = 0; j < k; j++) results.push(s.valType());
    m.types.push({ params, results });
  }
}

function readImports(s: ByteReader, m: WasmModule): void {
  for (let n = s.count(), i = 0; i < n; i++) {
    const offset = s.pos;
    const module = s.name();
    const name = s.name();
    const kindAt = s.pos;
    const kind = s.u8();
    switch (kind) {
      case ExternalKind.func:
        m.imports.push({ module, name, offset, kind, typeIndex: typeIndex(s, m) });
        m.importedFunctionCount++;
        break;
      case ExternalKind.table:
        m.imports.push({ module, name, offset, kind, refType: s.refType(), limits: s.limits() });
        m.tableCount++;
        break;
      case ExternalKind.memory:
        m.imports.push({ module, name, offset, kind, limits: s.limits() });
        m.importedMemoryCount++;
        break;
      case ExternalKind.global:
        m.imports.push({ module, name, offset, kind, valType: s.valType(), mutable: mutability(s) });
        m.importedGlobalCount++;
        break;
      default:
        throw malformed(`bad import kind ${kind}`, kindAt);
    }
  }
}

function readExports(s: ByteReader, m: WasmModule): void {
  const seen = new Set<string>();
  for (let n = s.count(), i = 0; i < n; i++) {
    const offset = s.pos;
    const name = s.name();
    if (seen.has(name)) throw malformed(`duplicate export "${name}"`, offset);
    seen.add(name);
    const kindAt = s.pos;
    const kind = s.u8();
    if (kind > ExternalKind.global) throw malformed(`bad export kind ${kind}`, kindAt);
    m.exports.push({ name, kind, index: s.u32(), offset });
  }
}

function readElements(s: ByteReader): void {
  for (let n = s.count(), i = 0; i < n; i++) {
    const at = s.pos;
    const flags = s.u32();
    if (flags > 7) throw malformed(`bad element segment flags ${flags}`, at);
    const passiveOrDeclarative = (flags & 1) !== 0;
    const explicitTable = (flags & 2) !== 0;
    const usesExprs = (flags & 4) !== 0;
    if (!passiveOrDeclarative && explicitTable) s.u32();
    if (!passiveOrDeclarative) skipConstExpr(s);
    if (passiveOrDeclarative || explicitTable) {
      if (usesExprs) s.refType();
      else if (s.u8() !== 0) throw malformed('element kind must be 0 (funcref)', s.pos - 1);
    }
    for (let k = s.count(), j = 0; j < k; j++) {
      if (usesExprs) skipConstExpr(s);
      else s.u32();
    }
  }
}

function readData(s: ByteReader): number {
  const n = s.count();
  for (let i = 0; i < n; i++) {
    const at = s.pos;
    const flags = s.u32();
    if (flags > 2) throw malformed(`bad data segment flags ${flags}`, at);
    if (flags === 2) s.u32();
    if (flags !== 1) skipConstExpr(s);
    s.skip(s.u32());
  }
  return n;
}

function readBodies(s: ByteReader, m: WasmModule): void {
  for (let n = s.count(), i = 0; i < n; i++) {
    const sizeAt = s.pos;
    const size = s.u32();
    const start = s.pos;
    if (size > s.end - start) throw malformed(`function body ${i} size ${size} runs past its section`, sizeAt);
    const end = start + size;
    const b = new ByteReader(s.bytes, start, end);
    let localCount = 0;
    for (let groups = b.count(), g = 0; g < groups; g++) {
      const at = b.pos;
      localCount += b.u32();
      if (localCount > MAX_LOCALS) throw malformed(`more than ${MAX_LOCALS} locals`, at);
      b.valType();
    }
    const codeStart = b.pos;
    const d = new InstructionDecoder(s.bytes, codeStart, end);
    while (d.next());
    m.bodies.push({ start, codeStart, end, localCount });
    s.pos = end;
  }
}

/** The type of a function by its index in the function index space (imports come first). */
export function functionType(m: WasmModule, funcIndex: number): FuncType | undefined {
  if (funcIndex < m.importedFunctionCount) {
    let k = 0;
    for (const imp of m.imports) {
      if (imp.kind !== ExternalKind.func) continue;
      if (k++ === funcIndex) return m.types[imp.typeIndex];
    }
    return undefined;
  }
  const t = m.functions[funcIndex - m.importedFunctionCount];
  return t === undefined ? undefined : m.types[t];
}

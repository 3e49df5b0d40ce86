// Encodes Wasm binaries: a growable byte buffer with LEB128, section framing, a module re-assembler
// that keeps a parsed module's sections and swaps in replaced or added ones in the mandatory order,
// and a small ModuleBuilder for modules written from scratch (tests, code generators).
import { ExternalKind, SECTION_ORDER, SectionId, ValType, WASM_MAGIC, WASM_VERSION } from './wasm-opcodes.js';
import type { WasmModule } from './wasm-reader.js';

const utf8 = new TextEncoder();

export class ByteWriter {
  private buf: Uint8Array;
  length = 0;

  constructor(capacity = 256) {
    this.buf = new Uint8Array(capacity);
  }

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let cap = Math.max(this.buf.length * 2, 16);
    while (cap < this.length + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  // The emitters write one byte or LEB128 number at a time, millions of times while a corpus's
  // predicate module is generated: each writer checks capacity once and writes through a local.

  u8(b: number): this {
    if (this.length === this.buf.length) this.reserve(1);
    this.buf[this.length++] = b;
    return this;
  }

  u32(v: number): this {
    // (v >>> 0) === v: an integer in [0, 2^32) (not NaN, not a fraction, not negative).
    if (v >>> 0 !== v) throw new RangeError(`u32 out of range: ${v}`);
    if (this.length + 5 > this.buf.length) this.reserve(5);
    const buf = this.buf;
    let at = this.length;
    while (v >= 0x80) {
      buf[at++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[at++] = v;
    this.length = at;
    return this;
  }

  /** Signed LEB128 of a safe integer (i32 constants, block type indices). */
  s32(v: number): this {
    if (!Number.isInteger(v) || v < -(2 ** 31) || v > 0xffffffff) throw new RangeError(`s32 out of range: ${v}`);
    v |= 0;
    if (this.length + 5 > this.buf.length) this.reserve(5);
    const buf = this.buf;
    let at = this.length;
    while (true) {
      const b = v & 0x7f;
      v >>= 7;
      if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
        buf[at++] = b;
        this.length = at;
        return this;
      }
      buf[at++] = b | 0x80;
    }
  }

  s64(v: bigint): this {
    // Most constants fit 32 bits, whose signed LEB128 is the same bytes as s32's.
    if (v >= -0x80000000n && v <= 0x7fffffffn) return this.s32(Number(v));
    v = BigInt.asIntN(64, v);
    while (true) {
      const b = Number(v & 0x7fn);
      v >>= 7n;
      if ((v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0)) return this.u8(b);
      this.u8(b | 0x80);
    }
  }

  f64(v: number): this {
    this.reserve(8);
    new DataView(this.buf.buffer, this.buf.byteOffset + this.length, 8).setFloat64(0, v, true);
    this.length += 8;
    return this;
  }

  bytes(b: Uint8Array | readonly number[]): this {
    if (this.length + b.length > this.buf.length) this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
    return this;
  }

  name(s: string): this {
    const b = utf8.encode(s);
    return this.u32(b.length).bytes(b);
  }

  /** A size-prefixed byte string (section payload, function body). */
  sized(payload: Uint8Array): this {
    return this.u32(payload.length).bytes(payload);
  }

  /**
   * The bytes written. A writer at least half full gives a view of its buffer rather than a copy:
   * whole modules and sections pass through several writers, and copying each (megabytes, into
   * fresh pages) was a sixth of a cold build. Bytes before `length` are never written again, so
   * the view cannot change under its holder; a mostly empty buffer is copied, so a small result
   * never keeps a large buffer alive.
   */
  finish(): Uint8Array {
    return this.length * 2 >= this.buf.length ? this.buf.subarray(0, this.length) : this.buf.slice(0, this.length);
  }
}

export interface SectionPayload {
  id: number;
  payload: Uint8Array;
}

function header(w: ByteWriter): void {
  w.bytes([WASM_MAGIC & 0xff, (WASM_MAGIC >>> 8) & 0xff, (WASM_MAGIC >>> 16) & 0xff, WASM_MAGIC >>> 24, WASM_VERSION, 0, 0, 0]);
}

function rank(id: number): number {
  return SECTION_ORDER.indexOf(id);
}

/**
 * Re-assembles `m` with some known sections replaced (`replace`, keyed by section id) or added
 * when absent. Custom sections stay after the known section they followed.
 */
export function reassemble(m: WasmModule, replace: Map<number, Uint8Array>): Uint8Array {
  const w = new ByteWriter(m.bytes.length + 256);
  header(w);
  const pending = new Map(replace);
  const present = new Set(m.sections.map((s) => s.id));
  const emitAddedBefore = (r: number): void => {
    for (const [id, payload] of [...pending].sort((a, b) => rank(a[0]) - rank(b[0]))) {
      if (present.has(id) || rank(id) >= r) continue;
      w.u8(id).sized(payload);
      pending.delete(id);
    }
  };
  for (const s of m.sections) {
    if (s.id !== SectionId.custom) emitAddedBefore(rank(s.id));
    const payload = pending.get(s.id);
    if (payload && s.id !== SectionId.custom) {
      w.u8(s.id).sized(payload);
      pending.delete(s.id);
    } else {
      w.bytes(m.bytes.subarray(s.headerStart, s.end));
    }
  }
  emitAddedBefore(Infinity);
  return w.finish();
}

/** Payload of a vector section: the existing entries kept byte for byte, plus `extra` appended. */
export function appendToVector(m: WasmModule, id: number, extra: Uint8Array[]): Uint8Array {
  const w = new ByteWriter();
  const s = m.sections.find((x) => x.id === id);
  if (!s) {
    w.u32(extra.length);
  } else {
    // Re-read the count so the entries can be copied verbatim after a new one.
    let pos = s.start;
    let count = 0;
    let shift = 0;
    while (true) {
      const b = m.bytes[pos++];
      count += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if ((b & 0x80) === 0) break;
    }
    w.u32(count + extra.length).bytes(m.bytes.subarray(pos, s.end));
  }
  for (const e of extra) w.bytes(e);
  return w.finish();
}

export interface BuilderFunction {
  typeIndex: number;
  /** Local declarations beyond the parameters, one value type each. */
  locals: number[];
  /** Instructions, including the final `end`. */
  code: Uint8Array | number[];
}

/**
 * Builds a module from parts. Function indices count imported functions first, as in Wasm:
 * `addFunction` returns the index to call it by.
 */
export class ModuleBuilder {
  /**
   * `meter`, when given, makes the builder keep a fuel-metered body of each function beside its
   * own, from the emitter's counts (addEmitted; FunctionEmitter.metered): fuel.ts buildMetered
   * then gives the instrumented module without decoding it again.
   */
  constructor(readonly meter?: { fuelGlobal: number; wide: boolean }) {}

  private readonly meteredBodies: Uint8Array[] = [];
  private readonly types: { params: number[]; results: number[] }[] = [];
  private readonly imports: Uint8Array[] = [];
  private importedFunctions = 0;
  /** Each defined function's type index (its body is in `bodies`). */
  private readonly functions: number[] = [];
  private readonly tables: { min: number; max?: number }[] = [];
  private memory: { min: number; max?: number } | null = null;
  private readonly globals: Uint8Array[] = [];
  private readonly exports: Uint8Array[] = [];
  private start: number | null = null;
  private readonly data: { offset: number; bytes: Uint8Array }[] = [];

  type(params: number[], results: number[]): number {
    const key = JSON.stringify([params, results]);
    const found = this.types.findIndex((t) => JSON.stringify([t.params, t.results]) === key);
    if (found >= 0) return found;
    this.types.push({ params, results });
    return this.types.length - 1;
  }

  importFunction(module: string, name: string, params: number[], results: number[]): number {
    if (this.functions.length > 0) throw new Error('import functions before defining any');
    const w = new ByteWriter().name(module).name(name).u8(ExternalKind.func).u32(this.type(params, results));
    this.imports.push(w.finish());
    return this.importedFunctions++;
  }

  importMemory(module: string, name: string, min: number, max?: number): void {
    const w = new ByteWriter().name(module).name(name).u8(ExternalKind.memory);
    limits(w, min, max);
    this.imports.push(w.finish());
  }

  /** A function from its instructions (a builder constructed with `meter` takes addEmitted instead). */
  addFunction(params: number[], results: number[], locals: number[], code: Uint8Array | number[]): number {
    if (this.meter) throw new Error('internal: a metering ModuleBuilder takes emitted functions (addEmitted)');
    return this.add(params, results, locals, code, undefined);
  }

  /** A function an emitter wrote, metered too when the builder meters. */
  addEmitted(params: number[], results: number[], em: EmittedFunction): number {
    const { locals, code } = em.finish();
    return this.add(params, results, locals, code, this.meter ? em.metered(this.meter.fuelGlobal, this.meter.wide) : undefined);
  }

  private add(params: number[], results: number[], locals: number[], code: Uint8Array | number[], metered: Uint8Array | undefined): number {
    this.functions.push(this.type(params, results));
    // Encoded now, size prefix and all: a generator that adds functions while it waits for more
    // input (PredicateModuleGenerator) then leaves build() little more than concatenation.
    this.bodies.push(sizedFunctionBody(locals, code));
    if (metered !== undefined) this.meteredBodies.push(sizedFunctionBody(locals, metered));
    return this.importedFunctions + this.functions.length - 1;
  }

  /** Each function's encoded body, size-prefixed, in function order. */
  private readonly bodies: Uint8Array[] = [];

  /** Adds a funcref table; returns its index. */
  addTable(min: number, max?: number): number {
    this.tables.push({ min, max });
    return this.tables.length - 1;
  }

  setMemory(min: number, max?: number): this {
    this.memory = { min, max };
    return this;
  }

  /** Adds a global initialised by `init` (a constant expression without its `end`). */
  addGlobal(valType: number, mutable: boolean, init: number[]): number {
    this.globals.push(Uint8Array.from([valType, mutable ? 1 : 0, ...init, 0x0b]));
    return this.globals.length - 1;
  }

  export(name: string, kind: number, index: number): this {
    this.exports.push(new ByteWriter().name(name).u8(kind).u32(index).finish());
    return this;
  }

  exportFunction(name: string, index: number): this {
    return this.export(name, ExternalKind.func, index);
  }

  setStart(funcIndex: number): this {
    this.start = funcIndex;
    return this;
  }

  addData(offset: number, bytes: Uint8Array): this {
    this.data.push({ offset, bytes });
    return this;
  }

  /** Defined functions so far, imported ones included: the index the next one gets. */
  get functionCount(): number {
    return this.importedFunctions + this.functions.length;
  }

  get globalCount(): number {
    return this.globals.length;
  }

  get typeCount(): number {
    return this.types.length;
  }

  /**
   * The module. `extras` appends encoded entries to sections (after the builder's own) and may
   * replace the function bodies (size-prefixed, every function's, then any appended one's): what
   * fuel instrumentation adds (PredicateModuleGenerator), without parsing the module again.
   */
  build(extras: ModuleExtras = {}): Uint8Array {
    return encodeModule(this.sections(extras));
  }

  /** build().length (no extras), without building the module. */
  encodedSize(): number {
    let size = 8;
    for (const s of this.sections({}, true)) size += 1 + lebSize(s.length) + s.length;
    return size;
  }

  /** Each section's payload (or, for `sizesOnly`, a stand-in of its length). */
  private sections(extras: ModuleExtras, sizesOnly = false): { id: number; payload: Uint8Array; length: number }[] {
    const sections: { id: number; payload: Uint8Array; length: number }[] = [];
    const none = new Uint8Array(0);
    const vec = (id: number, items: readonly Uint8Array[], more: readonly Uint8Array[] = []): void => {
      const count = items.length + more.length;
      if (count === 0) return;
      let length = lebSize(count);
      for (const it of items) length += it.length;
      for (const it of more) length += it.length;
      if (sizesOnly) {
        sections.push({ id, payload: none, length });
        return;
      }
      const w = new ByteWriter(length).u32(count);
      for (const it of items) w.bytes(it);
      for (const it of more) w.bytes(it);
      sections.push({ id, payload: w.finish(), length });
    };
    vec(
      SectionId.type,
      this.types.map((t) => new ByteWriter().u8(0x60).u32(t.params.length).bytes(t.params).u32(t.results.length).bytes(t.results).finish()),
      extras.types,
    );
    vec(SectionId.import, this.imports);
    vec(
      SectionId.function,
      this.functions.map((typeIndex) => new ByteWriter(5).u32(typeIndex).finish()),
      extras.functions,
    );
    vec(
      SectionId.table,
      this.tables.map((t) => {
        const w = new ByteWriter().u8(ValType.funcref);
        limits(w, t.min, t.max);
        return w.finish();
      }),
    );
    if (this.memory) {
      const w = new ByteWriter().u32(1);
      limits(w, this.memory.min, this.memory.max);
      const payload = w.finish();
      sections.push({ id: SectionId.memory, payload, length: payload.length });
    }
    vec(SectionId.global, this.globals, extras.globals);
    vec(SectionId.export, this.exports, extras.exports);
    if (this.start !== null) {
      const payload = new ByteWriter().u32(this.start).finish();
      sections.push({ id: SectionId.start, payload, length: payload.length });
    }
    vec(SectionId.code, extras.bodies ?? this.bodies);
    if (sizesOnly) {
      // The data segments' bytes are not copied to be measured.
      if (this.data.length > 0) {
        let length = lebSize(this.data.length);
        for (const d of this.data) length += new ByteWriter(16).u32(0).u8(0x41).s32(d.offset).u8(0x0b).u32(d.bytes.length).length + d.bytes.length;
        sections.push({ id: SectionId.data, payload: none, length });
      }
    } else {
      vec(
        SectionId.data,
        this.data.map((d) => new ByteWriter(d.bytes.length + 16).u32(0).u8(0x41).s32(d.offset).u8(0x0b).sized(d.bytes).finish()),
      );
    }
    return sections;
  }

  /** Each function's metered body (constructor `meter`), size-prefixed, in function order. */
  meteredFunctionBodies(): readonly Uint8Array[] {
    return this.meteredBodies;
  }
}

/**
 * A function body as the code section holds it, size prefix first, in one buffer: the local
 * declarations (one entry per local, count 1 each) and then the instructions. A corpus's
 * predicate module has thousands of functions, each added twice (plain and metered).
 */
export function sizedFunctionBody(locals: readonly number[], code: Uint8Array | readonly number[]): Uint8Array {
  let length = lebSize(locals.length) + code.length;
  for (let i = 0; i < locals.length; i++) length += 2; // count 1 (one byte), then the type
  const w = new ByteWriter(lebSize(length) + length).u32(length).u32(locals.length);
  for (const t of locals) w.u32(1).u8(t);
  return w.bytes(code).finish();
}

/** `payload` with its LEB128 size in front (a function body as the code section holds it). */
export function sizedBytes(payload: Uint8Array): Uint8Array {
  return new ByteWriter(payload.length + 5).sized(payload).finish();
}

/** What ModuleBuilder.addEmitted takes: a FunctionEmitter (by shape, so this file does not import it). */
export interface EmittedFunction {
  finish(): { locals: number[]; code: Uint8Array };
  metered(fuelGlobal: number, wide: boolean): Uint8Array;
}

/** What ModuleBuilder.build appends or replaces (see there). */
export interface ModuleExtras {
  types?: readonly Uint8Array[];
  functions?: readonly Uint8Array[];
  globals?: readonly Uint8Array[];
  exports?: readonly Uint8Array[];
  bodies?: readonly Uint8Array[];
}

/** Bytes of v as unsigned LEB128. */
export function lebSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

function limits(w: ByteWriter, min: number, max?: number): void {
  if (max === undefined) w.u8(0).u32(min);
  else w.u8(1).u32(min).u32(max);
}

/** Encodes a module from section payloads given in order. */
export function encodeModule(sections: SectionPayload[]): Uint8Array {
  let size = 8;
  for (const s of sections) size += s.payload.length + 6;
  const w = new ByteWriter(size);
  header(w);
  for (const s of sections) w.u8(s.id).sized(s.payload);
  return w.finish();
}

export interface ByteEdit {
  /** Replaced range [start, end) in the source bytes; start === end inserts. */
  start: number;
  end: number;
  insert: Uint8Array;
}

/** Copies bytes[from, to) with the edits (sorted, non-overlapping) applied. */
export function spliceBytes(bytes: Uint8Array, from: number, to: number, edits: readonly ByteEdit[], out = new ByteWriter(to - from + 64)): ByteWriter {
  let pos = from;
  for (const e of edits) {
    out.bytes(bytes.subarray(pos, e.start)).bytes(e.insert);
    pos = e.end;
  }
  return out.bytes(bytes.subarray(pos, to));
}

/** Code section payload from whole function bodies (local declarations + instructions). */
export function codeSectionPayload(bodies: readonly Uint8Array[]): Uint8Array {
  const w = new ByteWriter(bodies.reduce((n, b) => n + b.length + 5, 5)).u32(bodies.length);
  for (const b of bodies) w.sized(b);
  return w.finish();
}

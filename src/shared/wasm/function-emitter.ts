// Writes the instructions of one Wasm function: typed locals allocated on demand, structured
// control with named labels (a branch names the block it leaves, the emitter works out the
// relative depth), and the few immediates the code generator needs. It knows nothing about EQL.
import { EMPTY_BLOCK, Op, ValType } from './wasm-opcodes.js';
import { ByteWriter } from './wasm-writer.js';

/** A block, loop or if, as a branch target. */
export type Label = number;

export class FunctionEmitter {
  private readonly code = new ByteWriter(1024);
  private readonly extraLocals: number[] = [];
  private readonly open: Label[] = [];
  private nextLabel = 0;

  constructor(readonly params: readonly number[]) {}

  /** A fresh local of the given value type. */
  local(type: number): number {
    this.extraLocals.push(type);
    return this.params.length + this.extraLocals.length - 1;
  }

  op(...bytes: number[]): this {
    for (const b of bytes) this.code.u8(b);
    return this;
  }

  i32(v: number): this {
    this.code.u8(Op.i32Const).s32(v | 0);
    return this;
  }

  i64(v: bigint): this {
    this.code.u8(Op.i64Const).s64(v);
    return this;
  }

  f64(v: number): this {
    this.code.u8(Op.f64Const).f64(v);
    return this;
  }

  get(local: number): this {
    this.code.u8(Op.localGet).u32(local);
    return this;
  }

  set(local: number): this {
    this.code.u8(Op.localSet).u32(local);
    return this;
  }

  tee(local: number): this {
    this.code.u8(Op.localTee).u32(local);
    return this;
  }

  globalGet(index: number): this {
    this.code.u8(Op.globalGet).u32(index);
    return this;
  }

  globalSet(index: number): this {
    this.code.u8(Op.globalSet).u32(index);
    return this;
  }

  /** A load or store with a constant offset; alignment hint 0 (records are read unaligned). */
  mem(op: number, offset = 0): this {
    this.code.u8(op).u32(0).u32(offset);
    return this;
  }

  call(fn: number): this {
    this.code.u8(Op.call).u32(fn);
    return this;
  }

  block(result?: number): Label {
    return this.openLabel(Op.block, result);
  }

  loop(): Label {
    return this.openLabel(Op.loop, undefined);
  }

  /** `if` on the i32 on the stack (not a branch target here: branches name enclosing blocks). */
  if(result?: number): this {
    this.openLabel(Op.if, result);
    return this;
  }

  else(): this {
    this.code.u8(Op.else);
    return this;
  }

  end(): this {
    if (this.open.pop() === undefined) throw new Error('end without an open block');
    this.code.u8(Op.end);
    return this;
  }

  br(label: Label): this {
    this.code.u8(Op.br).u32(this.depth(label));
    return this;
  }

  brIf(label: Label): this {
    this.code.u8(Op.brIf).u32(this.depth(label));
    return this;
  }

  /** br_table: to targets[i] for i on the stack, to `fallback` for any other value. */
  brTable(targets: readonly Label[], fallback: Label): this {
    this.code.u8(Op.brTable).u32(targets.length);
    for (const t of targets) this.code.u32(this.depth(t));
    this.code.u32(this.depth(fallback));
    return this;
  }

  /** The function body (local declarations and instructions, with the final `end`). */
  finish(): { locals: number[]; code: Uint8Array } {
    if (this.open.length !== 0) throw new Error('unclosed block');
    this.code.u8(Op.end);
    return { locals: this.extraLocals, code: this.code.finish() };
  }

  private openLabel(op: number, result: number | undefined): Label {
    this.code.u8(op).u8(result ?? EMPTY_BLOCK);
    const label = this.nextLabel++;
    this.open.push(label);
    return label;
  }

  private depth(label: Label): number {
    const at = this.open.lastIndexOf(label);
    if (at < 0) throw new Error('branch to a label that is not open');
    return this.open.length - 1 - at;
  }
}

export const I32 = ValType.i32;
export const I64 = ValType.i64;
export const F64 = ValType.f64;

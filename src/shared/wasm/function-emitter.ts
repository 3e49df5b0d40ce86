// Writes the instructions of one Wasm function: typed locals allocated on demand, structured
// control with named labels (a branch names the block it leaves, the emitter works out the
// relative depth), and the few immediates the code generator needs. It knows nothing about EQL.
//
// It also counts the instructions of each fuel region as it writes them (fuel.ts: the body outside
// loops, and each loop's body outside nested loops), so metered() gives what instrumentFuel's
// metering would, without decoding the function again.
import { EMPTY_BLOCK, Op, ValType } from './wasm-opcodes.js';
import { ByteWriter, spliceBytes } from './wasm-writer.js';
import { chargeCode } from './fuel.js';

/** A block, loop or if, as a branch target. */
export type Label = number;

export class FunctionEmitter {
  private readonly code = new ByteWriter();
  private readonly extraLocals: number[] = [];
  private readonly open: Label[] = [];
  /** Per open label: whether it is a loop (its end closes a fuel region). */
  private readonly openIsLoop: boolean[] = [];
  private nextLabel = 0;
  /** Instructions per fuel region, where each region's charge goes, and the open regions. */
  private readonly regionCounts: number[] = [0];
  private readonly regionStarts: number[] = [0];
  private readonly regions: number[] = [0];
  private finished: Uint8Array | null = null;

  constructor(readonly params: readonly number[]) {}

  /** A fresh local of the given value type. */
  local(type: number): number {
    this.extraLocals.push(type);
    return this.params.length + this.extraLocals.length - 1;
  }

  /** One more instruction in the innermost open fuel region. */
  private counted(): ByteWriter {
    this.regionCounts[this.regions[this.regions.length - 1]!]!++;
    return this.code;
  }

  /** Instructions without immediates (numeric, comparison, select, return …), one per byte. */
  op(...bytes: number[]): this {
    for (const b of bytes) {
      if (!isPlainOpcode(b)) throw new Error(`op() takes instructions without immediates; 0x${b.toString(16)} has its own method`);
      this.counted().u8(b);
    }
    return this;
  }

  i32(v: number): this {
    this.counted().u8(Op.i32Const).s32(v | 0);
    return this;
  }

  i64(v: bigint): this {
    this.counted().u8(Op.i64Const).s64(v);
    return this;
  }

  f64(v: number): this {
    this.counted().u8(Op.f64Const).f64(v);
    return this;
  }

  get(local: number): this {
    this.counted().u8(Op.localGet).u32(local);
    return this;
  }

  set(local: number): this {
    this.counted().u8(Op.localSet).u32(local);
    return this;
  }

  tee(local: number): this {
    this.counted().u8(Op.localTee).u32(local);
    return this;
  }

  globalGet(index: number): this {
    this.counted().u8(Op.globalGet).u32(index);
    return this;
  }

  globalSet(index: number): this {
    this.counted().u8(Op.globalSet).u32(index);
    return this;
  }

  /** A load or store with a constant offset; alignment hint 0 (records are read unaligned). */
  mem(op: number, offset = 0): this {
    this.counted().u8(op).u32(0).u32(offset);
    return this;
  }

  call(fn: number): this {
    this.counted().u8(Op.call).u32(fn);
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
    this.counted().u8(Op.else);
    return this;
  }

  end(): this {
    if (this.open.pop() === undefined) throw new Error('end without an open block');
    // A loop's `end` is the last instruction of its region.
    this.counted().u8(Op.end);
    if (this.openIsLoop.pop()) this.regions.pop();
    return this;
  }

  br(label: Label): this {
    this.counted().u8(Op.br).u32(this.depth(label));
    return this;
  }

  brIf(label: Label): this {
    this.counted().u8(Op.brIf).u32(this.depth(label));
    return this;
  }

  /** br_table: to targets[i] for i on the stack, to `fallback` for any other value. */
  brTable(targets: readonly Label[], fallback: Label): this {
    this.counted().u8(Op.brTable).u32(targets.length);
    for (const t of targets) this.code.u32(this.depth(t));
    this.code.u32(this.depth(fallback));
    return this;
  }

  /** The function body (local declarations and instructions, with the final `end`). */
  finish(): { locals: number[]; code: Uint8Array } {
    if (this.finished) throw new Error('a function finished twice');
    if (this.open.length !== 0) throw new Error('unclosed block');
    this.counted().u8(Op.end);
    this.finished = this.code.finish();
    return { locals: this.extraLocals, code: this.finished };
  }

  /**
   * finish()'s instructions with fuel metering (fuel.ts cost model): a charge of each region's
   * instruction count at its start, against fuel global `fuelGlobal`. The same bytes as
   * instrumentFuel's metering of this function.
   */
  metered(fuelGlobal: number, wide: boolean): Uint8Array {
    const code = this.finished;
    if (code === null) throw new Error('metered() before finish()');
    const edits = this.regionStarts.map((at, i) => ({ start: at, end: at, insert: chargeCode(fuelGlobal, Math.max(1, this.regionCounts[i]!), wide) }));
    return spliceBytes(code, 0, code.length, edits).finish();
  }

  private openLabel(op: number, result: number | undefined): Label {
    // The loop instruction itself belongs to the enclosing region; its body starts a new one.
    this.counted().u8(op).u8(result ?? EMPTY_BLOCK);
    const label = this.nextLabel++;
    this.open.push(label);
    this.openIsLoop.push(op === Op.loop);
    if (op === Op.loop) {
      this.regions.push(this.regionCounts.length);
      this.regionCounts.push(0);
      this.regionStarts.push(this.code.length);
    }
    return label;
  }

  private depth(label: Label): number {
    const at = this.open.lastIndexOf(label);
    if (at < 0) throw new Error('branch to a label that is not open');
    return this.open.length - 1 - at;
  }
}

/** Opcodes without immediates that are not structured control: what op() may write. */
function isPlainOpcode(b: number): boolean {
  return (b >= Op.i32Eqz && b <= 0xc4) || b === Op.select || b === Op.drop || b === Op.return || b === Op.unreachable || b === Op.nop;
}

export const I32 = ValType.i32;
export const I64 = ValType.i64;
export const F64 = ValType.f64;

// Generates small random Wasm programs (fast-check arbitraries) for property tests of the
// instrumentation passes: integer arithmetic, locals, memory loads/stores, if/else, blocks left by
// br_if, counted loops (nested), and calls to earlier functions. Never traps, always terminates.
import fc from 'fast-check';
import { ModuleBuilder, ByteWriter } from '../../src/shared/wasm/wasm-writer.js';
import { Op, ValType } from '../../src/shared/wasm/wasm-opcodes.js';

type Expr =
  | { k: 'const'; v: number }
  | { k: 'local'; i: number }
  | { k: 'bin'; op: number; a: Expr; b: Expr }
  | { k: 'load'; a: Expr }
  | { k: 'call'; f: number; a: Expr };

type Stmt =
  | { k: 'set'; i: number; e: Expr }
  | { k: 'store'; a: Expr; v: Expr }
  | { k: 'if'; c: Expr; t: Stmt[]; f: Stmt[] }
  | { k: 'loop'; n: number; body: Stmt[] }
  | { k: 'block'; before: Stmt[]; c: Expr; after: Stmt[] };

const LOCALS = 3; // local 0 is the parameter, 1–2 declared; loop counters come after
const BINOPS = [Op.i32Add, Op.i32Sub, Op.i32Mul, Op.i32Xor, Op.i32And, Op.i32Or, Op.i32Shl, Op.i32ShrU];

function exprArb(maxCallee: number): fc.Arbitrary<Expr> {
  const { expr } = fc.letrec<{ expr: Expr }>((tie) => ({
    expr: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      fc.integer({ min: -1000, max: 1000 }).map((v): Expr => ({ k: 'const', v })),
      fc.integer({ min: 0, max: LOCALS - 1 }).map((i): Expr => ({ k: 'local', i })),
      fc.record({ op: fc.constantFrom(...BINOPS), a: tie('expr'), b: tie('expr') }).map((r): Expr => ({ k: 'bin', ...r })),
      tie('expr').map((a): Expr => ({ k: 'load', a })),
      ...(maxCallee > 0 ? [fc.record({ f: fc.integer({ min: 0, max: maxCallee - 1 }), a: tie('expr') }).map((r): Expr => ({ k: 'call', ...r }))] : []),
    ),
  }));
  return expr;
}

function stmtsArb(maxCallee: number): fc.Arbitrary<Stmt[]> {
  const e = exprArb(maxCallee);
  const { stmts } = fc.letrec<{ stmt: Stmt; stmts: Stmt[] }>((tie) => ({
    stmt: fc.oneof(
      { depthSize: 'small' },
      fc.record({ i: fc.integer({ min: 1, max: LOCALS - 1 }), e }).map((r): Stmt => ({ k: 'set', ...r })),
      fc.record({ a: e, v: e }).map((r): Stmt => ({ k: 'store', ...r })),
      fc.record({ c: e, t: tie('stmts'), f: tie('stmts') }).map((r): Stmt => ({ k: 'if', ...r })),
      fc.record({ n: fc.integer({ min: 1, max: 5 }), body: tie('stmts') }).map((r): Stmt => ({ k: 'loop', ...r })),
      fc.record({ before: tie('stmts'), c: e, after: tie('stmts') }).map((r): Stmt => ({ k: 'block', ...r })),
    ),
    stmts: fc.array(tie('stmt'), { maxLength: 3 }),
  }));
  return stmts;
}

export interface RandomProgram {
  functions: { body: Stmt[]; result: Expr }[];
}

export const randomProgram: fc.Arbitrary<RandomProgram> = fc
  .integer({ min: 1, max: 3 })
  .chain((n) => fc.tuple(...Array.from({ length: n }, (_, f) => fc.record({ body: stmtsArb(f), result: exprArb(f) }))))
  .map((functions) => ({ functions }));

function loopDepth(stmts: Stmt[]): number {
  let d = 0;
  for (const s of stmts) {
    if (s.k === 'loop') d = Math.max(d, 1 + loopDepth(s.body));
    else if (s.k === 'if') d = Math.max(d, loopDepth(s.t), loopDepth(s.f));
    else if (s.k === 'block') d = Math.max(d, loopDepth(s.before), loopDepth(s.after));
  }
  return d;
}

/** Encodes a program: function k is `f{k}(i32) -> i32`, all exported; one page of memory. */
export function encodeProgram(p: RandomProgram): Uint8Array {
  const b = new ModuleBuilder().setMemory(1, 1);
  p.functions.forEach((fn, index) => {
    const w = new ByteWriter();
    const counters = loopDepth(fn.body);
    const emitExpr = (x: Expr): void => {
      switch (x.k) {
        case 'const':
          w.u8(Op.i32Const).s32(x.v);
          break;
        case 'local':
          w.u8(Op.localGet).u32(x.i);
          break;
        case 'bin':
          emitExpr(x.a);
          emitExpr(x.b);
          w.u8(x.op);
          break;
        case 'load':
          emitAddr(x.a);
          w.u8(Op.i32Load).u32(2).u32(0);
          break;
        case 'call':
          emitExpr(x.a);
          w.u8(Op.call).u32(x.f);
          break;
      }
    };
    // Addresses are masked into the one page and 4-byte aligned, so accesses never trap.
    const emitAddr = (a: Expr): void => {
      emitExpr(a);
      w.u8(Op.i32Const).s32(0xfffc).u8(Op.i32And);
    };
    const emitStmts = (ss: Stmt[], loopLevel: number): void => {
      for (const s of ss) {
        switch (s.k) {
          case 'set':
            emitExpr(s.e);
            w.u8(Op.localSet).u32(s.i);
            break;
          case 'store':
            emitAddr(s.a);
            emitExpr(s.v);
            w.u8(Op.i32Store).u32(2).u32(0);
            break;
          case 'if':
            emitExpr(s.c);
            w.u8(Op.if).u8(0x40);
            emitStmts(s.t, loopLevel);
            w.u8(Op.else);
            emitStmts(s.f, loopLevel);
            w.u8(Op.end);
            break;
          case 'loop': {
            const counter = LOCALS + loopLevel;
            w.u8(Op.i32Const).s32(s.n).u8(Op.localSet).u32(counter);
            w.u8(Op.loop).u8(0x40);
            emitStmts(s.body, loopLevel + 1);
            w.u8(Op.localGet).u32(counter).u8(Op.i32Const).s32(1).u8(Op.i32Sub).u8(Op.localTee).u32(counter);
            w.u8(Op.brIf).u32(0).u8(Op.end);
            break;
          }
          case 'block':
            w.u8(Op.block).u8(0x40);
            emitStmts(s.before, loopLevel);
            emitExpr(s.c);
            w.u8(Op.brIf).u32(0);
            emitStmts(s.after, loopLevel);
            w.u8(Op.end);
            break;
        }
      }
    };
    emitStmts(fn.body, 0);
    emitExpr(fn.result);
    w.u8(Op.end);
    const locals = Array.from({ length: LOCALS - 1 + counters }, () => ValType.i32);
    const f = b.addFunction([ValType.i32], [ValType.i32], locals, w.finish());
    b.exportFunction(`f${index}`, f);
  });
  return b.build();
}

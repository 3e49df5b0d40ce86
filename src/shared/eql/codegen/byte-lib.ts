// The byte-string routines every predicate module carries: equality, ordering, prefix / suffix /
// infix search, `*`/`?` wildcard matching, a non-ASCII scan and a hash-set lookup. Strings are
// (address, length) pairs of UTF-8; `fold` = 1 lower-cases ASCII letters of the FIRST string
// only (constants are folded when the module is generated). Case-insensitive callers first make
// sure the record string is pure ASCII (`hasHigh`); other code points go to the host, whose
// folding knows all of Unicode.
//
// Working on UTF-8 bytes gives the interpreter's code-point results: well-formed UTF-8 is
// self-synchronising, so a byte match of a whole constant can only start on a code point
// boundary, byte order is code point order, and `?` skips one whole sequence.
import { Op } from '../../wasm/wasm-opcodes.js';
import type { ModuleBuilder } from '../../wasm/wasm-writer.js';
import { WORD_HASH_K } from './data-pool.js';
import { FunctionEmitter, I32, I64 } from '../../wasm/function-emitter.js';

export interface ByteLib {
  /** eq(a, alen, b, blen, fold) → 0/1 */
  eq: number;
  /** cmp(a, alen, b, blen) → -1/0/1, unsigned bytes then length */
  cmp: number;
  starts: number;
  ends: number;
  /** contains(a, alen, b, blen, fold): an empty b is found */
  contains: number;
  /** find(a, alen, b, blen, fold) → index of b's first occurrence in a, 0 for an empty b, -1 */
  find: number;
  /** wild(s, slen, p, plen, fold) → 0/1 */
  wild: number;
  /** hasHigh(a, alen) → 1 if any byte ≥ 0x80 */
  hasHigh: number;
  /** setHas(table, mask, a, alen, fold) → 0/1 */
  setHas: number;
  /**
   * covers(a, alen, table, full) → 0/1: whether OR-ing table[byte] (a 256-byte map of byte → set
   * bits) over the string's bytes reaches `full`, i.e. the string has a byte of every set.
   */
  covers: number;
}

const STAR = 0x2a;
const QUESTION = 0x3f;

/** Pushes byte a[i] (lower-cased when `fold`, a local, is set). */
function loadFolded(em: FunctionEmitter, addr: () => void, fold: number): void {
  const c = em.local(I32);
  addr();
  em.mem(Op.i32Load8U).set(c);
  // c | ((c - 'A') <u 26) << 5 & fold<<5
  em.get(c).get(c).i32(0x41).op(Op.i32Sub).i32(26).op(Op.i32LtU).get(fold).op(Op.i32And).i32(5).op(Op.i32Shl).op(Op.i32Or);
}

/** Lowers the ASCII letters of the 8 bytes in local `x`, in place (bytes must be ASCII). */
export function lowerAscii64(em: FunctionEmitter, x: number): void {
  em.get(x).get(x).i64(0x3f3f3f3f3f3f3f3fn).op(Op.i64Add).get(x).i64(0x2525252525252525n).op(Op.i64Add).op(Op.i64Xor);
  em.i64(-0x7f7f7f7f7f7f7f80n).op(Op.i64And).i64(2n).op(Op.i64ShrU).op(Op.i64Or).set(x);
}

/** UTF-8 sequence length from its lead byte (on the stack) → on the stack. */
function seqWidth(em: FunctionEmitter): void {
  const b = em.local(I32);
  em.set(b);
  // 1 + (b >= 0xC0) + (b >= 0xE0) + (b >= 0xF0)
  em.i32(1).get(b).i32(0xc0).op(Op.i32GeU).op(Op.i32Add).get(b).i32(0xe0).op(Op.i32GeU).op(Op.i32Add).get(b).i32(0xf0).op(Op.i32GeU).op(Op.i32Add);
}

export function addByteLib(mb: ModuleBuilder): ByteLib {
  const p5 = [I32, I32, I32, I32, I32];
  const add = (params: number[], em: FunctionEmitter): number => mb.addEmitted(params, [I32], em);

  // eq: lengths equal, then 8 bytes at a time; when folding, ASCII letters of `a` are lowered
  // in all 8 bytes at once (callers guarantee `a` is ASCII then): a byte b is upper case when
  // b + 0x3f has its top bit set and b + 0x25 has not, and adding 0x20 sets bit 5.
  let em = new FunctionEmitter(p5);
  {
    const [a, alen, b, blen, fold] = [0, 1, 2, 3, 4];
    const i = em.local(I32);
    const x = em.local(I64);
    em.get(alen).get(blen).op(Op.i32Ne);
    em.if().i32(0).op(Op.return).end();
    {
      const done = em.block();
      const top = em.loop();
      em.get(i).i32(8).op(Op.i32Add).get(alen).op(Op.i32GtU).brIf(done);
      em.get(a).get(i).op(Op.i32Add).mem(Op.i64Load).set(x);
      em.get(fold);
      em.if();
      lowerAscii64(em, x);
      em.end();
      em.get(x).get(b).get(i).op(Op.i32Add).mem(Op.i64Load).op(Op.i64Ne);
      em.if().i32(0).op(Op.return).end();
      em.get(i).i32(8).op(Op.i32Add).set(i).br(top);
      em.end().end();
    }
    const done = em.block();
    const top = em.loop();
    em.get(i).get(alen).op(Op.i32GeU).brIf(done);
    loadFolded(em, () => em.get(a).get(i).op(Op.i32Add), fold);
    em.get(b).get(i).op(Op.i32Add).mem(Op.i32Load8U).op(Op.i32Ne);
    em.if().i32(0).op(Op.return).end();
    em.get(i).i32(1).op(Op.i32Add).set(i).br(top);
    em.end().end();
    em.i32(1);
  }
  const eq = add(p5, em);

  em = new FunctionEmitter([I32, I32, I32, I32]);
  {
    const [a, alen, b, blen] = [0, 1, 2, 3];
    const i = em.local(I32);
    const n = em.local(I32);
    const x = em.local(I32);
    const y = em.local(I32);
    em.get(alen).get(blen).get(alen).get(blen).op(Op.i32LtU).op(Op.select).set(n);
    const done = em.block();
    const top = em.loop();
    em.get(i).get(n).op(Op.i32GeU).brIf(done);
    em.get(a).get(i).op(Op.i32Add).mem(Op.i32Load8U).tee(x);
    em.get(b).get(i).op(Op.i32Add).mem(Op.i32Load8U).tee(y).op(Op.i32Ne);
    em.if().i32(-1).i32(1).get(x).get(y).op(Op.i32LtU).op(Op.select).op(Op.return).end();
    em.get(i).i32(1).op(Op.i32Add).set(i).br(top);
    em.end().end();
    // Common prefix: the shorter string sorts first.
    em.get(alen).get(blen).op(Op.i32GtU).get(alen).get(blen).op(Op.i32LtU).op(Op.i32Sub);
  }
  const cmp = add([I32, I32, I32, I32], em);

  em = new FunctionEmitter(p5);
  {
    const [a, alen, b, blen, fold] = [0, 1, 2, 3, 4];
    em.get(alen).get(blen).op(Op.i32LtU);
    em.if().i32(0).op(Op.return).end();
    em.get(a).get(blen).get(b).get(blen).get(fold).call(eq);
  }
  const starts = add(p5, em);

  em = new FunctionEmitter(p5);
  {
    const [a, alen, b, blen, fold] = [0, 1, 2, 3, 4];
    em.get(alen).get(blen).op(Op.i32LtU);
    em.if().i32(0).op(Op.return).end();
    em.get(a).get(alen).op(Op.i32Add).get(blen).op(Op.i32Sub).get(blen).get(b).get(blen).get(fold).call(eq);
  }
  const ends = add(p5, em);

  // contains: find candidates for the first byte 8 positions at a time (a zero byte in
  // x ^ first·0x0101… marks one: (t - 0x01…) & ~t & 0x80… is non-zero), then compare the rest
  // only there.
  // find: the same search, giving the index of the first occurrence (-1 when there is none).
  const search = (asIndex: boolean): FunctionEmitter => {
    const em = new FunctionEmitter(p5);
    {
      const [a, alen, b, blen, fold] = [0, 1, 2, 3, 4];
      const i = em.local(I32);
      const last = em.local(I32);
      const first = em.local(I32);
      const broadcast = em.local(I64);
      const t = em.local(I64);
      em.get(alen).get(blen).op(Op.i32LtU);
      em.if().i32(asIndex ? -1 : 0).op(Op.return).end();
      em.get(blen).op(Op.i32Eqz);
      em.if().i32(asIndex ? 0 : 1).op(Op.return).end();
      em.get(b).mem(Op.i32Load8U).tee(first).op(Op.i64ExtendI32U).i64(0x0101010101010101n).op(Op.i64Mul).set(broadcast);
      em.get(alen).get(blen).op(Op.i32Sub).set(last);
      const done = em.block();
      const top = em.loop();
      em.get(i).get(last).op(Op.i32GtU).brIf(done);
      em.get(i).i32(8).op(Op.i32Add).get(alen).op(Op.i32LeU);
      em.if();
      em.get(a).get(i).op(Op.i32Add).mem(Op.i64Load).set(t);
      em.get(fold);
      em.if();
      lowerAscii64(em, t);
      em.end();
      em.get(t).get(broadcast).op(Op.i64Xor).tee(t).i64(0x0101010101010101n).op(Op.i64Sub).get(t).i64(-1n).op(Op.i64Xor).op(Op.i64And);
      em.i64(-0x7f7f7f7f7f7f7f80n).op(Op.i64And).op(Op.i64Eqz);
      em.if().get(i).i32(8).op(Op.i32Add).set(i).br(top).end();
      em.end();
      loadFolded(em, () => em.get(a).get(i).op(Op.i32Add), fold);
      em.get(first).op(Op.i32Eq);
      em.if();
      em.get(a).get(i).op(Op.i32Add).i32(1).op(Op.i32Add).get(blen).i32(1).op(Op.i32Sub);
      em.get(b).i32(1).op(Op.i32Add).get(blen).i32(1).op(Op.i32Sub).get(fold).call(eq);
      em.if();
      if (asIndex) em.get(i);
      else em.i32(1);
      em.op(Op.return).end();
      em.end();
      em.get(i).i32(1).op(Op.i32Add).set(i).br(top);
      em.end().end();
      em.i32(asIndex ? -1 : 0);
    }
    return em;
  };
  em = search(false);
  const contains = add(p5, em);
  const find = add(p5, search(true));

  // wild: the single-backtrack-point matcher of runtime/wildcard.ts, over bytes.
  em = new FunctionEmitter(p5);
  {
    const [s, slen, p, plen, fold] = [0, 1, 2, 3, 4];
    const si = em.local(I32);
    const pi = em.local(I32);
    const starP = em.local(I32);
    const starS = em.local(I32);
    const pc = em.local(I32);
    em.i32(-1).set(starP);
    const scan = em.block();
    const top = em.loop();
    em.get(si).get(slen).op(Op.i32GeU).brIf(scan);
    const mismatch = em.block();
    em.get(pi).get(plen).op(Op.i32GeU).brIf(mismatch);
    em.get(p).get(pi).op(Op.i32Add).mem(Op.i32Load8U).set(pc);
    em.get(pc).i32(STAR).op(Op.i32Eq);
    em.if();
    em.get(pi).i32(1).op(Op.i32Add).tee(pi).set(starP).get(si).set(starS).br(top);
    em.end();
    em.get(pc).i32(QUESTION).op(Op.i32Eq);
    em.if();
    em.get(pi).i32(1).op(Op.i32Add).set(pi);
    em.get(si);
    em.get(s).get(si).op(Op.i32Add).mem(Op.i32Load8U);
    seqWidth(em);
    em.op(Op.i32Add).set(si).br(top);
    em.end();
    loadFolded(em, () => em.get(s).get(si).op(Op.i32Add), fold);
    em.get(pc).op(Op.i32Eq);
    em.if();
    em.get(pi).i32(1).op(Op.i32Add).set(pi).get(si).i32(1).op(Op.i32Add).set(si).br(top);
    em.end();
    em.end(); // mismatch
    em.get(starP).i32(0).op(Op.i32LtS);
    em.if().i32(0).op(Op.return).end();
    em.get(starS);
    em.get(s).get(starS).op(Op.i32Add).mem(Op.i32Load8U);
    seqWidth(em);
    em.op(Op.i32Add).tee(starS).set(si).get(starP).set(pi).br(top);
    em.end().end();
    const trailing = em.block();
    const stars = em.loop();
    em.get(pi).get(plen).op(Op.i32GeU).brIf(trailing);
    em.get(p).get(pi).op(Op.i32Add).mem(Op.i32Load8U).i32(STAR).op(Op.i32Ne).brIf(trailing);
    em.get(pi).i32(1).op(Op.i32Add).set(pi).br(stars);
    em.end().end();
    em.get(pi).get(plen).op(Op.i32Eq);
  }
  const wild = add(p5, em);

  em = new FunctionEmitter([I32, I32]);
  {
    const [a, alen] = [0, 1];
    const i = em.local(I32);
    const done = em.block();
    const top = em.loop();
    em.get(i).i32(8).op(Op.i32Add).get(alen).op(Op.i32GtU).brIf(done);
    em.get(a).get(i).op(Op.i32Add).mem(Op.i64Load).i64(-0x7f7f7f7f7f7f7f80n).op(Op.i64And).op(Op.i64Eqz).op(Op.i32Eqz);
    em.if().i32(1).op(Op.return).end();
    em.get(i).i32(8).op(Op.i32Add).set(i).br(top);
    em.end().end();
    const done2 = em.block();
    const top2 = em.loop();
    em.get(i).get(alen).op(Op.i32GeU).brIf(done2);
    em.get(a).get(i).op(Op.i32Add).mem(Op.i32Load8U).i32(0x80).op(Op.i32GeU);
    em.if().i32(1).op(Op.return).end();
    em.get(i).i32(1).op(Op.i32Add).set(i).br(top2);
    em.end().end();
    em.i32(0);
  }
  const hasHigh = add([I32, I32], em);

  // setHas: data-pool.ts wordHash over the (folded) bytes, 8 at a time, then linear probing. The
  // last word's load runs past the string (records end with spare bytes) and is masked.
  em = new FunctionEmitter(p5);
  {
    const [table, mask, a, alen, fold] = [0, 1, 2, 3, 4];
    const h = em.local(I64);
    const w = em.local(I64);
    const i = em.local(I32);
    const entry = em.local(I32);
    em.get(alen).op(Op.i64ExtendI32U).set(h);
    const done = em.block();
    const top = em.loop();
    em.get(i).get(alen).op(Op.i32GeU).brIf(done);
    em.get(a).get(i).op(Op.i32Add).mem(Op.i64Load).set(w);
    // Fewer than 8 bytes left: keep the low (alen - i)·8 bits, i.e. all ones >>> 64 - 8·(alen - i).
    em.get(alen).get(i).op(Op.i32Sub).i32(8).op(Op.i32LtU);
    em.if();
    em.get(w).i64(-1n).i32(64).get(alen).get(i).op(Op.i32Sub).i32(3).op(Op.i32Shl).op(Op.i32Sub).op(Op.i64ExtendI32U).op(Op.i64ShrU).op(Op.i64And).set(w);
    em.end();
    em.get(fold);
    em.if();
    lowerAscii64(em, w);
    em.end();
    em.get(h).get(w).op(Op.i64Xor).i64(BigInt.asIntN(64, WORD_HASH_K)).op(Op.i64Mul).tee(h).get(h).i64(29n).op(Op.i64ShrU).op(Op.i64Xor).set(h);
    em.get(i).i32(8).op(Op.i32Add).set(i).br(top);
    em.end().end();
    em.get(h).get(h).i64(32n).op(Op.i64ShrU).op(Op.i64Xor).op(Op.i32WrapI64).get(mask).op(Op.i32And).set(i);
    const probe = em.loop();
    em.get(table).get(i).i32(3).op(Op.i32Shl).op(Op.i32Add).tee(entry).mem(Op.i32Load).op(Op.i32Eqz);
    em.if().i32(0).op(Op.return).end();
    em.get(entry).mem(Op.i32Load, 4).get(alen).op(Op.i32Eq);
    em.if();
    em.get(a).get(alen).get(entry).mem(Op.i32Load).get(alen).get(fold).call(eq);
    em.if().i32(1).op(Op.return).end();
    em.end();
    em.get(i).i32(1).op(Op.i32Add).get(mask).op(Op.i32And).set(i).br(probe);
    em.end();
    em.i32(0);
  }
  const setHas = add(p5, em);

  em = new FunctionEmitter([I32, I32, I32, I32]);
  {
    const [a, alen, table, full] = [0, 1, 2, 3];
    const i = em.local(I32);
    const acc = em.local(I32);
    const done = em.block();
    const top = em.loop();
    em.get(i).get(alen).op(Op.i32GeU).brIf(done);
    em.get(acc).get(table).get(a).get(i).op(Op.i32Add).mem(Op.i32Load8U).op(Op.i32Add).mem(Op.i32Load8U).op(Op.i32Or).tee(acc);
    em.get(full).op(Op.i32Eq);
    em.if().i32(1).op(Op.return).end();
    em.get(i).i32(1).op(Op.i32Add).set(i).br(top);
    em.end().end();
    em.get(full).op(Op.i32Eqz);
  }
  const covers = add([I32, I32, I32, I32], em);

  return { eq, cmp, starts, ends, contains, find, wild, hasHigh, setHas, covers };
}


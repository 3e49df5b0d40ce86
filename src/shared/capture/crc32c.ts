// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), table-driven slice-by-8: eight 256-entry
// tables let the loop consume 8 bytes per iteration with independent lookups. Check value:
// crc32c("123456789") = 0xE3069283.
//
// The loop runs as a tiny Wasm function, not JS. In JS it was fast only once TurboFan had
// optimized it: at the start of a replay, while the compiler thread is busy with the rules and
// the first typed-array deopts happen, the first megabyte-sized chunks ran unoptimized, about 50 ms
// each (~15% of a 30k-event replay). Wasm code is compiled before its first call, so every chunk
// gets the fast loop. Input is copied into the module's memory a piece at a time.
import { FunctionEmitter, I32 } from '../wasm/function-emitter.js';
import { ExternalKind, Op, PAGE_BYTES } from '../wasm/wasm-opcodes.js';
import { ModuleBuilder } from '../wasm/wasm-writer.js';
import { nativeCrc32c } from '../sensor/addon.js';

const POLY = 0x82f63b78;
/** Memory layout: the 8 tables (8 × 256 u32), then the input piece. */
const TABLES_BYTES = 8 * 256 * 4;
const PIECE_BYTES = 64 * 1024;
const PIECE_AT = TABLES_BYTES;

/** tables[k][b]: CRC of byte b followed by k zero bytes. */
function buildTables(): Uint32Array {
  const t = new Uint32Array(8 * 256);
  for (let b = 0; b < 256; b++) {
    let c = b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t[b] = c >>> 0;
  }
  for (let b = 0; b < 256; b++) {
    let c = t[b]!;
    for (let k = 1; k < 8; k++) {
      c = t[c & 0xff]! ^ (c >>> 8);
      t[k * 256 + b] = c >>> 0;
    }
  }
  return t;
}

/** `update(crc, len)`: continues the inverted running CRC over `len` bytes at PIECE_AT. */
function kernelModule(): Uint8Array {
  const f = new FunctionEmitter([I32, I32]);
  const [c, len] = [0, 1];
  const p = f.local(I32);
  const end8 = f.local(I32);
  const end = f.local(I32);
  const lo = f.local(I32);
  const hi = f.local(I32);
  f.i32(PIECE_AT).set(p);
  f.i32(PIECE_AT).get(len).op(Op.i32Add).set(end);
  f.i32(PIECE_AT).get(len).i32(~7).op(Op.i32And).op(Op.i32Add).set(end8);
  // Table k entry for the byte (value >>> shift) & 0xff: u32 at k * 1024 + byte * 4.
  const lookup = (value: number, shift: number, k: number, first: boolean): void => {
    f.get(value);
    if (shift > 0) f.i32(shift).op(Op.i32ShrU);
    if (shift < 24) f.i32(0xff).op(Op.i32And);
    f.i32(2).op(Op.i32Shl).mem(Op.i32Load, k * 1024);
    if (!first) f.op(Op.i32Xor);
  };
  const wide = f.block();
  const wideLoop = f.loop();
  f.get(p).get(end8).op(Op.i32GeU).brIf(wide);
  f.get(c).get(p).mem(Op.i32Load).op(Op.i32Xor).set(lo);
  f.get(p).mem(Op.i32Load, 4).set(hi);
  lookup(lo, 0, 7, true);
  lookup(lo, 8, 6, false);
  lookup(lo, 16, 5, false);
  lookup(lo, 24, 4, false);
  lookup(hi, 0, 3, false);
  lookup(hi, 8, 2, false);
  lookup(hi, 16, 1, false);
  lookup(hi, 24, 0, false);
  f.set(c);
  f.get(p).i32(8).op(Op.i32Add).set(p);
  f.br(wideLoop).end().end();
  const tail = f.block();
  const tailLoop = f.loop();
  f.get(p).get(end).op(Op.i32GeU).brIf(tail);
  f.get(c).get(p).mem(Op.i32Load8U).op(Op.i32Xor).i32(0xff).op(Op.i32And).i32(2).op(Op.i32Shl).mem(Op.i32Load);
  f.get(c).i32(8).op(Op.i32ShrU).op(Op.i32Xor).set(c);
  f.get(p).i32(1).op(Op.i32Add).set(p);
  f.br(tailLoop).end().end();
  f.get(c);
  const body = f.finish();
  const mb = new ModuleBuilder();
  const fn = mb.addFunction([I32, I32], [I32], body.locals, body.code);
  mb.setMemory(Math.ceil((PIECE_AT + PIECE_BYTES) / PAGE_BYTES));
  mb.export('memory', ExternalKind.memory, 0).exportFunction('update', fn);
  return mb.build();
}

const kernel = new WebAssembly.Instance(new WebAssembly.Module(kernelModule())).exports;
const update = kernel.update as (crc: number, len: number) => number;
const memory = new Uint8Array((kernel.memory as WebAssembly.Memory).buffer);
memory.set(new Uint8Array(buildTables().buffer), 0);
const piece = memory.subarray(PIECE_AT, PIECE_AT + PIECE_BYTES);

/**
 * CRC-32C of bytes[start, end). Pass a previous result as `crc` to continue a running CRC over
 * several pieces: crc32c(b, 0, n) === crc32c(b, k, n, crc32c(b, 0, k)).
 */
export function crc32c(bytes: Uint8Array, start = 0, end = bytes.length, crc = 0): number {
  if (end - start >= NATIVE_FROM) {
    if (native === null) native = (process.env.KESTREL_CRC32C === 'portable' ? undefined : nativeCrc32c()) ?? portableCrc32c;
    return native(bytes, start, end, crc);
  }
  return portableCrc32c(bytes, start, end, crc);
}

/**
 * Chunks (a megabyte) go to the sensor addon's SSE4.2 instruction when it loads: ~10× the Wasm
 * loop. Headers and trailers are too small to pay for the call. KESTREL_CRC32C=portable forces
 * the Wasm loop (tests compare both).
 */
const NATIVE_FROM = 4096;
let native: ((bytes: Uint8Array, start: number, end: number, crc: number) => number) | null = null;

/** The Wasm table-driven CRC-32C (any platform). */
export function portableCrc32c(bytes: Uint8Array, start = 0, end = bytes.length, crc = 0): number {
  let c = ~crc;
  for (let at = start; at < end; at += PIECE_BYTES) {
    const n = Math.min(PIECE_BYTES, end - at);
    piece.set(bytes.subarray(at, at + n));
    c = update(c, n);
  }
  return ~c >>> 0;
}

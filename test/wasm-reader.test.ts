import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { InputError } from '../src/shared/errors.js';
import { ByteReader, InstructionDecoder, parseModule } from '../src/shared/wasm/wasm-reader.js';
import { ByteWriter, ModuleBuilder, reassemble } from '../src/shared/wasm/wasm-writer.js';
import { Op, ValType } from '../src/shared/wasm/wasm-opcodes.js';
import { encodeProgram, randomProgram } from './helpers/random-wasm.js';

function thrown(fn: () => unknown): InputError {
  try {
    fn();
  } catch (e) {
    if (e instanceof InputError) return e;
    throw new Error(`expected an InputError, got ${String(e)}`);
  }
  throw new Error('expected an InputError, nothing was thrown');
}

function sampleModule(): Uint8Array {
  const b = new ModuleBuilder();
  const log = b.importFunction('env', 'log', [ValType.i32], []);
  b.setMemory(1, 2);
  const g = b.addGlobal(ValType.i32, true, [Op.i32Const, 7]);
  const f = b.addFunction([ValType.i32], [ValType.i32], [ValType.i64], [
    Op.block, 0x40, Op.loop, 0x40, Op.localGet, 0, Op.brIf, 1, Op.br, 0, Op.end, Op.end,
    Op.localGet, 0, Op.call, log, Op.globalGet, g, Op.end,
  ]);
  b.exportFunction('f', f).export('g', 3, g).addData(16, Uint8Array.from([1, 2, 3]));
  return b.build();
}

describe('LEB128', () => {
  it('reads unsigned and signed values and their edge encodings', () => {
    const w = new ByteWriter().u32(0).u32(624485).u32(0xffffffff).s32(-1).s32(-123456).s32(2 ** 31 - 1).s32(-(2 ** 31));
    const r = new ByteReader(w.finish());
    expect([r.u32(), r.u32(), r.u32(), r.signed(32), r.signed(32), r.signed(32), r.signed(32)]).toEqual([0, 624485, 0xffffffff, -1, -123456, 2 ** 31 - 1, -(2 ** 31)]);
    expect(r.atEnd).toBe(true);
  });

  it('refuses over-long and out-of-range encodings with the offset', () => {
    expect(thrown(() => new ByteReader(Uint8Array.from([0x80, 0x80, 0x80, 0x80, 0x80, 0x00])).u32()).message).toBe('malformed Wasm at byte 0: u32 LEB128 too long');
    expect(thrown(() => new ByteReader(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x1f])).u32()).message).toBe('malformed Wasm at byte 0: u32 LEB128 out of range');
    expect(thrown(() => new ByteReader(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x0f])).signed(32)).message).toBe('malformed Wasm at byte 0: s32 LEB128 out of range');
    expect(thrown(() => new ByteReader(Uint8Array.from([0x80])).u32()).context).toEqual({ offset: 1 });
  });

  it('round-trips random values through the writer', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (u, s) => {
        const r = new ByteReader(new ByteWriter().u32(u).s32(s).finish());
        return r.u32() === u && r.signed(32) === s && r.atEnd;
      }),
    );
  });

  it('writes i64 constants of any size (the 32-bit ones through s32) as the reader reads them', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), (big, small) => {
        const bytes = new ByteWriter().s64(big).s64(BigInt(small)).finish();
        // Signed LEB128 → bigint (ByteReader.signed returns a number, exact to 2^53 only).
        let at = 0;
        const next = (): bigint => {
          let v = 0n;
          let shift = 0n;
          let b: number;
          do {
            b = bytes[at++]!;
            v |= BigInt(b & 0x7f) << shift;
            shift += 7n;
          } while (b & 0x80);
          return b & 0x40 ? v - (1n << shift) : v;
        };
        return next() === big && next() === BigInt(small) && at === bytes.length;
      }),
    );
  });

  it('refuses u32 values that are not integers in [0, 2^32)', () => {
    for (const v of [-1, 0.5, 2 ** 32, Number.NaN]) expect(() => new ByteWriter().u32(v), String(v)).toThrow(RangeError);
  });

  it('finish() gives bytes that later writes leave alone, whether it shares the buffer or copies it', () => {
    const full = new ByteWriter(4).u8(1).u8(2).u8(3); // 3 of 4: a view
    const sparse = new ByteWriter(64).u8(1).u8(2).u8(3); // 3 of 64: a copy
    const a = full.finish();
    const b = sparse.finish();
    full.u8(9).u8(9).bytes(new Uint8Array(100).fill(7));
    sparse.bytes(new Uint8Array(100).fill(7));
    expect([...a]).toEqual([1, 2, 3]);
    expect([...b]).toEqual([1, 2, 3]);
    expect([...full.finish().subarray(0, 5)]).toEqual([1, 2, 3, 9, 9]);
  });
});

describe('parseModule', () => {
  it('reads every section of a built module', () => {
    const m = parseModule(sampleModule());
    expect(m.imports).toMatchObject([{ module: 'env', name: 'log', kind: 0 }]);
    expect(m.memories).toMatchObject([{ min: 1, max: 2 }]);
    expect(m.globals).toEqual([{ valType: ValType.i32, mutable: true }]);
    expect(m.exports.map((e) => [e.name, e.kind, e.index])).toEqual([
      ['f', 0, 1],
      ['g', 3, 0],
    ]);
    expect(m.bodies).toHaveLength(1);
    expect(m.bodies[0].localCount).toBe(1);
    expect(m.importedFunctionCount).toBe(1);
  });

  it('re-assembles a module byte for byte when nothing is replaced', () => {
    const bytes = sampleModule();
    expect(reassemble(parseModule(bytes), new Map())).toEqual(bytes);
  });

  it('names the offset of structural errors', () => {
    expect(thrown(() => parseModule(Uint8Array.from([0, 0x61, 0x73, 0x6d, 2, 0, 0, 0]))).message).toBe('malformed Wasm at byte 4: unsupported version 2');
    expect(thrown(() => parseModule(Uint8Array.from([1, 2, 3]))).message).toBe('malformed Wasm at byte 0: shorter than the 8-byte header');
    const bytes = sampleModule();
    // Swap the order of the first two sections' ids: type (1) after import (2) is out of order.
    const m = parseModule(bytes);
    const bad = bytes.slice();
    bad[m.sections[1].headerStart] = 1;
    expect(thrown(() => parseModule(bad)).message).toBe(`malformed Wasm at byte ${m.sections[1].headerStart}: section 1 is out of order or repeated`);
  });

  it('refuses SIMD and other unsupported features by name', () => {
    const b = new ModuleBuilder();
    b.addFunction([], [], [], [Op.i32Const, 0, 0xfd, 0x0f, Op.drop, Op.end]);
    const e = thrown(() => parseModule(b.build()));
    expect(e.code).toBe('wasm.unsupported');
    expect(e.message).toMatch(/opcode 0xfd \(SIMD\)/);
  });

  it('refuses unbalanced blocks and an else outside an if', () => {
    const missingEnd = new ModuleBuilder();
    missingEnd.addFunction([], [], [], [Op.block, 0x40, Op.end]);
    expect(thrown(() => parseModule(missingEnd.build())).message).toMatch(/missing end/);
    const strayElse = new ModuleBuilder();
    strayElse.addFunction([], [], [], [Op.block, 0x40, Op.else, Op.end, Op.end]);
    expect(thrown(() => parseModule(strayElse.build())).message).toMatch(/else outside an if/);
  });

  it('turns every truncation and byte corruption into an InputError or a parse, never another exception', () => {
    fc.assert(
      fc.property(randomProgram, fc.nat(), fc.integer({ min: 0, max: 255 }), fc.boolean(), (p, at, value, truncate) => {
        const bytes = encodeProgram(p);
        const i = at % bytes.length;
        const input = truncate ? bytes.subarray(0, i) : Uint8Array.from(bytes, (b, k) => (k === i ? value : b));
        try {
          parseModule(input);
        } catch (e) {
          if (!(e instanceof InputError)) throw e;
          expect(e.code).toMatch(/^wasm\.(malformed|unsupported)$/);
          expect(typeof e.context?.offset).toBe('number');
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('InstructionDecoder', () => {
  it('gives boundaries and nesting depth of each instruction', () => {
    const m = parseModule(sampleModule());
    const { codeStart, end } = m.bodies[0];
    const d = new InstructionDecoder(m.bytes, codeStart, end);
    const seen: [number, number][] = [];
    while (d.next()) seen.push([d.op, d.depth]);
    expect(seen).toEqual([
      [Op.block, 1], [Op.loop, 2], [Op.localGet, 2], [Op.brIf, 2], [Op.br, 2], [Op.end, 1], [Op.end, 0],
      [Op.localGet, 0], [Op.call, 0], [Op.globalGet, 0], [Op.end, 0],
    ]);
    expect(d.done).toBe(true);
    expect(d.pos).toBe(end);
  });
});

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { FUEL_EXPORT, REFUEL_EXPORT, getFuel, instrumentFuel, setFuel } from '../src/shared/wasm/fuel.js';
import { FAULT_EXPORT, FaultFlag, limitMemory } from '../src/shared/wasm/memory-limit.js';
import { instrumentModule } from '../src/shared/wasm/instrument.js';
import { parseModule } from '../src/shared/wasm/wasm-reader.js';
import { ModuleBuilder } from '../src/shared/wasm/wasm-writer.js';
import { Op, ValType } from '../src/shared/wasm/wasm-opcodes.js';
import { KestrelError, LimitError, InputError } from '../src/shared/errors.js';
import { encodeProgram, randomProgram } from './helpers/random-wasm.js';

const { i32 } = ValType;

function instantiate(bytes: Uint8Array, imports: WebAssembly.Imports = {}): WebAssembly.Instance {
  return new WebAssembly.Instance(new WebAssembly.Module(bytes), imports);
}

function fn(instance: WebAssembly.Instance, name: string): (...args: number[]) => number {
  return instance.exports[name] as (...args: number[]) => number;
}

function infiniteLoop(): Uint8Array {
  const b = new ModuleBuilder();
  b.exportFunction('spin', b.addFunction([], [], [], [Op.loop, 0x40, Op.br, 0, Op.end, Op.end]));
  return b.build();
}

/** rec(n) = rec(n + 1): never returns. */
function endlessRecursion(): Uint8Array {
  const b = new ModuleBuilder();
  b.exportFunction('rec', b.addFunction([i32], [i32], [], [Op.localGet, 0, Op.i32Const, 1, Op.i32Add, Op.call, 0, Op.end]));
  return b.build();
}

/** sum(n) = n + (n-1) + … + 1 with a loop. */
function sumLoop(): Uint8Array {
  const b = new ModuleBuilder();
  const code = [
    Op.block, 0x40,
    Op.loop, 0x40,
    Op.localGet, 0, Op.i32Eqz, Op.brIf, 1,
    Op.localGet, 1, Op.localGet, 0, Op.i32Add, Op.localSet, 1,
    Op.localGet, 0, Op.i32Const, 1, Op.i32Sub, Op.localSet, 0,
    Op.br, 0,
    Op.end, Op.end,
    Op.localGet, 1, Op.end,
  ];
  b.exportFunction('sum', b.addFunction([i32], [i32], [i32], code));
  return b.build();
}

describe('instrumentFuel', () => {
  it('stops an infinite `loop br 0` with a trap and negative fuel', () => {
    const inst = instantiate(instrumentFuel(infiniteLoop()));
    setFuel(inst, 100_000);
    expect(() => fn(inst, 'spin')()).toThrow(WebAssembly.RuntimeError);
    expect(getFuel(inst)).toBeLessThan(0);
  });

  it('stops endless recursion (by fuel or by the engine stack limit)', () => {
    const inst = instantiate(instrumentFuel(endlessRecursion()));
    setFuel(inst, 1_000);
    expect(() => fn(inst, 'rec')(0)).toThrow(WebAssembly.RuntimeError);
    expect(getFuel(inst)).toBeLessThan(0);
    // With a budget larger than any stack allows, the engine's stack limit stops it instead.
    setFuel(inst, 2 ** 31 - 1);
    expect(() => fn(inst, 'rec')(0)).toThrow(RangeError);
    expect(getFuel(inst)).toBeGreaterThan(0);
  });

  it('charges the documented cost: body outside loops at entry, loop body per iteration', () => {
    const inst = instantiate(instrumentFuel(sumLoop()));
    const used = (n: number): number => {
      setFuel(inst, 1_000_000);
      expect(fn(inst, 'sum')(n)).toBe((n * (n + 1)) / 2);
      return 1_000_000 - getFuel(inst);
    };
    // Entry region: block, loop, end(block), local.get, end = 5; loop region: the 13 instructions
    // from the first local.get to the loop's end, charged for n iterations plus the one that leaves.
    expect(used(0)).toBe(5 + 13);
    expect(used(10)).toBe(5 + 13 * 11);
    expect(used(10)).toBe(used(10));
  });

  it('appends one exported global and the refuel function, shifting no index', () => {
    const original = parseModule(sumLoop());
    const m = parseModule(instrumentFuel(sumLoop()));
    expect(m.globals).toEqual([...original.globals, { valType: i32, mutable: true }]);
    expect(m.exports.find((e) => e.name === FUEL_EXPORT)).toMatchObject({ kind: 3, index: 0 });
    expect(m.functions.slice(0, original.functions.length)).toEqual(original.functions);
    expect(m.functions).toHaveLength(original.functions.length + 1);
    expect(m.exports.find((e) => e.name === REFUEL_EXPORT)).toMatchObject({ kind: 0, index: original.functions.length });
    expect(m.exports.find((e) => e.name === 'sum')).toMatchObject({ kind: 0, index: 0 });
  });

  it('refuel(n) sets the fuel and returns what was left', () => {
    const inst = instantiate(instrumentFuel(sumLoop()));
    const refuel = fn(inst, REFUEL_EXPORT);
    refuel(1000);
    fn(inst, 'sum')(0);
    expect(refuel(0)).toBe(1000 - 18);
    expect(getFuel(inst)).toBe(0);
  });

  it('supports i64 fuel', () => {
    const inst = instantiate(instrumentFuel(infiniteLoop(), { type: 'i64' }));
    expect(typeof (inst.exports[FUEL_EXPORT] as WebAssembly.Global).value).toBe('bigint');
    setFuel(inst, 5_000);
    expect(() => fn(inst, 'spin')()).toThrow(WebAssembly.RuntimeError);
    expect(getFuel(inst)).toBeLessThan(0);
  });

  it('meters the start function with the initial fuel', () => {
    const b = new ModuleBuilder();
    b.setStart(b.addFunction([], [], [], [Op.loop, 0x40, Op.br, 0, Op.end, Op.end]));
    const mod = new WebAssembly.Module(instrumentFuel(b.build(), { initialFuel: 10_000 }));
    expect(() => new WebAssembly.Instance(mod)).toThrow(WebAssembly.RuntimeError);
  });

  it('refuses invalid input: an out-of-range global index must not come to name the fuel', () => {
    const b = new ModuleBuilder();
    // global.set 0 with no globals: invalid, but index 0 is where the fuel global would go.
    b.exportFunction('refill', b.addFunction([], [], [], [Op.i32Const, 100, Op.globalSet, 0, Op.end]));
    const e = (() => {
      try {
        instrumentFuel(b.build());
      } catch (err) {
        return err as InputError;
      }
      throw new Error('instrumented an invalid module');
    })();
    expect(e).toBeInstanceOf(InputError);
    expect(e.code).toBe('wasm.invalid');
    expect(e.message).toMatch(/^the module does not validate: /);
  });

  it('refuses to instrument twice', () => {
    const once = instrumentFuel(infiniteLoop());
    expect(() => instrumentFuel(once)).toThrow(new InputError('wasm.fuel.reserved', `the module already exports "${FUEL_EXPORT}" or "${REFUEL_EXPORT}" (already instrumented, or a reserved name)`));
  });

  it('keeps random programs valid, with the same results and a deterministic fuel use', () => {
    fc.assert(
      fc.property(randomProgram, fc.integer({ min: -50, max: 50 }), (p, arg) => {
        const plain = encodeProgram(p);
        const metered = instrumentModule(plain, { maxMemoryPages: 4, fuel: { type: arg % 2 ? 'i64' : 'i32' } });
        expect(WebAssembly.validate(metered)).toBe(true);
        const last = `f${p.functions.length - 1}`;
        const a = instantiate(plain);
        // Enough for the deepest nest of loops the generator makes (10M was not: seed -1131250435
        // ran out of fuel, which traps, on a program the plain module runs to the end).
        const budget = 1_000_000_000;
        const runs = [0, 1].map(() => {
          const b = instantiate(metered);
          setFuel(b, budget);
          const value = fn(b, last)(arg);
          return { value, used: budget - getFuel(b) };
        });
        expect(runs[0].value).toBe(fn(a, last)(arg));
        expect(runs[1]).toEqual(runs[0]);
        expect(runs[0].used).toBeGreaterThan(0);
      }),
      { numRuns: 150 },
    );
  });
});

describe('instrumentModule on damaged input', () => {
  it('returns a valid module or throws a KestrelError, never another exception', () => {
    fc.assert(
      fc.property(randomProgram, fc.nat(), fc.integer({ min: 0, max: 255 }), (p, at, value) => {
        const bytes = encodeProgram(p);
        const damaged = Uint8Array.from(bytes, (b, k) => (k === at % bytes.length ? value : b));
        let out: Uint8Array;
        try {
          out = instrumentModule(damaged, { maxMemoryPages: 4 });
        } catch (e) {
          expect(e).toBeInstanceOf(KestrelError);
          return;
        }
        // Only valid input is instrumented (an out-of-range index must not come to name the added
        // fuel global or refuel function), and the output is valid.
        expect(WebAssembly.validate(damaged)).toBe(true);
        expect(WebAssembly.validate(out)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe('limitMemory', () => {
  function grower(maxPages?: number): Uint8Array {
    const b = new ModuleBuilder().setMemory(1, maxPages);
    // grow(n) returns memory.grow(n)
    b.exportFunction('grow', b.addFunction([i32], [i32], [], [Op.localGet, 0, Op.memoryGrow, 0, Op.end]));
    b.export('memory', 2, 0);
    return b.build();
  }

  it('imposes the cap on a memory without a maximum, and lowers a larger one', () => {
    expect(parseModule(limitMemory(grower(), 8)).memories).toMatchObject([{ min: 1, max: 8 }]);
    expect(parseModule(limitMemory(grower(100), 8)).memories).toMatchObject([{ min: 1, max: 8 }]);
    expect(parseModule(limitMemory(grower(4), 8)).memories).toMatchObject([{ min: 1, max: 4 }]);
  });

  it('traps on a grow past the cap and raises the memory fault flag; grows within it work', () => {
    const inst = instantiate(limitMemory(grower(), 8));
    const grow = fn(inst, 'grow');
    expect(grow(3)).toBe(1);
    expect(grow(4)).toBe(4);
    expect((inst.exports[FAULT_EXPORT] as WebAssembly.Global).value).toBe(FaultFlag.none);
    expect(() => grow(4)).toThrow(WebAssembly.RuntimeError);
    expect((inst.exports[FAULT_EXPORT] as WebAssembly.Global).value).toBe(FaultFlag.memory);
    expect((inst.exports.memory as WebAssembly.Memory).buffer.byteLength).toBe(8 * 65536);
  });

  it('refuses a module whose initial memory exceeds the cap', () => {
    const b = new ModuleBuilder().setMemory(20);
    expect(() => limitMemory(b.build(), 16)).toThrow(LimitError);
    expect(() => limitMemory(b.build(), 16)).toThrow('memory needs 20 pages at start, more than the cap of 16 pages (1024 KiB)');
  });

  it('caps an imported memory too', () => {
    const b = new ModuleBuilder();
    b.importMemory('env', 'memory', 1);
    const m = parseModule(limitMemory(b.build(), 2));
    expect(m.imports[0]).toMatchObject({ kind: 2, limits: { min: 1, max: 2 } });
  });
});

// The compile pool runs compiled JS in piscina workers: it is imported from dist/ (npm test builds
// it first; distModule fails loudly when dist is missing).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { distModule } from './helpers/dist.js';
import { ModuleBuilder } from '../src/shared/wasm/wasm-writer.js';
import { Op, ValType } from '../src/shared/wasm/wasm-opcodes.js';

type PoolModule = typeof import('../src/main/wasm-compile-pool.js');
type Errors = typeof import('../src/shared/errors.js');
type Fuel = typeof import('../src/shared/wasm/fuel.js');
let lib: PoolModule;
let errors: Errors;
let fuel: Fuel;
let cacheDir: string;

beforeAll(async () => {
  lib = (await import(distModule('main/wasm-compile-pool.js'))) as PoolModule;
  errors = (await import(distModule('shared/errors.js'))) as Errors;
  fuel = (await import(distModule('shared/wasm/fuel.js'))) as Fuel;
  cacheDir = mkdtempSync(join(tmpdir(), 'kestrel-wasm-cache-'));
});
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

/** triple(x) = 3x, and a spin loop; `salt` makes distinct modules. */
function module(salt: number): Uint8Array {
  const b = new ModuleBuilder();
  b.exportFunction('triple', b.addFunction([ValType.i32], [ValType.i32], [], [Op.localGet, 0, Op.i32Const, 3, Op.i32Mul, Op.i32Const, salt, Op.i32Add, Op.end]));
  b.exportFunction('spin', b.addFunction([], [], [], [Op.loop, 0x40, Op.br, 0, Op.end, Op.end]));
  return b.build();
}

const opts = { maxMemoryPages: 16 };

describe('WasmCompilePool', () => {
  it('compiles in a worker and caches by content hash in memory and on disk', async () => {
    const pool = new lib.WasmCompilePool({ maxThreads: 1, cacheDir });
    try {
      const first = await pool.compile(module(0), opts);
      expect(first.source).toBe('compiled');
      const again = await pool.compile(module(0), { maxMemoryPages: 16, fuel: { type: 'i32' } });
      expect(again).toEqual({ module: first.module, hash: first.hash, source: 'memory' });
      const other = await pool.compile(module(0), { maxMemoryPages: 8 });
      expect(other.source).toBe('compiled');
      expect(other.hash).not.toBe(first.hash);
      expect(pool.counters).toEqual({ memoryHits: 1, diskHits: 0, misses: 2 });

      // The result is instrumented: fuel stops the spin loop.
      const inst = new WebAssembly.Instance(first.module);
      fuel.setFuel(inst, 1000);
      expect((inst.exports.triple as (x: number) => number)(5)).toBe(15);
      expect(() => (inst.exports.spin as () => void)()).toThrow(WebAssembly.RuntimeError);
    } finally {
      await pool.close();
    }
    expect(readdirSync(cacheDir).filter((f) => f.endsWith('.wasm'))).toHaveLength(2);

    const fresh = new lib.WasmCompilePool({ maxThreads: 1, cacheDir });
    try {
      const fromDisk = await fresh.compile(module(0), opts);
      expect(fromDisk.source).toBe('disk');
      expect(fresh.counters).toEqual({ memoryHits: 0, diskHits: 1, misses: 0 });
    } finally {
      await fresh.close();
    }
  });

  it('recompiles when a disk cache file is damaged', async () => {
    const pool = new lib.WasmCompilePool({ maxThreads: 1, cacheDir });
    try {
      writeFileSync(join(cacheDir, `${lib.cacheKey(module(7), opts)}.wasm`), 'not wasm');
      const r = await pool.compile(module(7), opts);
      expect((new WebAssembly.Instance(r.module).exports.triple as (x: number) => number)(1)).toBe(10);
    } finally {
      await pool.close();
    }
  });

  it('rejects a malformed module with the InputError and its offset, and does not cache the failure', async () => {
    const pool = new lib.WasmCompilePool({ maxThreads: 1 });
    try {
      const bad = module(1).slice(0, 20);
      for (let i = 0; i < 2; i++) {
        const err = await pool.compile(bad, opts).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(errors.InputError);
        expect(err).toMatchObject({ code: 'wasm.malformed', context: { offset: expect.any(Number) } });
      }
      expect(pool.counters.misses).toBe(2);
    } finally {
      await pool.close();
    }
  });

  it('gives a Module that can be posted to a worker thread and run there', async () => {
    const pool = new lib.WasmCompilePool({ maxThreads: 1 });
    try {
      const { module: compiled } = await pool.compile(module(2), opts);
      const worker = new Worker(
        `const { parentPort } = require('node:worker_threads');
         parentPort.once('message', (m) => {
           const inst = new WebAssembly.Instance(m);
           inst.exports.__kestrel_fuel.value = 100;
           const triple = inst.exports.triple(14);
           let spin;
           try { inst.exports.spin(); spin = 'returned'; } catch (e) { spin = e.constructor.name; }
           parentPort.postMessage({ triple, spin });
         });`,
        { eval: true },
      );
      const reply = new Promise((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      worker.postMessage(compiled);
      expect(await reply).toEqual({ triple: 44, spin: 'RuntimeError' });
      await worker.terminate();
    } finally {
      await pool.close();
    }
  });
});

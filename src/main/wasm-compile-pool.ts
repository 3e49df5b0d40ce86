// Compiles Wasm modules (instrument + WebAssembly.compile) in a piscina pool, off the main thread,
// with a cache keyed by content: SHA-256 of the input bytes and the normalised instrumentation
// options. The memory cache holds compiled Modules (which can be posted to partition workers);
// the optional disk cache holds instrumented bytes, since a compiled Module cannot be written out.
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { Piscina } from 'piscina';
import { InputError, InternalError, LimitError, type KestrelError } from '../shared/errors.js';
import { DEFAULT_INITIAL_FUEL, FUEL_EXPORT } from '../shared/wasm/fuel.js';
import type { InstrumentOptions } from '../shared/wasm/instrument.js';
import type { CompileTask, CompileTaskResult } from '../workers/wasm-compile-worker.js';
import { workerModule } from '../shared/code-paths.js';

export interface WasmCompilePoolOptions {
  /** Worker threads (default: half the cores, at least 1). */
  maxThreads?: number;
  /** Directory for the on-disk cache of instrumented modules; none by default. */
  cacheDir?: string;
  /** Compiled modules kept in memory; the oldest is dropped past this. Default 256. */
  maxEntries?: number;
}

export interface CompiledWasm {
  module: WebAssembly.Module;
  /** Cache key (hex SHA-256). */
  hash: string;
  /** Where this result came from. */
  source: 'memory' | 'disk' | 'compiled';
}

export interface CompileCounters {
  memoryHits: number;
  diskHits: number;
  misses: number;
}

const WORKER = workerModule('wasm-compile-worker.js');

/** Options with every default filled in, so equal meanings hash equally. */
function normalise(o: InstrumentOptions): Required<InstrumentOptions> {
  return {
    maxMemoryPages: o.maxMemoryPages,
    fuel: { exportName: o.fuel?.exportName ?? FUEL_EXPORT, type: o.fuel?.type ?? 'i32', initialFuel: o.fuel?.initialFuel ?? DEFAULT_INITIAL_FUEL },
  };
}

export function cacheKey(bytes: Uint8Array, options: InstrumentOptions): string {
  const n = normalise(options);
  const canonical = JSON.stringify([n.maxMemoryPages, n.fuel.exportName, n.fuel.type, n.fuel.initialFuel]);
  return createHash('sha256').update(bytes).update('\0').update(canonical).digest('hex');
}

function rebuildError(e: { kind: string; code: string; message: string; context?: Record<string, unknown> }): KestrelError {
  const details = { context: e.context };
  if (e.kind === 'input') return new InputError(e.code, e.message, details);
  if (e.kind === 'limit') return new LimitError(e.code, e.message, details);
  return new InternalError(e.code, e.message, details);
}

export class WasmCompilePool {
  readonly counters: CompileCounters = { memoryHits: 0, diskHits: 0, misses: 0 };
  private readonly pool: Piscina<CompileTask, CompileTaskResult>;
  private readonly memory = new Map<string, Promise<WebAssembly.Module>>();
  private readonly maxEntries: number;

  constructor(private readonly opts: WasmCompilePoolOptions = {}) {
    const threads = opts.maxThreads ?? Math.max(1, Math.floor(availableParallelism() / 2));
    this.pool = new Piscina({ filename: WORKER.href, maxThreads: threads, minThreads: 0, idleTimeout: 30_000 });
    this.maxEntries = opts.maxEntries ?? 256;
    if (opts.cacheDir) mkdirSync(opts.cacheDir, { recursive: true });
  }

  /** Instruments and compiles `bytes`, or returns the cached result. Rejects with the KestrelError of a bad module. */
  async compile(bytes: Uint8Array, options: InstrumentOptions): Promise<CompiledWasm> {
    const hash = cacheKey(bytes, options);
    const cached = this.memory.get(hash);
    if (cached) {
      this.counters.memoryHits++;
      return { module: await cached, hash, source: 'memory' };
    }
    const fromDisk = this.readDisk(hash);
    const source = fromDisk ? 'disk' : 'compiled';
    if (fromDisk) this.counters.diskHits++;
    else this.counters.misses++;
    // A damaged cache file is not fatal: compile from the input instead.
    const pending = fromDisk ? WebAssembly.compile(fromDisk).catch(() => this.compileInPool(hash, bytes, options)) : this.compileInPool(hash, bytes, options);
    this.remember(hash, pending);
    try {
      return { module: await pending, hash, source };
    } catch (e) {
      this.memory.delete(hash); // a failure is not cached: the next attempt reports it afresh
      throw e;
    }
  }

  private async compileInPool(hash: string, bytes: Uint8Array, options: InstrumentOptions): Promise<WebAssembly.Module> {
    const r = await this.pool.run({ bytes, options: normalise(options) });
    if (!r.ok) throw rebuildError(r.error);
    this.writeDisk(hash, r.instrumented);
    return r.module;
  }

  private remember(hash: string, pending: Promise<WebAssembly.Module>): void {
    this.memory.set(hash, pending);
    if (this.memory.size > this.maxEntries) this.memory.delete(this.memory.keys().next().value!);
  }

  private readDisk(hash: string): Uint8Array | null {
    if (!this.opts.cacheDir) return null;
    try {
      return new Uint8Array(readFileSync(join(this.opts.cacheDir, `${hash}.wasm`)));
    } catch {
      return null;
    }
  }

  private writeDisk(hash: string, bytes: Uint8Array): void {
    if (!this.opts.cacheDir) return;
    // Write then rename, so a concurrent reader never sees a partial file.
    const tmp = join(this.opts.cacheDir, `${hash}.${process.pid}.tmp`);
    writeFileSync(tmp, bytes);
    renameSync(tmp, join(this.opts.cacheDir, `${hash}.wasm`));
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}

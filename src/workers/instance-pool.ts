// Per-module instance pools, run inside a worker. Each call gets a fresh fuel budget; a call that
// traps (fuel, unreachable, out-of-bounds, stack overflow, memory cap) throws its instance away and
// comes back as a typed fault, never as an exception. Replacements are made lazily, on the next call
// that finds no idle instance, so a rule that keeps faulting costs one instantiation per call and
// nothing when it is not called.
import { FUEL_EXPORT, REFUEL_EXPORT } from '../shared/wasm/fuel.js';
import { FAULT_EXPORT, FaultFlag } from '../shared/wasm/memory-limit.js';
import { PAGE_BYTES } from '../shared/wasm/wasm-opcodes.js';

export type FaultKind = 'fuel' | 'trap' | 'memory' | 'stack';
export const FAULT_KINDS: readonly FaultKind[] = ['fuel', 'trap', 'memory', 'stack'];

export interface CallOk {
  ok: true;
  value: unknown;
  fuelUsed: number;
}
export interface CallFault {
  ok: false;
  fault: FaultKind;
  message: string;
  fuelUsed: number;
}
export type CallResult = CallOk | CallFault;

/** What an imports factory gets: its own instance, once instantiation has returned. */
export interface InstanceHandle {
  readonly instance: WebAssembly.Instance | null;
  /** The instance's exported memory; throws before instantiation returns. */
  memory(): WebAssembly.Memory;
}

export interface InstancePoolOptions {
  /** Idle instances kept for reuse (at least 1). */
  size: number;
  /** Memory cap in pages, checked after every call (the instrumented module also enforces it). */
  maxMemoryPages: number;
  fuelPerCall: number;
  /**
   * The imports: one object shared by every instance, or a factory called once per instance (for
   * host functions that need that instance's memory).
   */
  imports?: WebAssembly.Imports | ((self: InstanceHandle) => WebAssembly.Imports);
  /** Instantiates (default: `new WebAssembly.Instance`); the AssemblyScript loader plugs in here. */
  instantiate?: (module: WebAssembly.Module, imports: WebAssembly.Imports) => WebAssembly.Instance;
  /** An export run once on each new instance under `initFuel` (AssemblyScript's `_initialize`). */
  initExport?: string;
  initFuel?: number;
  /** Name of the fuel global (default `__kestrel_fuel`). */
  fuelExport?: string;
}

export interface PoolCounters {
  calls: number;
  faults: Record<FaultKind, number>;
  instancesCreated: number;
  instancesDiscarded: number;
}

class Slot implements InstanceHandle {
  instance: WebAssembly.Instance | null = null;
  fuel: WebAssembly.Global | null = null;
  /** The fuel pass's refuel(n) -> left; cheaper from JS than the global (see fuel.ts). */
  refuel: ((n: number | bigint) => number | bigint) | null = null;
  wide = false;
  faultFlag: WebAssembly.Global | null = null;
  mem: WebAssembly.Memory | null = null;
  readonly fns = new Map<string, (...args: unknown[]) => unknown>();

  memory(): WebAssembly.Memory {
    if (!this.mem) throw new Error('the instance memory is not available before instantiation returns');
    return this.mem;
  }
}

const STACK_OVERFLOW = /call stack/i;

export class InstancePool {
  private readonly idle: Slot[] = [];
  private readonly opts: Required<Omit<InstancePoolOptions, 'imports' | 'initExport'>> & Pick<InstancePoolOptions, 'imports' | 'initExport'>;
  private readonly maxBytes: number;
  readonly counters: PoolCounters = { calls: 0, faults: { fuel: 0, trap: 0, memory: 0, stack: 0 }, instancesCreated: 0, instancesDiscarded: 0 };
  /** Reused for every successful call: read it before the next call. */
  private readonly ok: CallOk = { ok: true, value: undefined, fuelUsed: 0 };

  constructor(
    readonly module: WebAssembly.Module,
    opts: InstancePoolOptions,
  ) {
    if (!Number.isInteger(opts.size) || opts.size < 1) throw new RangeError(`options.size must be a positive integer, got ${opts.size}`);
    if (!Number.isInteger(opts.fuelPerCall) || opts.fuelPerCall < 1 || opts.fuelPerCall > 0x7fffffff) {
      throw new RangeError(`options.fuelPerCall must be an integer from 1 to 2^31-1, got ${opts.fuelPerCall}`);
    }
    this.opts = {
      instantiate: (m, i) => new WebAssembly.Instance(m, i),
      initFuel: opts.fuelPerCall,
      fuelExport: FUEL_EXPORT,
      ...opts,
    };
    this.maxBytes = opts.maxMemoryPages * PAGE_BYTES;
  }

  /** Instantiates idle instances up to the pool size (optional: calls do it on demand). */
  prewarm(): CallFault | null {
    while (this.idle.length < this.opts.size) {
      const s = this.create();
      if (!(s instanceof Slot)) return s;
      this.idle.push(s);
    }
    return null;
  }

  get idleCount(): number {
    return this.idle.length;
  }

  /** Calls an export with a fresh fuel budget. Faults are returned, never thrown. */
  call(exportName: string, ...args: unknown[]): CallResult {
    this.counters.calls++;
    const got = this.idle.pop() ?? this.create();
    if (!(got instanceof Slot)) return this.count(got);
    const slot = got;
    let f = slot.fns.get(exportName);
    if (!f) {
      f = slot.instance!.exports[exportName] as (...a: unknown[]) => unknown;
      if (typeof f !== 'function') {
        this.idle.push(slot);
        throw new RangeError(`the module has no exported function "${exportName}"`);
      }
      slot.fns.set(exportName, f);
    }
    const budget = this.opts.fuelPerCall;
    this.setFuel(slot, budget);
    let value: unknown;
    try {
      value = f(...args);
    } catch (err) {
      return this.count(this.discard(slot, err, budget));
    }
    // Leave the instance with no fuel between calls: nothing can run it unmetered.
    const used = budget - this.takeFuel(slot);
    if (slot.mem && slot.mem.buffer.byteLength > this.maxBytes) {
      const pages = slot.mem.buffer.byteLength / PAGE_BYTES;
      this.drop(slot);
      return this.count({ ok: false, fault: 'memory', message: `memory grew to ${pages} pages, past the cap of ${this.opts.maxMemoryPages}`, fuelUsed: used });
    }
    if (this.idle.length < this.opts.size) this.idle.push(slot);
    else this.drop(slot);
    this.ok.value = value;
    this.ok.fuelUsed = used;
    return this.ok;
  }

  private count(r: CallFault): CallFault {
    this.counters.faults[r.fault]++;
    return r;
  }

  private setFuel(slot: Slot, n: number): void {
    if (slot.refuel) slot.refuel(slot.wide ? BigInt(n) : n);
    else slot.fuel!.value = slot.wide ? BigInt(n) : n;
  }

  /** Returns the fuel left and sets it to 0. */
  private takeFuel(slot: Slot): number {
    if (slot.refuel) return Number(slot.refuel(slot.wide ? 0n : 0));
    const left = Number(slot.fuel!.value);
    slot.fuel!.value = slot.wide ? 0n : 0;
    return left;
  }

  /** A new instance, initialised; or the fault that prevented it. */
  private create(): Slot | CallFault {
    const slot = new Slot();
    const given = this.opts.imports;
    const imports = typeof given === 'function' ? given(slot) : (given ?? {});
    try {
      slot.instance = this.opts.instantiate(this.module, imports);
    } catch (err) {
      return this.classify(slot, err, this.opts.initFuel, 'instantiation');
    }
    this.counters.instancesCreated++;
    const ex = slot.instance.exports;
    const fuel = ex[this.opts.fuelExport];
    if (!(fuel instanceof WebAssembly.Global)) throw new RangeError(`the module exports no "${this.opts.fuelExport}" global: instrument it with instrumentFuel first`);
    slot.fuel = fuel;
    slot.wide = typeof fuel.value === 'bigint';
    slot.refuel = typeof ex[REFUEL_EXPORT] === 'function' ? (ex[REFUEL_EXPORT] as (n: number | bigint) => number | bigint) : null;
    slot.faultFlag = ex[FAULT_EXPORT] instanceof WebAssembly.Global ? (ex[FAULT_EXPORT] as WebAssembly.Global) : null;
    slot.mem = ex.memory instanceof WebAssembly.Memory ? ex.memory : null;
    if (this.opts.initExport) {
      const init = ex[this.opts.initExport];
      if (typeof init === 'function') {
        this.setFuel(slot, this.opts.initFuel);
        try {
          init();
        } catch (err) {
          return this.discard(slot, err, this.opts.initFuel, 'initialisation');
        }
      }
    }
    return slot;
  }

  private drop(slot: Slot): void {
    slot.instance = null;
    this.counters.instancesDiscarded++;
  }

  private discard(slot: Slot, err: unknown, budget: number, phase?: string): CallFault {
    const fault = this.classify(slot, err, budget, phase);
    this.drop(slot);
    return fault;
  }

  private classify(slot: Slot, err: unknown, budget: number, phase?: string): CallFault {
    const left = slot.fuel ? Number(slot.fuel.value) : budget;
    const fuelUsed = Math.min(budget, budget - left);
    const at = phase ? ` during ${phase}` : '';
    const text = err instanceof Error ? err.message : String(err);
    if (left < 0) return { ok: false, fault: 'fuel', message: `fuel exhausted${at} (budget ${budget})`, fuelUsed };
    if (slot.faultFlag?.value === FaultFlag.memory) {
      return { ok: false, fault: 'memory', message: `memory.grow past the cap of ${this.opts.maxMemoryPages} pages${at}`, fuelUsed };
    }
    if (err instanceof RangeError && STACK_OVERFLOW.test(text)) return { ok: false, fault: 'stack', message: `stack overflow${at}: ${text}`, fuelUsed };
    return { ok: false, fault: 'trap', message: `${err instanceof WebAssembly.RuntimeError ? 'trap' : 'host error'}${at}: ${text}`, fuelUsed };
  }
}

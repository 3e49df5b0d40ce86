import { describe, expect, it } from 'vitest';
import { InstancePool } from '../src/workers/instance-pool.js';
import { CircuitBreaker } from '../src/workers/circuit-breaker.js';
import { instrumentModule } from '../src/shared/wasm/instrument.js';
import { ModuleBuilder } from '../src/shared/wasm/wasm-writer.js';
import { Op, ValType } from '../src/shared/wasm/wasm-opcodes.js';
import type { RuntimeError } from '../src/shared/errors.js';

const { i32 } = ValType;

/**
 * add(a, b) = a + b; spin() loops forever; grow(n) = memory.grow(n); boom() calls the host's
 * `env.fail`; counter() increments a global and returns it (instance state).
 */
function testModule(): WebAssembly.Module {
  const b = new ModuleBuilder();
  const fail = b.importFunction('env', 'fail', [], []);
  b.setMemory(1);
  const g = b.addGlobal(i32, true, [Op.i32Const, 0]);
  b.exportFunction('add', b.addFunction([i32, i32], [i32], [], [Op.localGet, 0, Op.localGet, 1, Op.i32Add, Op.end]));
  b.exportFunction('spin', b.addFunction([], [], [], [Op.loop, 0x40, Op.br, 0, Op.end, Op.end]));
  b.exportFunction('grow', b.addFunction([i32], [i32], [], [Op.localGet, 0, Op.memoryGrow, 0, Op.end]));
  b.exportFunction('boom', b.addFunction([], [], [], [Op.call, fail, Op.end]));
  b.exportFunction('counter', b.addFunction([], [i32], [], [Op.globalGet, g, Op.i32Const, 1, Op.i32Add, Op.globalSet, g, Op.globalGet, g, Op.end]));
  b.export('memory', 2, 0);
  return new WebAssembly.Module(instrumentModule(b.build(), { maxMemoryPages: 8 }));
}

const imports = (): WebAssembly.Imports => ({
  env: {
    fail: () => {
      throw new Error('host says no');
    },
  },
});

function pool(opts: Partial<ConstructorParameters<typeof InstancePool>[1]> = {}): InstancePool {
  return new InstancePool(testModule(), { size: 1, maxMemoryPages: 8, fuelPerCall: 10_000, imports, ...opts });
}

describe('InstancePool', () => {
  it('calls exports with a fresh fuel budget each time, reusing one instance', () => {
    const p = pool();
    expect(p.call('add', 2, 3)).toEqual({ ok: true, value: 5, fuelUsed: 4 });
    expect(p.call('counter')).toMatchObject({ ok: true, value: 1 });
    expect(p.call('counter')).toMatchObject({ ok: true, value: 2 });
    expect(p.counters).toEqual({ calls: 3, faults: { fuel: 0, trap: 0, memory: 0, stack: 0 }, instancesCreated: 1, instancesDiscarded: 0 });
  });

  it('returns faults as values, discards the instance and replaces it lazily', () => {
    const p = pool();
    expect(p.call('counter')).toMatchObject({ ok: true, value: 1 });
    expect(p.call('spin')).toEqual({ ok: false, fault: 'fuel', message: 'fuel exhausted (budget 10000)', fuelUsed: 10_000 });
    expect(p.idleCount).toBe(0);
    // The replacement starts from scratch: its counter global is fresh.
    expect(p.call('counter')).toMatchObject({ ok: true, value: 1 });
    expect(p.call('grow', 100)).toMatchObject({ ok: false, fault: 'memory', message: 'memory.grow past the cap of 8 pages' });
    expect(p.call('boom')).toMatchObject({ ok: false, fault: 'trap', message: 'host error: host says no' });
    expect(p.counters).toMatchObject({ calls: 5, faults: { fuel: 1, trap: 1, memory: 1, stack: 0 }, instancesCreated: 3, instancesDiscarded: 3 });
  });

  it('checks the memory size after each call against its own cap', () => {
    const p = pool({ maxMemoryPages: 2 });
    expect(p.call('grow', 1)).toMatchObject({ ok: true, value: 1 });
    expect(p.call('grow', 1)).toMatchObject({ ok: false, fault: 'memory', message: 'memory grew to 3 pages, past the cap of 2' });
    expect(p.call('grow', 0)).toMatchObject({ ok: true, value: 1 });
  });

  it('prewarms up to its size and reports an init fault as a fault', () => {
    const p = pool({ size: 3 });
    expect(p.prewarm()).toBeNull();
    expect(p.idleCount).toBe(3);
    const bad = pool({ initExport: 'spin', initFuel: 500 });
    expect(bad.call('add', 1, 1)).toMatchObject({ ok: false, fault: 'fuel', message: 'fuel exhausted during initialisation (budget 500)' });
  });

  it('accepts one imports object shared by every instance', () => {
    const shared = imports();
    const p = pool({ imports: shared });
    expect(p.call('boom')).toMatchObject({ ok: false, fault: 'trap', message: 'host error: host says no' });
    expect(p.call('add', 1, 2)).toMatchObject({ ok: true, value: 3 });
  });

  it('names bad options and unknown exports', () => {
    expect(() => pool({ size: 0 })).toThrow('options.size must be a positive integer, got 0');
    expect(() => pool({ fuelPerCall: 2 ** 31 })).toThrow('options.fuelPerCall must be an integer from 1 to 2^31-1, got 2147483648');
    expect(() => pool().call('nope')).toThrow('the module has no exported function "nope"');
  });
});

describe('CircuitBreaker', () => {
  const fault = { ok: false, fault: 'trap', message: 'x', fuelUsed: 0 } as const;
  const ok = { ok: true, value: 0, fuelUsed: 0 } as const;

  it('trips on N faults within W calls, once, and then refuses calls', () => {
    const events: RuntimeError[] = [];
    const b = new CircuitBreaker({ ruleId: 'r1', maxFaults: 2, windowCalls: 2, onDisable: (e) => events.push(e) });
    for (const r of [fault, ok, fault, ok, fault, fault]) {
      expect(b.allow()).toBe(true);
      b.record(r);
    }
    expect(b.disabled).toBe(true);
    expect(b.allow()).toBe(false);
    expect(b.counters).toEqual({ calls: 6, faults: { fuel: 0, trap: 4, memory: 0, stack: 0 }, skipped: 1, disabled: true });
    expect(events).toHaveLength(1);
    expect(events[0].message).toBe('rule r1 disabled: 2 faults within 2 calls (fuel 0, trap 4, memory 0, stack 0); last: trap: x');
  });

  it('with maxFaults 1 trips on the first fault', () => {
    const b = new CircuitBreaker({ ruleId: 'r', maxFaults: 1, windowCalls: 1 });
    b.record(ok);
    expect(b.disabled).toBe(false);
    b.record(fault);
    expect(b.disabled).toBe(true);
  });
});

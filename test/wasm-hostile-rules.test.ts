// Hostile user rules run beside a well-behaved one in the same thread: each is stopped or refused,
// reported with its fault kind, message and counters, and the good rule's results stay correct.
import { beforeAll, describe, expect, it } from 'vitest';
import { InputError, type RuntimeError } from '../src/shared/errors.js';
import { JsonEventAccessor } from '../src/shared/wasm/event-accessor.js';
import { UserRule, type UserRuleOptions } from '../src/shared/wasm/user-rule.js';
import { validateRuleModule } from '../src/shared/wasm/validate.js';
import { USER_RULE_ABI } from '../src/shared/wasm/rule-abi.js';
import { compileRules } from './helpers/asc.js';

const FIXTURES = 'test/fixtures/wasm-rules';
let wasm: Record<string, Uint8Array>;
beforeAll(() => {
  wasm = compileRules([
    'rules/examples/netcat-exec.ts',
    ...['infinite-loop', 'alloc-bomb', 'traps', 'deep-recursion', 'forbidden-import'].map((n) => `${FIXTURES}/${n}.ts`),
  ]);
});

const accessor = new JsonEventAccessor();
const disabled: RuntimeError[] = [];
function load(name: string, opts: Partial<UserRuleOptions> = {}): UserRule {
  return UserRule.fromBytes(wasm[name], { ruleId: name, accessor, fuelPerCall: 200_000, maxMemoryPages: 32, maxFaults: 3, windowCalls: 10, onDisable: (e) => disabled.push(e), ...opts });
}

const shell = { process: { name: 'nc', args: ['nc', '-e', '/bin/sh'] } };
const benign = { process: { name: 'ls', args: ['ls', '-l'] } };

describe('hostile user rules', () => {
  it('refuses a rule importing a host function outside the ABI, with the allowed list', () => {
    const report = validateRuleModule(wasm['forbidden-import'], USER_RULE_ABI);
    expect(report.ok).toBe(false);
    expect(report.errors.map((e) => e.message)).toEqual([
      'import env.fetch (function) is not allowed; allowed: kestrel.field_id, kestrel.has, kestrel.get_str, kestrel.get_i64, kestrel.get_f64, kestrel.alert, env.abort',
    ]);
    expect(() => load('forbidden-import')).toThrow(InputError);
    expect(() => load('forbidden-import')).toThrow(/^rule forbidden-import: import env\.fetch \(function\) is not allowed/);
  });

  it('stops each hostile rule, reports the fault kind, disables it after 3 faults, and keeps the good rule right', () => {
    disabled.length = 0;
    const good = load('netcat-exec');
    const loop = load('infinite-loop');
    const bomb = load('alloc-bomb');
    const traps = load('traps');
    const recursion = load('deep-recursion', { fuelPerCall: 2 ** 31 - 1 });
    const hostile = [loop, bomb, traps, recursion];

    const seen: Record<string, string[]> = { loop: [], bomb: [], traps: [], recursion: [] };
    for (let i = 0; i < 8; i++) {
      const event = i % 2 === 0 ? shell : benign;
      accessor.set(event);
      // The traps rule picks its trap by handle: 0 unreachable, 1 divide by zero, 2 out of bounds.
      const outcomes = { loop: loop.match(i), bomb: bomb.match(i), traps: traps.match(i % 3), recursion: recursion.match(i) };
      for (const [name, o] of Object.entries(outcomes)) seen[name].push(o.ok ? 'ok' : `${o.fault}: ${o.message}`);
      expect(good.match(i)).toEqual(i % 2 === 0 ? { ok: true, matched: true, alerts: ['nc -e: possible reverse shell'] } : { ok: true, matched: false, alerts: [] });
    }

    const disabledMsg = (id: string): string => `disabled: rule ${id} is disabled`;
    expect(seen.loop).toEqual([...Array(3).fill('fuel: fuel exhausted (budget 200000)'), ...Array(5).fill(disabledMsg('infinite-loop'))]);
    expect(seen.bomb).toEqual([...Array(3).fill('memory: memory.grow past the cap of 32 pages'), ...Array(5).fill(disabledMsg('alloc-bomb'))]);
    expect(seen.traps).toEqual([
      'trap: trap: unreachable',
      'trap: trap: divide by zero',
      'trap: trap: memory access out of bounds',
      ...Array(5).fill(disabledMsg('traps')),
    ]);
    expect(seen.recursion.slice(0, 3)).toEqual(Array(3).fill('stack: stack overflow: Maximum call stack size exceeded'));

    for (const rule of hostile) {
      expect(rule.disabled).toBe(true);
      expect(rule.counters.calls).toBe(3);
      expect(rule.counters.skipped).toBe(5);
      // Every fault threw its instance away; a new one was made for the next call.
      expect(rule.pool.counters.instancesDiscarded).toBe(3);
      expect(rule.pool.counters.instancesCreated).toBe(3);
    }
    expect(loop.counters.faults).toEqual({ fuel: 3, trap: 0, memory: 0, stack: 0 });
    expect(bomb.counters.faults).toEqual({ fuel: 0, trap: 0, memory: 3, stack: 0 });
    expect(traps.counters.faults).toEqual({ fuel: 0, trap: 3, memory: 0, stack: 0 });
    expect(recursion.counters.faults).toEqual({ fuel: 0, trap: 0, memory: 0, stack: 3 });

    // Reported once each, as an error event naming the rule and the last fault.
    expect(disabled.map((e) => e.ruleId)).toEqual(['infinite-loop', 'alloc-bomb', 'traps', 'deep-recursion']);
    expect(disabled[0].code).toBe('wasm.rule.disabled');
    expect(disabled[0].message).toBe('rule infinite-loop disabled: 3 faults within 10 calls (fuel 3, trap 0, memory 0, stack 0); last: fuel: fuel exhausted (budget 200000)');

    expect(good.counters).toMatchObject({ calls: 8, matches: 4, alerts: 4, skipped: 0, disabled: false });
    expect(good.pool.counters.instancesCreated).toBe(1);
  });

  it('stops deep recursion by fuel when the budget is smaller than the stack', () => {
    const rule = load('deep-recursion', { fuelPerCall: 5_000 });
    expect(rule.match(0)).toEqual({ ok: false, fault: 'fuel', message: 'fuel exhausted (budget 5000)' });
  });

  it('does not trip the breaker when faults are spread wider than the window', () => {
    const rule = load('traps', { maxFaults: 2, windowCalls: 3 });
    const results = [0, 5, 5, 0, 5, 5, 0].map((h) => rule.match(h).ok);
    expect(results).toEqual([false, true, true, false, true, true, false]);
    expect(rule.disabled).toBe(false);
    expect(rule.match(0).ok).toBe(false);
    expect(rule.disabled).toBe(true);
  });
});

// User rules written in AssemblyScript (docs/wasm-rules.md): binds the `kestrel.*` host functions
// to an EventAccessor, loads the instrumented module through @assemblyscript/loader, and runs
// `match` per event in an instance pool with fuel, a memory cap and a circuit breaker.
import { instantiateSync } from '@assemblyscript/loader';
import { InputError, type RuntimeError } from '../errors.js';
import { CircuitBreaker, type BreakerCounters } from '../../workers/circuit-breaker.js';
import { InstancePool, type FaultKind, type InstanceHandle } from '../../workers/instance-pool.js';
import type { EventAccessor } from './event-accessor.js';
import { instrumentModule } from './instrument.js';
import { USER_RULE_ABI, type ModuleAbi } from './rule-abi.js';
import { validateRuleModule } from './validate.js';

/** Longest alert message kept, in bytes; longer ones are cut. */
export const MAX_ALERT_BYTES = 256;

export interface UserRuleOptions {
  ruleId: string;
  accessor: EventAccessor;
  /** Default 1,000,000 per event. */
  fuelPerCall?: number;
  /** Budget of `_initialize` (field id look-ups, static data). Default 10,000,000. */
  initFuel?: number;
  /** Default: the ABI's cap (256 pages = 16 MiB). */
  maxMemoryPages?: number;
  /** Idle instances kept. Default 1. */
  poolSize?: number;
  /** Breaker: `maxFaults` faults within `windowCalls` calls disable the rule. Default 3 in 1000. */
  maxFaults?: number;
  windowCalls?: number;
  onDisable?: (err: RuntimeError) => void;
}

export type MatchOutcome =
  | { ok: true; matched: boolean; alerts: readonly string[] }
  | { ok: false; fault: FaultKind | 'disabled'; message: string };

export interface UserRuleCounters extends BreakerCounters {
  matches: number;
  alerts: number;
}

const NO_ALERTS: readonly string[] = Object.freeze([]);
const MATCHED: MatchOutcome = Object.freeze({ ok: true, matched: true, alerts: NO_ALERTS });
const NOT_MATCHED: MatchOutcome = Object.freeze({ ok: true, matched: false, alerts: NO_ALERTS });
const utf8 = new TextDecoder();

export class UserRule {
  readonly pool: InstancePool;
  private readonly breaker: CircuitBreaker;
  private alerts: string[] | null = null;
  private matches = 0;
  private alertCount = 0;

  /** Validates, instruments and compiles a module, then builds the rule. */
  static fromBytes(bytes: Uint8Array, opts: UserRuleOptions, abi: ModuleAbi = USER_RULE_ABI): UserRule {
    const report = validateRuleModule(bytes, abi);
    if (!report.ok) {
      throw new InputError('wasm.rule.invalid', `rule ${opts.ruleId}: ${report.errors.map((e) => e.message).join('; ')}`, {
        ruleId: opts.ruleId,
        context: { errors: report.errors },
      });
    }
    const maxMemoryPages = opts.maxMemoryPages ?? abi.maxMemoryPages;
    const instrumented = instrumentModule(bytes, { maxMemoryPages, fuel: { initialFuel: 0 } });
    return new UserRule(new WebAssembly.Module(instrumented), { ...opts, maxMemoryPages });
  }

  /** `module` must already be validated and instrumented (instrumentModule). */
  constructor(module: WebAssembly.Module, readonly opts: UserRuleOptions) {
    this.pool = new InstancePool(module, {
      size: opts.poolSize ?? 1,
      maxMemoryPages: opts.maxMemoryPages ?? USER_RULE_ABI.maxMemoryPages,
      fuelPerCall: opts.fuelPerCall ?? 1_000_000,
      initFuel: opts.initFuel ?? 10_000_000,
      initExport: '_initialize',
      imports: (self) => this.hostImports(self),
      instantiate: (m, imports) => instantiateSync(m, imports as Record<string, any>).instance,
    });
    this.breaker = new CircuitBreaker({ ruleId: opts.ruleId, maxFaults: opts.maxFaults ?? 3, windowCalls: opts.windowCalls ?? 1000, onDisable: opts.onDisable });
  }

  get disabled(): boolean {
    return this.breaker.disabled;
  }

  get counters(): UserRuleCounters {
    return { ...this.breaker.counters, faults: { ...this.breaker.counters.faults }, matches: this.matches, alerts: this.alertCount };
  }

  /** Runs `match` on the event the accessor is positioned on. */
  match(eventHandle = 0): MatchOutcome {
    if (!this.breaker.allow()) return { ok: false, fault: 'disabled', message: `rule ${this.opts.ruleId} is disabled` };
    this.alerts = null;
    const r = this.pool.call('match', eventHandle);
    this.breaker.record(r);
    if (!r.ok) return { ok: false, fault: r.fault, message: r.message };
    const matched = r.value !== 0;
    if (matched) this.matches++;
    // Set by kestrel.alert during the call (TypeScript cannot see that and narrows to null).
    const alerts = this.alerts as string[] | null;
    // The common case (no alert) returns a shared constant: no allocation per event.
    if (alerts === null) return matched ? MATCHED : NOT_MATCHED;
    this.alertCount += alerts.length;
    return { ok: true, matched, alerts };
  }

  private hostImports(self: InstanceHandle): WebAssembly.Imports {
    const accessor = this.opts.accessor;
    // A byte view of the instance memory, renewed when memory.grow detaches the old buffer.
    let view = Buffer.alloc(0);
    const bytes = (): Buffer => {
      const buf = self.memory().buffer;
      if (view.buffer !== buf) view = Buffer.from(buf);
      return view;
    };
    const range = (fn: string, ptr: number, len: number): Buffer => {
      const b = bytes();
      ptr >>>= 0;
      len >>>= 0;
      if (ptr + len > b.length) throw new RangeError(`kestrel.${fn}: range ${ptr}+${len} is outside the module memory (${b.length} bytes)`);
      return b;
    };
    return {
      kestrel: {
        field_id: (ptr: number, len: number) => accessor.fieldId(range('field_id', ptr, len).toString('utf8', ptr >>> 0, (ptr >>> 0) + (len >>> 0))),
        has: (id: number) => (accessor.has(id) ? 1 : 0),
        get_str: (id: number, ptr: number, len: number) => {
          const s = accessor.getString(id);
          if (s === null) return -1;
          const b = range('get_str', ptr, len);
          b.write(s, ptr >>> 0, len >>> 0, 'utf8');
          // The full length, so a rule can retry with a larger buffer.
          return Buffer.byteLength(s, 'utf8');
        },
        get_i64: (id: number) => accessor.getI64(id) ?? 0n,
        get_f64: (id: number) => accessor.getF64(id) ?? NaN,
        alert: (ptr: number, len: number) => {
          const b = range('alert', ptr, len);
          const n = Math.min(len >>> 0, MAX_ALERT_BYTES);
          (this.alerts ??= []).push(utf8.decode(b.subarray(ptr >>> 0, (ptr >>> 0) + n)));
        },
      },
      env: {
        abort: (msg: number, file: number, line: number, col: number) => {
          throw new Error(`abort: ${asString(bytes(), msg)} at ${asString(bytes(), file)}:${line}:${col}`);
        },
      },
    };
  }
}

/** An AssemblyScript string (UTF-16, byte length in the 4 bytes before it), for abort messages. */
function asString(b: Buffer, ptr: number): string {
  ptr >>>= 0;
  if (ptr < 4 || ptr > b.length) return '?';
  const len = b.readUInt32LE(ptr - 4);
  if (ptr + len > b.length) return '?';
  return b.toString('utf16le', ptr, ptr + Math.min(len, 1024));
}

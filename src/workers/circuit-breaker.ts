// Disables a rule that keeps faulting: N faults within a window of W calls (counted in calls, not
// wall time, so a replay trips it at the same event on every run). The trip is reported once.
import { RuntimeError } from '../shared/errors.js';
import type { CallResult, FaultKind } from './instance-pool.js';

export interface CircuitBreakerOptions {
  ruleId: string;
  /** Faults that trip the breaker … */
  maxFaults: number;
  /** … when they fall within this many consecutive calls. */
  windowCalls: number;
  /** Called once, when the breaker trips. */
  onDisable?: (err: RuntimeError) => void;
}

export interface BreakerCounters {
  calls: number;
  faults: Record<FaultKind, number>;
  /** Calls refused after the breaker tripped. */
  skipped: number;
  disabled: boolean;
}

export class CircuitBreaker {
  readonly counters: BreakerCounters = { calls: 0, faults: { fuel: 0, trap: 0, memory: 0, stack: 0 }, skipped: 0, disabled: false };
  /** Call numbers of the last `maxFaults` faults, as a ring. */
  private readonly recent: Float64Array;
  private faultCount = 0;

  constructor(private readonly opts: CircuitBreakerOptions) {
    if (!Number.isInteger(opts.maxFaults) || opts.maxFaults < 1) throw new RangeError(`options.maxFaults must be a positive integer, got ${opts.maxFaults}`);
    if (!Number.isInteger(opts.windowCalls) || opts.windowCalls < 1) throw new RangeError(`options.windowCalls must be a positive integer, got ${opts.windowCalls}`);
    this.recent = new Float64Array(opts.maxFaults);
  }

  get disabled(): boolean {
    return this.counters.disabled;
  }

  /** Whether the rule may run; counts a skipped call when it may not. */
  allow(): boolean {
    if (!this.counters.disabled) return true;
    this.counters.skipped++;
    return false;
  }

  record(result: CallResult): void {
    const call = ++this.counters.calls;
    if (result.ok) return;
    this.counters.faults[result.fault]++;
    const n = this.opts.maxFaults;
    const oldest = this.faultCount >= n - 1 ? this.recent[(this.faultCount - (n - 1)) % n] : -Infinity;
    this.recent[this.faultCount % n] = call;
    this.faultCount++;
    if (this.counters.disabled || this.faultCount < n) return;
    // `oldest` is the call number of the fault n-1 faults ago (n = 1: this one).
    const first = n === 1 ? call : oldest;
    if (call - first < this.opts.windowCalls) {
      this.counters.disabled = true;
      const f = this.counters.faults;
      this.opts.onDisable?.(
        new RuntimeError(
          'wasm.rule.disabled',
          `rule ${this.opts.ruleId} disabled: ${n} faults within ${this.opts.windowCalls} calls (fuel ${f.fuel}, trap ${f.trap}, memory ${f.memory}, stack ${f.stack}); last: ${result.fault}: ${result.message}`,
          { ruleId: this.opts.ruleId, context: { ...this.counters, faults: { ...f } } },
        ),
      );
    }
  }
}

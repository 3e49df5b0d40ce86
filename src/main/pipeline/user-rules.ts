// Wasm user rules (AssemblyScript modules, docs/wasm-rules.md) in replay and live detection.
//
// A user rule judges one event at a time and keeps no state, so it runs where every event passes
// once, in order: on main, as each record is pushed, before the EQL rules' routing. Its alerts
// join the same deterministic merge as the EQL rules' (ordered by seq, then rule index: user
// rules come after the EQL rules), so output stays identical for any worker count.
//
// The sandbox is UserRule's: fuel per call and for `_initialize`, a memory cap, traps caught, and
// a circuit breaker that disables a rule after repeated faults. Every fault and the disabling are
// reported with the rule's name; the other rules keep running.
import { InputError, type RuntimeError } from '../../shared/errors.js';
import { RecordEvent } from '../../shared/eql/record-access.js';
import type { PendingAlert } from '../runtime/merge.js';
import { alertJson } from '../../shared/pipeline/alert.js';
import type { RuleSpec } from '../../shared/pipeline/ruleset.js';
import type { RecordLayout } from '../../shared/record/layout.js';
import { RecordEventAccessor } from '../../shared/wasm/record-accessor.js';
import { UserRule } from '../../shared/wasm/user-rule.js';

export { WASM_LANGUAGE, isUserRule } from './user-rule-spec.js';

export interface UserRuleFault {
  rule: string;
  kind: string;
  message: string;
}

export class UserRuleSet {
  private readonly rules: { spec: RuleSpec; rule: UserRule; index: number }[] = [];
  private readonly accessor: RecordEventAccessor;
  private readonly event: RecordEvent;
  /** Rules whose module could not start: reported and left out. */
  readonly refused: string[] = [];
  /** Faults reported so far, per rule and kind (logged once per rule and kind, then counted). */
  private readonly faults = new Map<string, number>();

  /**
   * Builds the rules' sandboxes. A module whose `_initialize` faults (runs out of fuel, traps,
   * exceeds memory) is reported and left out (see `refused`); `firstIndex` is the rule index of
   * the first user rule in the merge order.
   */
  constructor(specs: readonly RuleSpec[], layout: RecordLayout, firstIndex: number, private readonly onFault: (f: UserRuleFault) => void = defaultReport) {
    this.accessor = new RecordEventAccessor(layout);
    this.event = new RecordEvent(layout, new Uint8Array(0), 0);
    specs.forEach((spec, k) => {
      if (!spec.module) throw new InputError('wasm.rule.missing', `rule ${spec.name}: no module bytes`, { file: spec.file });
      const rule = UserRule.fromBytes(spec.module, {
        ruleId: spec.name,
        accessor: this.accessor,
        onDisable: (e: RuntimeError) => this.onFault({ rule: spec.name, kind: 'disabled', message: e.message }),
      });
      // Instantiate now: a module whose start-up loops, traps or eats memory is found before
      // detection starts, reported by name and left out; the other rules run.
      const fault = rule.pool.prewarm();
      if (fault) {
        this.refused.push(spec.name);
        this.onFault({ rule: spec.name, kind: `${fault.fault} in _initialize`, message: `${fault.message}; the rule is not running` });
        return;
      }
      this.rules.push({ spec, rule, index: firstIndex + k });
    });
  }

  /** Faults so far by rule and kind, for kestrel_rule_faults_total ("circuit-open": calls skipped while disabled). */
  faultCounts(): { rule: string; kind: string; count: number }[] {
    const out = [...this.faults].map(([key, count]) => {
      const [rule, kind] = key.split('\u0000') as [string, string];
      return { rule, kind, count };
    });
    for (const { spec, rule } of this.rules) {
      const skipped = rule.counters.skipped;
      if (skipped > 0) out.push({ rule: spec.name, kind: 'circuit-open', count: skipped });
    }
    for (const name of this.refused) out.push({ rule: name, kind: 'init', count: 1 });
    return out;
  }

  get size(): number {
    return this.rules.length;
  }

  /** Runs every user rule on the record at `offset`; matches become alerts for `emit`. */
  evaluate(bytes: Uint8Array, offset: number, seq: number, emit: (a: PendingAlert) => void): void {
    this.accessor.set(this.event.reset(bytes, offset, seq));
    for (const { spec, rule, index } of this.rules) {
      const out = rule.match(0);
      if (!out.ok) {
        if (out.fault !== 'disabled') this.fault(spec.name, out.fault, out.message);
        continue;
      }
      if (!out.matched) continue;
      const rv = this.event.rv;
      const time = rv.hasTimestamp ? rv.timestampMs : null;
      const json = alertJson(spec, { events: [{ view: this.event, time, seq }], joinKeys: [] }, out.alerts);
      emit({ seq, ruleIndex: index, json });
    }
  }

  private fault(rule: string, kind: string, message: string): void {
    const key = `${rule}\u0000${kind}`;
    const n = (this.faults.get(key) ?? 0) + 1;
    this.faults.set(key, n);
    if (n === 1) this.onFault({ rule, kind, message });
  }
}

function defaultReport(f: UserRuleFault): void {
  const text = f.kind === 'disabled' ? `user rule ${f.rule} disabled after repeated faults: ${f.message}` : `user rule ${f.rule}: ${f.kind}: ${f.message}`;
  // One line per fault kind and rule (then counted, not repeated): a looping rule must not flood.
  process.stderr.write(`kestrel: warning: ${text}\n`);
}

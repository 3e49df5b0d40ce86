// Response actions (#15): an Elastic Endpoint behaviour rule's `[[actions]]`, carried out when its
// alert leaves the engine. Only `kill_process` exists on Linux: the process named by `field` in the
// event of step `state` is killed — exactly that process: its pid must still belong to the entity
// id (which hashes boot id, pid and start time), and the signal goes through a pidfd checked against
// the start time after it was opened, so a reused pid is never hit (sensor addon: signalProcess).
//
// Never acted on, whatever a rule says: pid 1, kernel threads, Kestrel itself and its ancestors
// (killing the shell or service manager that runs it), and executables on the allow-list. Each
// rule may act at most `maxPerMinute` times a minute; beyond that the action is refused and
// logged. Every alert of a rule with actions carries `kestrel.response` (one entry per action);
// `dry-run` (the default) checks everything and reports what it would have done; `replay` never
// acts and reports only the target, so its output stays a function of the capture.
import { readFileSync, readlinkSync } from 'node:fs';
import type { RuleAction } from '../../shared/rules/model.js';
import type { RuleSpec } from '../../shared/pipeline/ruleset.js';
import { logger } from '../../shared/log.js';
import { signalProcess, type SignalResult } from '../../shared/sensor/addon.js';
import { entityId } from '../sensor/entity-id.js';
import { compileWildcard } from '../../shared/eql/runtime/wildcard.js';

export type ResponseMode = 'off' | 'dry-run' | 'enforce' | 'replay';
export const RESPONSE_MODES: readonly ResponseMode[] = ['off', 'dry-run', 'enforce'];

export interface ResponseEntry {
  action: string;
  mode: ResponseMode;
  field: string;
  state: number;
  target?: { pid?: number; entity_id?: string; executable?: string };
  result: string;
  latency_us?: number;
}

export interface ResponderOptions {
  mode: ResponseMode;
  /** The host's boot id: entity ids hash it, so a pid's current process can be checked. */
  bootId: string;
  /** Executable paths (wildcards allowed) never acted on. */
  allow?: readonly string[];
  /** Actions per rule per minute (default 10). */
  maxPerMinute?: number;
  /** Where /proc is (tests). */
  proc?: string;
  /** Wall clock in µs (tests). */
  nowUs?: () => number;
  /** The signal to send (default SIGKILL); tests use SIGKILL too, on their own processes. */
  signal?: number;
}

const SIGKILL = 9;
const DEFAULT_MAX_PER_MINUTE = 10;

type Json = Record<string, unknown>;

function get(obj: unknown, path: string): unknown {
  let v: unknown = obj;
  for (const part of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Json)[part];
  }
  return v;
}

/** "process.entity_id" → "process.pid"; the pid and executable sit beside the entity id. */
const sibling = (field: string, name: string) => field.replace(/entity_id$/, name);

export class Responder {
  private actions = new Map<string, RuleAction[]>();
  private readonly allow: ((s: string) => boolean)[];
  private readonly maxPerMinute: number;
  private readonly recent = new Map<string, number[]>();
  private readonly proc: string;
  private readonly nowUs: () => number;
  /** Kestrel and every process above it: killing one of them would stop detection. */
  private readonly protectedPids: ReadonlySet<number>;

  constructor(rules: readonly RuleSpec[], private readonly o: ResponderOptions) {
    this.setRules(rules);
    this.allow = (o.allow ?? []).map((p) => compileWildcard(p, false));
    this.maxPerMinute = o.maxPerMinute ?? DEFAULT_MAX_PER_MINUTE;
    this.proc = o.proc ?? '/proc';
    this.nowUs = o.nowUs ?? (() => Math.round((performance.timeOrigin + performance.now()) * 1000));
    this.protectedPids = this.ancestorsOf(process.pid);
  }

  /** The rules' actions from now on (after a reload). */
  setRules(rules: readonly RuleSpec[]): void {
    this.actions = new Map(rules.filter((r) => r.actions?.length).map((r) => [r.id, r.actions!]));
  }

  /** Whether any loaded rule has an action (else alerts pass through untouched). */
  get active(): boolean {
    return this.actions.size > 0;
  }

  /** The alert line with `kestrel.response` added when its rule has actions; carries them out. */
  handle(alertLine: string): string {
    if (this.actions.size === 0) return alertLine;
    const alert = JSON.parse(alertLine) as Json;
    const ruleId = get(alert, 'rule.id');
    const actions = typeof ruleId === 'string' ? this.actions.get(ruleId) : undefined;
    if (!actions) return alertLine;
    const events = get(alert, 'kestrel.events') as unknown[];
    const last = events.findLast((e) => e !== null);
    const response = actions.map((a) => this.act(ruleId as string, a, events[a.state], last));
    // kestrel.response goes in as text, as the last member of kestrel (itself the alert's last
    // member): re-serialising the parsed alert would round 64-bit integers the engine wrote exactly.
    const body = alertLine.trimEnd();
    if (!body.endsWith('}}')) throw new Error('an alert line does not end with its kestrel object');
    return `${body.slice(0, -2)},"response":${JSON.stringify(response)}}}${alertLine.slice(body.length)}`;
  }

  private act(ruleId: string, a: RuleAction, event: unknown, trigger: unknown): ResponseEntry {
    const entry: ResponseEntry = { action: a.action, mode: this.o.mode, field: a.field, state: a.state, result: '' };
    const entity = get(event, a.field);
    const pid = get(event, sibling(a.field, 'pid'));
    const executable = get(event, sibling(a.field, 'executable'));
    entry.target = {
      ...(typeof pid === 'number' && { pid }),
      ...(typeof entity === 'string' && { entity_id: entity }),
      ...(typeof executable === 'string' && { executable }),
    };
    entry.result = this.decide(ruleId, a, entity, pid, executable);
    if (this.o.mode !== 'replay') {
      const at = Date.parse(String(get(trigger, '@timestamp')));
      if (Number.isFinite(at)) entry.latency_us = Math.max(0, this.nowUs() - at * 1000);
      logger().warn({ rule: ruleId, action: a.action, mode: this.o.mode, target: entry.target, result: entry.result, latency_us: entry.latency_us }, 'response action');
    }
    return entry;
  }

  private decide(ruleId: string, a: RuleAction, entity: unknown, pid: unknown, executable: unknown): string {
    if (this.o.mode === 'replay') return 'not acted (replay)';
    if (this.o.mode === 'off') return 'disabled';
    if (a.action !== 'kill_process') return `refused: unsupported action ${a.action}`;
    if (typeof entity !== 'string' || typeof pid !== 'number') return `refused: no ${a.field} / pid in the event of step ${a.state}`;
    if (pid <= 1) return 'refused: pid 1';
    if (this.protectedPids.has(pid)) return 'refused: Kestrel or one of its ancestors';
    if (typeof executable === 'string' && this.allow.some((m) => m(executable))) return 'refused: allow-listed executable';
    const ticks = this.startTicks(pid);
    if (ticks === undefined) return 'gone';
    // The entity id hashes (boot id, pid, start ticks): equal only for the very process the event saw.
    if (entityId(this.o.bootId, pid, ticks) !== entity) return 'gone (pid now belongs to another process)';
    if (this.readExe(pid) === undefined) return 'refused: kernel thread';
    if (!this.withinRate(ruleId)) return `refused: rate limit (${this.maxPerMinute} per minute for this rule)`;
    if (this.o.mode === 'dry-run') return 'would kill';
    const r: SignalResult = signalProcess(pid, ticks, this.o.signal ?? SIGKILL);
    switch (r) {
      case 'signalled': return 'killed';
      case 'gone': return 'gone';
      case 'reused': return 'gone (pid now belongs to another process)';
      case 'kernel-thread': return 'refused: kernel thread';
      default: return `failed: ${r.replace(/^error: /, '')}`;
    }
  }

  /** Rate limit per rule: at most maxPerMinute actions in any 60 s (live clock; never in replay). */
  private withinRate(ruleId: string): boolean {
    const now = this.nowUs();
    const times = (this.recent.get(ruleId) ?? []).filter((t) => now - t < 60_000_000);
    if (times.length >= this.maxPerMinute) {
      this.recent.set(ruleId, times);
      return false;
    }
    times.push(now);
    this.recent.set(ruleId, times);
    return true;
  }

  private startTicks(pid: number): number | undefined {
    try {
      const stat = readFileSync(`${this.proc}/${pid}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
    } catch {
      return undefined;
    }
  }

  /** A kernel thread has no executable. */
  private readExe(pid: number): string | undefined {
    try {
      return readlinkSync(`${this.proc}/${pid}/exe`);
    } catch {
      return undefined;
    }
  }

  private ancestorsOf(pid: number): Set<number> {
    const out = new Set<number>();
    for (let p = pid, depth = 0; p > 1 && depth < 256 && !out.has(p); depth++) {
      out.add(p);
      try {
        const stat = readFileSync(`${this.proc}/${p}/stat`, 'utf8');
        p = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      } catch {
        break;
      }
    }
    return out;
  }
}

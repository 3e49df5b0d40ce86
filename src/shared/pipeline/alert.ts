// The alert a rule raises, as one NDJSON line in ECS (docs/alerts.md, docs/alert.schema.json). Its
// content depends only on the input and the rules: "@timestamp" is the event time of the event
// that completed the match, never the wall clock, and the alert id is a hash of the rule and the
// matched events, so a replay reproduces a live run's alerts byte for byte — ids included, which
// is what lets at-least-once sinks' consumers de-duplicate.
import { createHash } from 'node:crypto';
import type { EngineResult } from '../engine/event.js';
import { decodeRecord } from '../record/decode.js';
import type { RecordEvent } from '../eql/record-access.js';
import { toJsonText } from '../output/json-text.js';
import type { RuleSpec } from './ruleset.js';
import type { Severity, ThreatEntry } from '../rules/model.js';
import { alertThreat } from './alert-threat.js';

/** The ECS version the alert shape follows (ecs.version in every alert). */
export const ALERT_ECS_VERSION = '8.11.0';

/**
 * ECS event.severity is a number. Kestrel uses Elastic's scale (the default risk score of each
 * severity), so the keyword and the number always agree and sinks can filter on either.
 */
export const SEVERITY_NUMBER: Record<Severity, number> = { low: 21, medium: 47, high: 73, critical: 99 };

/**
 * Ordering seq of a result: the highest seq among its real events (see docs/runtime.md), i.e.
 * the event whose arrival completed it. For a sequence that is its last event; a sample's events
 * are in step order, not arrival order, and a live sample completed by an early step's event must
 * not be ordered before that event (the merger has released everything up to it by then).
 */
export function orderingSeq(result: EngineResult): number {
  let seq = -1;
  for (const ev of result.events) if (ev && ev.seq > seq) seq = ev.seq;
  if (seq >= 0) return seq;
  throw new Error('internal: a result without events');
}

/**
 * kestrel.alert.id: 128 bits of SHA-256 over the rule id and each matched event's seq and time
 * ("-" for a missing-event slot). Seqs alone repeat across live runs (each run counts from 1);
 * with the event times they do not, while a replay of the same capture gives the same ids.
 */
export function alertId(ruleId: string, result: EngineResult): string {
  const h = createHash('sha256').update(ruleId);
  for (const e of result.events) h.update(e ? `\n${e.seq}:${e.time ?? ''}` : '\n-');
  return h.digest('hex').slice(0, 32);
}

/** `messages`: what a Wasm user rule said with kestrel.alert (kestrel.messages in the alert). */
export function alertJson(rule: RuleSpec, result: EngineResult, messages?: readonly string[]): string {
  let last: { time: number | null } | null = null;
  for (let i = result.events.length - 1; i >= 0 && !last; i--) last = result.events[i];
  const time = last?.time;
  const events = result.events.map((e) => (e ? decodeRecord((e.view as RecordEvent).rv) : null));
  const id = alertId(rule.id, result);
  const severity = rule.severity as Severity;
  const threat = alertThreat(rule.threat as ThreatEntry[]);
  const alert: Record<string, unknown> = {
    '@timestamp': typeof time === 'number' ? new Date(Math.floor(time)).toISOString() : null,
    // event.id first: sinks read the id and severity off the front of the line (alertHeader).
    event: { id, kind: 'alert', severity: SEVERITY_NUMBER[severity] ?? SEVERITY_NUMBER.medium, risk_score: rule.riskScore, module: 'kestrel', dataset: 'kestrel.alert' },
    ecs: { version: ALERT_ECS_VERSION },
    rule: {
      id: rule.id,
      name: rule.name,
      version: rule.versionText ?? String(rule.version),
      description: rule.description,
    },
  };
  if (rule.tags.length) alert.tags = rule.tags;
  if (threat) alert.threat = threat;
  const host = hostOf(events);
  if (host) alert.host = host;
  alert.kestrel = {
    alert: { id, severity },
    seq: orderingSeq(result),
    ...(messages && messages.length ? { messages } : {}),
    join_keys: result.joinKeys,
    events,
  };
  return toJsonText(alert);
}

/** The host of the completing event (live records all carry host.*; a capture keeps them). */
function hostOf(events: readonly (Record<string, unknown> | null)[]): Record<string, unknown> | undefined {
  for (let i = events.length - 1; i >= 0; i--) {
    const host = events[i]?.host;
    if (host && typeof host === 'object') return host as Record<string, unknown>;
  }
  return undefined;
}

export interface AlertHeader {
  id: string;
  severity: Severity;
  ruleId: string;
}

const HEADER = /^\{"@timestamp":(?:null|"[^"]*"),"event":\{"id":"([0-9a-f]{32})","kind":"alert","severity":(\d+),/;
const SEVERITY_OF_NUMBER = new Map<number, Severity>(Object.entries(SEVERITY_NUMBER).map(([k, v]) => [v, k as Severity]));

/**
 * Id, severity and rule id of an alert line without parsing the whole line (alerts carry every
 * matched event; storms must not cost a full JSON.parse each on the main thread).
 */
export function alertHeader(line: string): AlertHeader {
  const m = HEADER.exec(line);
  const at = line.indexOf('"rule":{"id":');
  if (!m || at < 0) throw new Error('internal: not a Kestrel alert line');
  const start = at + '"rule":{"id":'.length;
  const end = line.indexOf('","name":', start);
  return { id: m[1]!, severity: SEVERITY_OF_NUMBER.get(Number(m[2])) ?? 'medium', ruleId: JSON.parse(line.slice(start, end + 1)) as string };
}

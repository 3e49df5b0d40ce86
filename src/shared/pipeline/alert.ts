// The alert a rule raises, as one NDJSON line (docs/alerts.md). Its content depends only on the
// input and the rules: "@timestamp" is the event time of the event that completed the match, never
// the wall clock, so a replay reproduces a live run's alerts byte for byte.
import type { EngineResult } from '../engine/event.js';
import { decodeRecord } from '../record/decode.js';
import type { RecordEvent } from '../eql/record-access.js';
import { toJsonText } from '../output/json-text.js';
import type { RuleSpec } from './ruleset.js';

/** Ordering seq of a result: the seq of its last real event (see docs/runtime.md). */
export function orderingSeq(result: EngineResult): number {
  for (let i = result.events.length - 1; i >= 0; i--) {
    const ev = result.events[i];
    if (ev) return ev.seq;
  }
  throw new Error('internal: a result without events');
}

/** `messages`: what a Wasm user rule said with kestrel.alert (kestrel.messages in the alert). */
export function alertJson(rule: RuleSpec, result: EngineResult, messages?: readonly string[]): string {
  let last: { time: number | null } | null = null;
  for (let i = result.events.length - 1; i >= 0 && !last; i--) last = result.events[i];
  const time = last?.time;
  return toJsonText({
    '@timestamp': typeof time === 'number' ? new Date(Math.floor(time)).toISOString() : null,
    event: { kind: 'alert' },
    rule: {
      id: rule.id,
      name: rule.name,
      version: rule.version,
      severity: rule.severity,
      risk_score: rule.riskScore,
      description: rule.description,
      tags: rule.tags,
      threat: rule.threat,
    },
    kestrel: messages && messages.length ? { seq: orderingSeq(result), messages } : { seq: orderingSeq(result) },
    join_keys: result.joinKeys,
    events: result.events.map((e) => (e ? decodeRecord((e.view as RecordEvent).rv) : null)),
  });
}

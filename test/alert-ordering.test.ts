// The ordering seq of an alert (docs/runtime.md "Deterministic merge") is the arrival of the event
// that completed it: a live sample whose last step's event came first must not be ordered before
// the event that completed it, or main's merger would already have released that seq.
import { describe, expect, it } from 'vitest';
import { orderingSeq } from '../src/shared/pipeline/alert.js';
import type { EngineEvent } from '../src/shared/engine/event.js';

const ev = (seq: number): EngineEvent => ({ view: null, time: seq, seq });

describe('orderingSeq', () => {
  it('is the last event of a sequence, skipping missing-event slots', () => {
    expect(orderingSeq({ events: [ev(3), ev(9)], joinKeys: [] })).toBe(9);
    expect(orderingSeq({ events: [ev(3), ev(9), null], joinKeys: [] })).toBe(9);
  });

  it('is the highest seq of a sample, whose events are in step order', () => {
    expect(orderingSeq({ events: [ev(90), ev(81)], joinKeys: [] })).toBe(90);
  });

  it('refuses a result without events', () => {
    expect(() => orderingSeq({ events: [null], joinKeys: [] })).toThrow(/without events/);
  });
});

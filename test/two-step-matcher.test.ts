// TwoStepMatcher (engine/two-step-matcher.ts) must be indistinguishable from SequenceMatcher on
// the queries it takes: the same results in the same order, the same counters after every event,
// the same evictions under every cap, and the same holds on the events it keeps.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { CompiledQuery, CompiledStep, EventView, Value } from '../src/shared/engine/compiled.js';
import { emptyStats, type EngineEvent, type EngineResult, type EngineStats } from '../src/shared/engine/event.js';
import { ENCODED_ID, encodeKeyValue, isOwnId } from '../src/shared/engine/join-key.js';
import { PartialBudget } from '../src/shared/engine/partial-budget.js';
import { SequenceMatcher, type SequenceMatcherOptions } from '../src/shared/engine/sequence-matcher.js';
import { TwoStepMatcher, isTwoStepSequence } from '../src/shared/engine/two-step-matcher.js';
import { toyQuery, toyStep, type Toy } from './helpers/toy-query.js';
import { createEngine } from '../src/shared/engine/engine.js';

/** The compiled step's keyId for a toy key (compile.ts singleKeyId's rules). */
function withKeyId(step: CompiledStep): CompiledStep {
  const nullable = step.keyNullable[0] ?? false;
  const keyId = (ev: EventView): string | null | undefined => {
    let v = (ev as Toy).k as Value | Value[] | undefined;
    if (v === undefined) v = null;
    if (Array.isArray(v)) {
      const present = v.filter((x) => x !== null);
      if (present.length > 1) return undefined;
      v = present[0] ?? null;
    }
    if (v === null && !nullable) return null;
    return isOwnId(v) ? v : ENCODED_ID + encodeKeyValue(v);
  };
  return { ...step, keyId };
}

interface Shape {
  maxspan: number | undefined;
  until: boolean;
  nullable: boolean;
  keyIds: boolean;
  cross: boolean;
}

function query(shape: Shape): CompiledQuery {
  const q = toyQuery({ steps: [{ c: 'A', nullable: shape.nullable }, { c: 'B', nullable: shape.nullable }], until: shape.until ? { c: 'U' } : undefined, maxspan: shape.maxspan });
  let steps = q.steps;
  if (shape.keyIds) steps = steps.map(withKeyId);
  // A condition on the earlier event (a named step's fields): ids of the same parity.
  if (shape.cross) steps = [steps[0]!, { ...steps[1]!, cross: (ev, events) => (ev as Toy).id % 2 === (events[0]!.view as Toy).id % 2 }];
  return { ...q, steps, until: q.until && (shape.keyIds ? withKeyId(q.until) : q.until) };
}

/** Events that count their holders (EngineEvent.keep / release), as the state stage's do. */
function heldEvents(toys: (Toy & { noTime?: boolean })[]): { events: EngineEvent[]; holders: number[] } {
  const holders = toys.map(() => 0);
  const events = toys.map((view, seq) => {
    const ev: EngineEvent = {
      view,
      time: view.noTime ? null : view.t,
      seq,
      keep: () => {
        holders[seq]!++;
        return kept;
      },
    };
    const kept: EngineEvent = { view, time: ev.time, seq, release: () => void holders[seq]!-- };
    return ev;
  });
  return { events, holders };
}

type Matcher = Pick<SequenceMatcher, 'push' | 'end' | 'advanceTime' | 'heldSeq'>;

function run(make: (q: CompiledQuery, stats: EngineStats, emit: (r: EngineResult) => void, o: SequenceMatcherOptions) => Matcher, shape: Shape, caps: SequenceMatcherOptions & { total?: number }, toys: (Toy & { noTime?: boolean })[]) {
  const stats = emptyStats();
  const budget = caps.total === undefined ? undefined : new PartialBudget(caps.total);
  const results: string[] = [];
  const trace: string[] = [];
  const { events, holders } = heldEvents(toys);
  const m = make(query(shape), stats, (r) => results.push(`${JSON.stringify(r.joinKeys, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))}:${r.events.map((e) => (e!.view as Toy).id).join(',')}`), {
    maxPartials: caps.maxPartials,
    maxPartialsPerKey: caps.maxPartialsPerKey,
    budget,
  });
  events.forEach((ev, i) => {
    if (i % 7 === 6) m.advanceTime(ev.time ?? 0);
    m.push(ev);
    trace.push(JSON.stringify({ ...stats, budget: budget?.live, held: m.heldSeq() }));
  });
  m.end();
  return { results, trace, stats: { ...stats }, holders };
}

const shapeArb = fc.record({
  maxspan: fc.constantFrom(undefined, 3, 10),
  until: fc.boolean(),
  nullable: fc.boolean(),
  keyIds: fc.boolean(),
  cross: fc.boolean(),
});
const capsArb = fc.record({
  maxPartials: fc.constantFrom(undefined, undefined, 2, 5),
  maxPartialsPerKey: fc.constantFrom(undefined, undefined, 0, 1, 3),
  total: fc.constantFrom(undefined, undefined, 1, 4),
});
// Mostly two keys, so that partials meet their second step; the rest are the key forms that take
// other paths (null, missing, multi-valued, numbers, a string that is not its own id).
const keyArb = fc.oneof(
  { arbitrary: fc.constantFrom<Value | Value[] | undefined>('a', 'b'), weight: 6 },
  { arbitrary: fc.constantFrom<Value | Value[] | undefined>('c', null, undefined, ['a', 'b'], ['c', null], [], 5, 5n, '\uFFFFx'), weight: 2 },
);
const streamArb = fc
  .array(fc.record({ c: fc.constantFrom('A', 'A', 'B', 'B', 'U', 'X'), k: keyArb, dt: fc.constantFrom(0, 1, 1, 2, 5), noTime: fc.boolean() }), { minLength: 20, maxLength: 80 })
  .map((xs) => {
    let t = 0;
    return xs.map((x, id) => {
      t += x.dt;
      return { c: x.c, k: x.k as Toy['k'], t, id, noTime: x.noTime && id % 9 === 4 };
    });
  });

describe('TwoStepMatcher', () => {
  it('takes two positive steps only', () => {
    expect(isTwoStepSequence(toyQuery({ steps: [{ c: 'A' }, { c: 'B' }] }))).toBe(true);
    expect(isTwoStepSequence(toyQuery({ steps: [{ c: 'A' }, { c: 'B' }, { c: 'C' }] }))).toBe(false);
    expect(isTwoStepSequence(toyQuery({ steps: [{ c: 'A' }, { c: 'B', missing: true }] }))).toBe(false);
    expect(isTwoStepSequence(toyQuery({ steps: [{ c: 'A', runs: 2 }, { c: 'B' }] }))).toBe(false);
    expect(isTwoStepSequence(toyQuery({ steps: [{ c: 'A' }, { c: 'B' }], kind: 'sample' }))).toBe(false);
    expect(isTwoStepSequence({ ...toyQuery({ steps: [{ c: 'A' }] }), steps: [toyStep({ c: 'A' }, true)] })).toBe(false);
  });

  it('gives SequenceMatcher\'s results, counters, evictions and holds on generated streams', () => {
    let matched = 0;
    let evicted = 0;
    fc.assert(
      fc.property(shapeArb, capsArb, streamArb, (shape, caps, toys) => {
        const lean = run((q, s, e, o) => new TwoStepMatcher(q, s, e, o), shape, caps, toys);
        const full = run((q, s, e, o) => new SequenceMatcher(q, s, e, o), shape, caps, toys);
        expect(lean.results).toEqual(full.results);
        expect(lean.trace).toEqual(full.trace);
        expect(lean.holders).toEqual(full.holders);
        matched += lean.results.length;
        evicted += lean.stats.evictions;
      }),
      { numRuns: 1500 },
    );
    // The generated streams reach completions and every kind of cap.
    expect(matched).toBeGreaterThan(1000);
    expect(evicted).toBeGreaterThan(1000);
  });

  it('runs in the engine for a two-step sequence: replaced, expired and matched partials', () => {
    const results: EngineResult[] = [];
    const engine = createEngine(toyQuery({ steps: [{ c: 'A' }, { c: 'B' }], maxspan: 5 }), { onResult: (r) => results.push(r) });
    const { events } = heldEvents([
      { c: 'A', k: 'x', t: 0, id: 0 },
      { c: 'A', k: 'x', t: 1, id: 1 },
      { c: 'B', k: 'x', t: 3, id: 2 },
      { c: 'A', k: 'y', t: 4, id: 3 },
      { c: 'B', k: 'y', t: 10, id: 4 },
    ]);
    for (const ev of events) engine.push(ev);
    engine.end();
    expect(results.map((r) => r.events.map((e) => (e!.view as Toy).id))).toEqual([[1, 2]]);
    expect(engine.stats).toMatchObject({ partialsCreated: 3, partialsReplaced: 1, partialsExpired: 1, partialsLive: 0, keysLive: 0 });
  });
});

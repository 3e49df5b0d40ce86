// Sequence, missing-event, sample and limit semantics of the streaming engine on toy events,
// each case checked against the Elasticsearch rule it pins down.
import { describe, expect, it } from 'vitest';
import { createEngine } from '../src/shared/engine/engine.js';
import { expandJoinKeys } from '../src/shared/engine/join-key.js';
import { runToy, toyQuery, toys, type Toy } from './helpers/toy-query.js';

const AB = toyQuery({ steps: [{ c: 'A' }, { c: 'B' }] });

describe('sequences', () => {
  it('a newer partial at a step replaces the older one', () => {
    expect(runToy(AB, toys('A1 A2 B3')).ids).toEqual([[2, 3]]);
  });

  it('one event never fills two steps of one sequence, but may start another', () => {
    const q = toyQuery({ steps: [{ c: 'A' }, { c: 'A' }, { c: 'A' }] });
    expect(runToy(q, toys('A1 A2 A3 A4')).ids).toEqual([[1, 2, 3], [2, 3, 4]]);
  });

  it('maxspan is inclusive and measured from the first event', () => {
    const q = toyQuery({ steps: [{ c: 'A' }, { c: 'B' }, { c: 'C' }], maxspan: 10 });
    expect(runToy(q, toys('A0 B5 C10')).ids).toEqual([[1, 2, 3]]);
    expect(runToy(q, toys('A0 B5 C11')).ids).toEqual([]);
  });

  it('a too-late match consumes the partial (ES rejects it after taking it)', () => {
    const q = toyQuery({ steps: [{ c: 'A' }, { c: 'B' }, { c: 'C' }], maxspan: 10 });
    // B11 takes A0 and rejects it; B12 then has nothing to take.
    expect(runToy(q, toys('A0 B11 A3 C12')).ids).toEqual([]);
  });

  it('until drops only the partials of its own key', () => {
    const q = toyQuery({ steps: [{ c: 'A' }, { c: 'B' }], until: { c: 'U' } });
    expect(runToy(q, toys('p:A1 q:A2 p:U3 p:B4 q:B5')).ids).toEqual([[2, 5]]);
  });

  it('an event that is both a step and until completes, then kills the partials it advanced', () => {
    const q = { ...toyQuery({ steps: [{ c: 'A' }, { c: 'B' }, { c: 'C' }] }) };
    q.until = { ...q.steps[1] }; // every B is also an until marker
    expect(runToy(q, toys('A1 B2 C3')).ids).toEqual([]);
  });

  it('runs=N repeats a step', () => {
    const q = toyQuery({ steps: [{ c: 'A', runs: 2 }, { c: 'B' }] });
    expect(runToy(q, toys('A1 A2 A3 B4')).ids).toEqual([[2, 3, 4]]);
  });

  it('join keys are type-sensitive: "1" and 1 do not join', () => {
    const ev: Toy[] = [
      { c: 'A', k: 1, t: 1, id: 1 },
      { c: 'B', k: '1', t: 2, id: 2 },
      { c: 'B', k: 1n as unknown as number, t: 3, id: 3 },
    ];
    expect(runToy(AB, ev).ids).toEqual([[1, 3]]);
  });

  it('null keys drop the event unless the key is optional', () => {
    const ev: Toy[] = [
      { c: 'A', t: 1, id: 1 },
      { c: 'B', t: 2, id: 2 },
    ];
    expect(runToy(AB, ev).ids).toEqual([]);
    const optional = toyQuery({ steps: [{ c: 'A', nullable: true }, { c: 'B', nullable: true }] });
    const r = runToy(optional, ev);
    expect(r.ids).toEqual([[1, 2]]);
    expect(r.keys).toEqual([[null]]);
  });

  it('multi-valued keys join on every value (cross product)', () => {
    expect(expandJoinKeys([[1, 2], ['a', 'b']], [false, false]).map((k) => k.values)).toEqual([
      [1, 'a'],
      [1, 'b'],
      [2, 'a'],
      [2, 'b'],
    ]);
    const ev: Toy[] = [
      { c: 'A', k: ['p', 'q'], t: 1, id: 1 },
      { c: 'B', k: 'q', t: 2, id: 2 },
    ];
    const r = runToy(AB, ev);
    expect(r.ids).toEqual([[1, 2]]);
    expect(r.keys).toEqual([['q']]);
  });

  it('expires partials whose maxspan window has closed', () => {
    const q = toyQuery({ steps: [{ c: 'A' }, { c: 'B' }], maxspan: 5 });
    const results: unknown[] = [];
    const engine = createEngine(q, { onResult: (r) => results.push(r) });
    toys('a:A1 b:A2 c:A3 d:A20').forEach((view, seq) => engine.push({ view, time: view.t, seq }));
    expect(engine.stats.partialsLive).toBe(1);
    expect(engine.stats.partialsExpired).toBe(3);
    expect(engine.stats.keysLive).toBe(1);
  });

  it('evicts the oldest partials beyond a cap', () => {
    const q = toyQuery({ steps: [{ c: 'A' }, { c: 'B' }] });
    const r = runToy(q, toys('a:A1 b:A2 c:A3 a:B4 c:B5'), { maxPartials: 2 });
    expect(r.ids).toEqual([[3, 5]]);
  });
});

describe('missing events', () => {
  it('middle: rejected when a missing event lies strictly between the neighbours', () => {
    const q = toyQuery({ steps: [{ c: 'A' }, { c: 'M', missing: true }, { c: 'B' }] });
    expect(runToy(q, toys('A1 M2 B3')).ids).toEqual([]);
    expect(runToy(q, toys('A1 B3')).ids).toEqual([[1, -1, 2]]);
    // Same time as a neighbour is not "between".
    expect(runToy(q, toys('A1 M1 B3')).ids).toEqual([[1, -1, 3]]);
  });

  it('leading: rejected when the latest earlier missing event is within maxspan of the last match', () => {
    const q = toyQuery({ steps: [{ c: 'M', missing: true }, { c: 'A' }, { c: 'B' }], maxspan: 10 });
    expect(runToy(q, toys('M1 A5 B8')).ids).toEqual([]);
    // Measured from the leading event to the last match: 12 - 1 > 10, so accepted.
    expect(runToy(q, toys('M1 A5 B12')).ids).toEqual([[-1, 2, 3]]);
    expect(runToy(q, toys('M1 A12 B13')).ids).toEqual([[-1, 2, 3]]);
  });

  it('trailing: waits for the window to close, or the stream to end', () => {
    const q = toyQuery({ steps: [{ c: 'A' }, { c: 'B' }, { c: 'M', missing: true }], maxspan: 10 });
    expect(runToy(q, toys('A1 B2 M5')).ids).toEqual([]);
    expect(runToy(q, toys('A1 B2 M12')).ids).toEqual([[1, 2, -1]]);
    expect(runToy(q, toys('A1 B2')).ids).toEqual([[1, 2, -1]]);
    const emitted: number[] = [];
    const engine = createEngine(q, { onResult: (r) => emitted.push(r.events.length) });
    toys('A1 B2 X20').forEach((view, seq) => engine.push({ view, time: view.t, seq }));
    expect(emitted).toEqual([3]); // decided by time X20, before end()
  });

  it('keeps ES result order (by last matched event) when trailing verdicts arrive late', () => {
    const q = toyQuery({ steps: [{ c: 'A' }, { c: 'B' }, { c: 'M', missing: true }], maxspan: 10 });
    // p completes at 3 but is only decided at time 14; q completes at 5 and is decided first.
    const r = runToy(q, toys('p:A1 p:B3 q:A4 q:B5 q:M20 p:X30'));
    expect(r.ids).toEqual([[1, 2, -1], [3, 4, -1]]);
  });
});

describe('samples and limits', () => {
  it('samples come out in key order with distinct events per step', () => {
    const q = toyQuery({ kind: 'sample', steps: [{ c: 'A' }, { c: 'A' }] });
    const r = runToy(q, toys('z:A1 b:A2 b:A3 z:A4 c:A5'));
    expect(r.keys).toEqual([['b'], ['z']]);
    expect(r.ids).toEqual([[2, 3], [1, 4]]);
    expect(runToy(q, toys('b:A1 b:A2 b:A3'), { maxSamplesPerKey: 5 }).ids).toEqual([[1, 2], [1, 3], [2, 1], [2, 3], [3, 1]]);
  });

  it('head, tail and size', () => {
    const q = (pipes: { name: 'head' | 'tail'; count: number }[]) => toyQuery({ kind: 'event', steps: [{ c: 'A' }], keyed: false, pipes });
    const ev = toys('A1 A2 A3 A4 A5');
    expect(runToy(q([{ name: 'head', count: 2 }]), ev).ids).toEqual([[1], [2]]);
    expect(runToy(q([{ name: 'tail', count: 2 }]), ev).ids).toEqual([[4], [5]]);
    expect(runToy(q([{ name: 'head', count: 4 }, { name: 'tail', count: 2 }]), ev).ids).toEqual([[3], [4]]);
    expect(runToy(q([]), ev, { size: 3 }).ids).toEqual([[1], [2], [3]]);
    expect(runToy(q([{ name: 'tail', count: 4 }]), ev, { size: 1 }).ids).toEqual([[5]]);
    expect(runToy(q([]), ev, { size: 0 }).ids).toEqual([]);
  });
});

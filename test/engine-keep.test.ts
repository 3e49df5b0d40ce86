// Engines are offered events read in place from a buffer that is reused once push returns (the
// state stage's transport scratch). An engine must call EngineEvent.keep before it stores an
// event, and only then: the copy is the hot path's main cost, and most offered events are dropped.
import { describe, expect, it } from 'vitest';
import { createEngine } from '../src/shared/engine/engine.js';
import type { EngineEvent, EngineResult } from '../src/shared/engine/event.js';
import { toyQuery, toys, type Toy } from './helpers/toy-query.js';
import type { CompiledQuery } from '../src/shared/engine/compiled.js';

/**
 * Pushes `events` through one reused scratch object, as the state stage does, and overwrites it
 * after every push so that an engine holding the scratch instead of a kept copy reads garbage.
 */
function runInPlace(q: CompiledQuery, events: Toy[], live = false): { ids: number[][]; kept: number[] } {
  const results: EngineResult[] = [];
  const engine = createEngine(q, { live, onResult: (r) => results.push(r) });
  const scratch: Toy = { c: '', t: 0, id: 0 };
  const kept: number[] = [];
  events.forEach((e, seq) => {
    Object.assign(scratch, e);
    let copy: EngineEvent | null = null;
    const ev: EngineEvent = {
      view: scratch,
      time: e.t,
      seq,
      keep: () => {
        if (copy === null) {
          kept.push(e.id);
          copy = { view: { ...scratch }, time: e.t, seq };
        }
        return copy;
      },
    };
    engine.push(ev);
    Object.assign(scratch, { c: 'overwritten', k: 'overwritten', t: -1, id: -1 });
  });
  engine.end();
  return { ids: results.map((r) => r.events.map((x) => (x ? (x.view as Toy).id : -1))), kept };
}

describe('engines copy an in-place event only when they store it', () => {
  it('sequence: partial events survive the buffer being reused; events no step takes are not copied', () => {
    const q = toyQuery({ steps: [{ c: 'A' }, { c: 'B' }] });
    const r = runInPlace(q, toys('a:A1 x:C2 b:C3 a:B4 x:D5'));
    expect(r.ids).toEqual([[1, 4]]);
    expect(r.kept).toEqual([1, 4]);
  });

  it('sequence with a missing step: events checked against the missing step are not copied', () => {
    const q = toyQuery({ steps: [{ c: 'A' }, { c: 'M', missing: true }, { c: 'B' }] });
    const r = runInPlace(q, toys('a:A1 b:M2 a:B3'));
    expect(r.ids).toEqual([[1, -1, 3]]);
    expect(r.kept).toEqual([1, 3]);
  });

  it('event query with a tail pipe: held results keep their own copies', () => {
    const q = toyQuery({ steps: [{ c: 'A' }], keyed: false, kind: 'event', pipes: [{ name: 'tail', count: 2 }] });
    const r = runInPlace(q, toys('A1 C2 A3 A4'));
    expect(r.ids).toEqual([[3], [4]]);
    expect(r.kept).toEqual([1, 3, 4]);
  });

  it('sample (batch and live): collected events keep their own copies', () => {
    const q = toyQuery({ steps: [{ c: 'A' }, { c: 'B' }], kind: 'sample' });
    for (const live of [false, true]) {
      const r = runInPlace(q, toys('a:A1 a:C2 a:B3'), live);
      expect(r.ids, `live=${live}`).toEqual([[1, 3]]);
      expect(r.kept, `live=${live}`).toEqual([1, 3]);
    }
  });
});

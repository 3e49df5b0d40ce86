// Engines are offered events read in place from a buffer that is reused once push returns (the
// state stage's transport scratch). An engine must call EngineEvent.keep before it stores an
// event, and only then: the copy is the hot path's main cost, and most offered events are dropped.
import { describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../src/shared/engine/engine.js';
import type { EngineEvent, EngineResult } from '../src/shared/engine/event.js';
import { toyQuery, toys, type Toy } from './helpers/toy-query.js';
import type { CompiledQuery } from '../src/shared/engine/compiled.js';

/**
 * Pushes `events` through one reused scratch object, as the state stage does, and overwrites it
 * after every push so that an engine holding the scratch instead of a kept copy reads garbage.
 * The first keep() of an event makes its copy with `makeCopy` (given a snapshot of the scratch);
 * a copy with its own keep() counts holders, and the stage lets go of its own hold after the push.
 */
function pushInPlace(engine: Engine, events: Toy[], makeCopy: (view: Toy, e: Toy, seq: number) => EngineEvent): void {
  const scratch: Toy = { c: '', t: 0, id: 0 };
  events.forEach((e, seq) => {
    Object.assign(scratch, e);
    let copy: EngineEvent | null = null;
    engine.push({
      view: scratch,
      time: e.t,
      seq,
      keep: () => {
        copy ??= makeCopy({ ...scratch }, e, seq);
        return copy.keep?.() ?? copy;
      },
    });
    (copy as EngineEvent | null)?.release?.();
    Object.assign(scratch, { c: 'overwritten', k: 'overwritten', t: -1, id: -1 });
  });
  engine.end();
}

/** pushInPlace with plain copies that are never recycled. */
function runInPlace(q: CompiledQuery, events: Toy[], live = false): { ids: number[][]; kept: number[] } {
  const results: EngineResult[] = [];
  const kept: number[] = [];
  pushInPlace(createEngine(q, { live, onResult: (r) => results.push(r) }), events, (view, e, seq) => {
    kept.push(e.id);
    return { view, time: e.t, seq };
  });
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

/**
 * pushInPlace with holder counting, as the state stage does (state-stage.ts KeptEvent): each keep()
 * counts one holder, each release() drops one, and the copy is recycled, its contents destroyed,
 * when the last holder lets go. The stage holds the event itself until the push returns.
 */
function runRecycling(q: CompiledQuery, events: Toy[]): { ids: number[][]; recycled: number; negative: boolean } {
  const results: number[][] = [];
  let recycled = 0;
  let negative = false;
  // Results are read when emitted, as the state stage turns them into alert text at once.
  const engine = createEngine(q, { onResult: (r) => results.push(r.events.map((x) => (x ? (x.view as Toy).id : -1))) });
  pushInPlace(engine, events, (view, e, seq) => {
    let holders = 1; // the stage's own
    const kept: EngineEvent = {
      view, time: e.t, seq,
      keep: () => {
        holders++;
        return kept;
      },
      release: () => {
        if (--holders < 0) negative = true;
        if (holders === 0) {
          recycled++;
          Object.assign(view, { c: 'recycled', k: 'recycled', t: -2, id: -2 });
        }
      },
    };
    return kept;
  });
  return { ids: results, recycled, negative };
}

describe('kept events are let go only when no engine can read them', () => {
  const shapes: [string, CompiledQuery][] = [
    ['two steps', toyQuery({ steps: [{ c: 'A' }, { c: 'B' }] })],
    ['three steps, maxspan', toyQuery({ steps: [{ c: 'A' }, { c: 'B' }, { c: 'C' }], maxspan: 5 })],
    ['until', toyQuery({ steps: [{ c: 'A' }, { c: 'B' }], until: { c: 'D' } })],
    ['middle missing', toyQuery({ steps: [{ c: 'A' }, { c: 'D', missing: true }, { c: 'B' }] })],
    ['trailing missing, maxspan', toyQuery({ steps: [{ c: 'A' }, { c: 'B' }, { c: 'D', missing: true }], maxspan: 4 })],
    ['runs', toyQuery({ steps: [{ c: 'A', runs: 2 }, { c: 'B' }] })],
    ['tail pipe', toyQuery({ steps: [{ c: 'A' }, { c: 'B' }], pipes: [{ name: 'tail', count: 2 }] })],
  ];
  it('gives the results of never recycling, for random streams of every sequence shape', () => {
    let recycledTotal = 0;
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (let round = 0; round < 200; round++) {
      const spec = Array.from({ length: 30 }, (_, i) => `${'abc'[Math.floor(rnd() * 3)]}:${'ABCD'[Math.floor(rnd() * 4)]}${i + 1}`).join(' ');
      for (const [name, q] of shapes) {
        const plain = runInPlace(q, toys(spec));
        const recycling = runRecycling(q, toys(spec));
        expect(recycling.ids, `${name}: ${spec}`).toEqual(plain.ids);
        expect(recycling.negative, name).toBe(false);
        recycledTotal += recycling.recycled;
      }
    }
    // The mechanism is exercised: plenty of copies were recycled along the way.
    expect(recycledTotal).toBeGreaterThan(1000);
  });
});

// Property tests: the streaming engine against a reference model written the way Elasticsearch
// stores partials (a list per key and stage, matched by ordinal with trimBefore), input chunking
// independence, and bounded memory on an endless stream.
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createEngine } from '../src/shared/engine/engine.js';
import { readRecords } from '../src/shared/input/read-events.js';
import { runToy, toyQuery, type Toy } from './helpers/toy-query.js';

interface RefSeq {
  key: string;
  ids: number[];
  startT: number;
  last: number; // ordinal (index) of the last match
}

/** ES-style reference: per key and stage a list of sequences; a hit takes the newest earlier one and trims older ones. */
function reference(stages: string[], events: Toy[], maxspan: number | undefined, until: string | undefined): number[][] {
  const groups = new Map<string, RefSeq[][]>();
  const untils = new Map<string, number[]>();
  const done: number[][] = [];
  const groupsOf = (k: string) => {
    let g = groups.get(k);
    if (!g) groups.set(k, (g = stages.map(() => [])));
    return g;
  };
  events.forEach((ev, ord) => {
    const key = String(ev.k);
    for (let s = 0; s < stages.length; s++) {
      if (ev.c !== stages[s]) continue;
      if (s === 0) {
        const seq = { key, ids: [ev.id], startT: ev.t, last: ord };
        if (stages.length === 1) done.push(seq.ids);
        else groupsOf(key)[0].push(seq);
        continue;
      }
      const list = groupsOf(key)[s - 1];
      let at = -1;
      for (let i = 0; i < list.length && list[i].last < ord; i++) at = i;
      if (at < 0) continue;
      const seq = list[at];
      list.splice(0, at + 1);
      if (maxspan !== undefined && ev.t - seq.startT > maxspan) continue;
      const u = (untils.get(key) ?? []).filter((o) => o < ord).pop();
      if (u !== undefined && u >= seq.last) continue;
      const next = { ...seq, ids: [...seq.ids, ev.id], last: ord };
      if (s === stages.length - 1) done.push(next.ids);
      else groupsOf(key)[s].push(next);
    }
    if (until !== undefined && ev.c === until) {
      if (!untils.has(key)) untils.set(key, []);
      untils.get(key)!.push(ord);
    }
  });
  return done;
}

const stream = fc
  .array(fc.record({ c: fc.constantFrom('A', 'B', 'C', 'U'), k: fc.constantFrom('p', 'q', 'r'), dt: fc.integer({ min: 0, max: 4 }) }), { maxLength: 60 })
  .map((rows) => {
    let t = 0;
    return rows.map((r, i): Toy => ({ c: r.c, k: r.k, t: (t += r.dt), id: i + 1 }));
  });

describe('engine properties', () => {
  it('matches the ES list-per-stage reference model', () => {
    fc.assert(
      fc.property(
        stream,
        fc.array(fc.constantFrom('A', 'B', 'C'), { minLength: 1, maxLength: 4 }),
        fc.option(fc.integer({ min: 0, max: 12 }), { nil: undefined }),
        fc.boolean(),
        (events, stages, maxspan, withUntil) => {
          const q = toyQuery({ steps: stages.map((c) => ({ c })), maxspan, until: withUntil ? { c: 'U' } : undefined });
          // maxspan 0 means "none" to the engine, as in ES; the reference treats undefined the same way.
          const refSpan = maxspan === 0 ? undefined : maxspan;
          expect(runToy(q, events).ids).toEqual(reference(stages, events, refSpan, withUntil ? 'U' : undefined));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('reads the same records whatever the chunking of the input', async () => {
    const lines = [
      '{"@timestamp": 1, "process.pid": 9007199254740993, "process": {"name": "a"}}',
      '',
      '{"x": [1, 2.5, "s\\n"], "y.z.w": null}',
      '{"big": -123456789012345678901234567890}',
    ];
    const text = lines.join('\n') + '\n';
    const whole = await collect(Readable.from([text]));
    expect(whole[0]).toEqual({ '@timestamp': 1, process: { pid: 9007199254740993n, name: 'a' } });
    expect(whole[2].big).toBe(-123456789012345678901234567890n);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: text.length - 1 }), { maxLength: 8 }), async (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const chunks = [0, ...points].map((p, i) => text.slice(p, points[i] ?? text.length));
        expect(await collect(Readable.from(chunks.map((c) => Buffer.from(c))))).toEqual(whole);
      }),
      { numRuns: 100 },
    );
  });

  it('keeps memory bounded on an endless stream with maxspan', () => {
    const q = toyQuery({ steps: [{ c: 'A' }, { c: 'B' }, { c: 'C' }], maxspan: 50 });
    const engine = createEngine(q, { onResult: () => {} });
    let maxLive = 0;
    let maxKeys = 0;
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
    for (let i = 0; i < 200_000; i++) {
      // Fresh keys all the time: without expiry the key map would grow without limit.
      const view: Toy = { c: 'ABC'[rnd() % 3], k: `k${rnd() % 100_000}`, t: i, id: i };
      engine.push({ view, time: i, seq: i });
      maxLive = Math.max(maxLive, engine.stats.partialsLive);
      maxKeys = Math.max(maxKeys, engine.stats.keysLive);
    }
    // At most one partial per event in the last maxspan window per waiting step.
    expect(maxLive).toBeLessThanOrEqual(2 * 51);
    expect(maxKeys).toBeLessThanOrEqual(2 * 51);
    expect(engine.stats.partialsExpired).toBeGreaterThan(10_000);
  });
});

async function collect(input: Readable): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for await (const r of readRecords('-', input)) out.push(r.event);
  return out;
}

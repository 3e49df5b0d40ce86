// Memory caps on sequence partials (engine/partial-budget.ts): per key, per rule and per partition
// (a budget shared by a processor's engines). Streams open many partials that never complete; the
// caps must hold after every event, every eviction must be counted by kind, and keys that were not
// evicted must still match.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KESTREL_BIN, distModule } from './helpers/dist.js';
import { createEngine, type Engine } from '../src/shared/engine/engine.js';
import { PartialBudget } from '../src/shared/engine/partial-budget.js';
import type { EngineResult } from '../src/shared/engine/event.js';
import { runToy, toyQuery, toys, type Toy } from './helpers/toy-query.js';

const AB = toyQuery({ steps: [{ c: 'A' }, { c: 'B' }] });

/** Result ids and join keys as "key:id,id" strings. */
function described(results: EngineResult[]): string[] {
  return results.map((r) => `${String(r.joinKeys[0])}:${r.events.map((e) => (e ? (e.view as Toy).id : -1)).join(',')}`);
}

/**
 * 1000 keys open an A that never gets its B; every 100th event, key `keep<i>` opens A and closes
 * it with B right away (the newest partials, which a cap evicts last).
 */
function stream(prefix = ''): Toy[] {
  const out: Toy[] = [];
  for (let i = 0; i < 1000; i++) {
    out.push({ c: 'A', k: `${prefix}dead${i}`, t: out.length, id: out.length });
    if (i % 100 === 0) {
      out.push({ c: 'A', k: `${prefix}keep${i}`, t: out.length, id: out.length });
      out.push({ c: 'B', k: `${prefix}keep${i}`, t: out.length, id: out.length });
    }
  }
  return out;
}

const expectedKeep = (prefix = ''): string[] => {
  const ev = stream(prefix);
  return ev.filter((e) => e.c === 'B').map((b) => `${String(b.k)}:${b.id - 1},${b.id}`);
};

describe('memory caps', () => {
  it('per rule: keeps at most N partials, evicting the oldest, and counts every eviction', () => {
    const results: EngineResult[] = [];
    const engine = createEngine(AB, { maxPartials: 10, onResult: (r) => results.push(r) });
    let peak = 0;
    stream().forEach((view, seq) => {
      engine.push({ view, time: view.t, seq });
      peak = Math.max(peak, engine.stats.partialsLive);
    });
    engine.end();
    expect(peak).toBe(10);
    // 1000 dead partials, 10 still live at the end: 990 evicted, all counted as per-rule evictions.
    expect(engine.stats.evictionsPerRule).toBe(990);
    expect(engine.stats.evictions).toBe(990);
    expect(engine.stats.evictionsPerKey + engine.stats.evictionsTotal).toBe(0);
    expect(described(results)).toEqual(expectedKeep());
  });

  it('per key: evicts that key\'s oldest partial and leaves other keys alone', () => {
    const abc = toyQuery({ steps: [{ c: 'A' }, { c: 'B' }, { c: 'C' }] });
    // Key x holds two partials (A1·B2 at step 2, A3 at step 1): cap 1 evicts A1·B2, so C4 finds none.
    const spec = 'x:A1 x:B2 x:A3 y:A4 y:B5 x:C6 y:C7';
    expect(runToy(abc, toys(spec)).ids).toEqual([[1, 2, 6], [4, 5, 7]]);
    const capped = runToy(abc, toys(spec), { maxPartialsPerKey: 1 });
    expect(capped.ids).toEqual([[4, 5, 7]]);

    const results: EngineResult[] = [];
    const engine = createEngine(abc, { maxPartialsPerKey: 1, onResult: (r) => results.push(r) });
    toys(spec).forEach((view, seq) => engine.push({ view, time: view.t, seq }));
    expect(engine.stats.evictionsPerKey).toBe(1);
    expect(engine.stats.evictions).toBe(1);
  });

  it('per partition: the engines sharing a budget stay within it together, oldest across rules first', () => {
    const budget = new PartialBudget(25);
    const results: EngineResult[][] = [[], []];
    const engines: Engine[] = [0, 1].map((i) => createEngine(AB, { budget, onResult: (r) => results[i].push(r) }));
    const streams = [stream('r0-'), stream('r1-')];
    let peak = 0;
    for (let seq = 0; seq < streams[0].length; seq++) {
      for (let i = 0; i < 2; i++) {
        const view = streams[i][seq];
        engines[i].push({ view, time: view.t, seq });
        const live = engines[0].stats.partialsLive + engines[1].stats.partialsLive;
        expect(budget.live).toBe(live);
        peak = Math.max(peak, live);
      }
    }
    expect(peak).toBe(25);
    const evicted = engines.map((e) => e.stats.evictionsTotal);
    // 2000 dead partials, 25 left: the rest evicted, and the two rules share the cost evenly
    // because the oldest partial across both is evicted each time.
    expect(evicted[0] + evicted[1]).toBe(2000 - 25);
    expect(Math.abs(evicted[0] - evicted[1])).toBeLessThanOrEqual(1);
    expect(engines.every((e) => e.stats.evictions === e.stats.evictionsTotal)).toBe(true);
    expect(described(results[0])).toEqual(expectedKeep('r0-'));
    expect(described(results[1])).toEqual(expectedKeep('r1-'));
  });

  it('per partition: a partial replaced by a newer one of its key leaves the budget', () => {
    // One key starts its sequence 50 times (each newer A replaces the waiting one), then completes:
    // one partial is live throughout, so a budget of 2 never evicts and the B matches the last A.
    const budget = new PartialBudget(2);
    const results: EngineResult[] = [];
    const engine = createEngine(AB, { budget, onResult: (r) => results.push(r) });
    const views: Toy[] = [];
    for (let i = 0; i < 50; i++) views.push({ c: 'A', k: 'one', t: i, id: i });
    views.push({ c: 'B', k: 'one', t: 50, id: 50 });
    views.forEach((view, seq) => {
      engine.push({ view, time: view.t, seq });
      expect(budget.live).toBe(engine.stats.partialsLive);
    });
    engine.end();
    expect(engine.stats.partialsReplaced).toBe(49);
    expect(engine.stats.evictions).toBe(0);
    expect(described(results)).toEqual(['one:49,50']);
  });
});

describe('kestrel replay --max-partials-*', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kestrel-caps-'));
  const capture = join(dir, 'small.bin');
  const kestrel = (...args: string[]) =>
    spawnSync(process.execPath, [KESTREL_BIN, ...args], { encoding: 'utf8', env: { ...process.env, KESTREL_LOG_LEVEL: 'warn' } });

  it('reports evictions on stderr, keeps running, and prints a subset of the uncapped alerts', () => {
    distModule('main/cli.js');
    expect(kestrel('synth', '--events', '20000', '--seed', '11', '--attack-rate', '0.01', '-o', capture).status).toBe(0);
    const full = kestrel('replay', capture, '--rules', 'rules', '--workers', '2');
    expect(full.status, full.stderr).toBe(0);
    expect(full.stderr).not.toContain('evicted');
    const capped = kestrel('replay', capture, '--rules', 'rules', '--workers', '2', '--max-partials-total', '1', '--max-partials-per-key', '1', '--max-partials', '1');
    expect(capped.status, capped.stderr).toBe(0);
    const m = /evicted sequence partials \(per key (\d+), per rule (\d+), per partition (\d+)\)/.exec(capped.stderr);
    expect(m, capped.stderr).not.toBeNull();
    expect(Number(m![1]) + Number(m![2]) + Number(m![3])).toBeGreaterThan(0);
    const fullLines = new Set(full.stdout.trim().split('\n'));
    const cappedLines = capped.stdout.trim().split('\n');
    expect(cappedLines.length).toBeLessThan(fullLines.size);
    for (const l of cappedLines) expect(fullLines.has(l)).toBe(true);
  });

  it('rejects a cap that is not a positive integer', () => {
    const r = kestrel('replay', capture, '--rules', 'rules', '--max-partials-total', '0');
    expect(r.status).toBe(64); // ExitCode.usage
    expect(r.stderr).toContain('--max-partials-total must be a positive integer');
  });
});

describe('completed partials are not kept', () => {
  it('a capped rule that never evicts nor expires does not keep the partials it completed (heap stays flat)', async () => {
    const { setFlagsFromString } = await import('node:v8');
    const { runInNewContext } = await import('node:vm');
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    let results = 0;
    const engine = createEngine(AB, { onResult: () => results++, maxPartials: 100_000, maxPartialsPerKey: 64 });
    const push = (from: number, n: number) => {
      for (let i = from; i < from + n; i++) {
        // Each key starts and completes at once; its events are big enough to see if kept.
        engine.push({ view: { c: 'A', k: `key-${i}`, t: 2 * i, id: 2 * i, pad: 'x'.repeat(200) + i }, time: 2 * i, seq: 2 * i });
        engine.push({ view: { c: 'B', k: `key-${i}`, t: 2 * i + 1, id: 2 * i + 1, pad: 'y'.repeat(200) + i }, time: 2 * i + 1, seq: 2 * i + 1 });
      }
    };
    push(0, 20_000);
    gc();
    const before = process.memoryUsage().heapUsed;
    push(20_000, 200_000);
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    expect(engine.stats.partialsLive).toBe(0);
    expect(results).toBe(220_000);
    // 200,000 kept partials with their ~450-byte events would be ~150 MB.
    expect(grown).toBeLessThan(20 * 1024 * 1024);
  });
});

describe('sample state is capped like sequence partials', () => {
  it('holds at most maxPartials keys, dropping the key seen longest ago, and counts it', () => {
    const sample = toyQuery({ kind: 'sample', steps: [{ c: 'A' }, { c: 'B' }] });
    const spec = 'k1:A1 k2:A2 k3:A3 k1:B4 k3:B5';
    const free = runToy(sample, toys(spec));
    expect(free.keys).toEqual([['k1'], ['k3']]);
    const results: EngineResult[] = [];
    const engine = createEngine(sample, { onResult: (r) => results.push(r), maxPartials: 2 });
    toys(spec).forEach((view, seq) => engine.push({ view, time: view.t, seq }));
    engine.end();
    // k1 was the oldest of three keys when k3 came: its A was dropped (so only k3 completes), and
    // k1's B then made room by dropping k2.
    expect(results.map((r) => r.joinKeys)).toEqual([['k3']]);
    expect(engine.stats.evictionsPerRule).toBe(2);
    expect(engine.stats.keysLive).toBeLessThanOrEqual(2);
  });
});

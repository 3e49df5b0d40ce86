// Hand-built compiled queries over toy events `{ c: category, k: key, t: time, id }`, so engine
// tests do not depend on the parser or checker.
import type { CompiledQuery, CompiledStep, Value } from '../../src/shared/engine/compiled.js';
import { createEngine, type EngineOptions } from '../../src/shared/engine/engine.js';
import type { EngineResult } from '../../src/shared/engine/event.js';

export interface Toy {
  c: string;
  k?: Value | Value[];
  t: number;
  id: number;
}

export interface ToyStep {
  c: string;
  missing?: boolean;
  runs?: number;
  /** Key positions read from the event: 'k' (the toy key) — one position, or none when keyless. */
  nullable?: boolean;
}

export function toyStep(s: ToyStep, keyed: boolean): CompiledStep {
  return {
    filter: { category: s.c, test: (ev) => (ev as Toy).c === s.c },
    keys: keyed
      ? (ev) => {
          const k = (ev as Toy).k;
          return [k === undefined || k === null ? [] : Array.isArray(k) ? k : [k]];
        }
      : () => [],
    keyNullable: keyed ? [s.nullable ?? false] : [],
    runs: s.runs ?? 1,
    missing: s.missing ?? false,
  };
}

export interface ToySequence {
  steps: ToyStep[];
  until?: ToyStep;
  maxspan?: number;
  keyed?: boolean;
  pipes?: CompiledQuery['pipes'];
  kind?: CompiledQuery['kind'];
}

export function toyQuery(q: ToySequence): CompiledQuery {
  const keyed = q.keyed ?? true;
  return {
    kind: q.kind ?? 'sequence',
    steps: q.steps.map((s) => toyStep(s, keyed)),
    until: q.until && toyStep(q.until, keyed),
    maxspanMs: q.maxspan,
    pipes: q.pipes ?? [],
    keyCount: keyed ? 1 : 0,
  };
}

/** Runs a query over toy events (in the given order) and returns result ids (-1 = missing slot). */
export function runToy(q: CompiledQuery, events: Toy[], opts: Partial<EngineOptions> = {}): { ids: number[][]; keys: Value[][]; results: EngineResult[] } {
  const results: EngineResult[] = [];
  const engine = createEngine(q, { ...opts, onResult: (r) => results.push(r) });
  events.forEach((view, seq) => engine.push({ view, time: view.t, seq }));
  engine.end();
  return {
    ids: results.map((r) => r.events.map((e) => (e ? (e.view as Toy).id : -1))),
    keys: results.map((r) => r.joinKeys),
    results,
  };
}

let nextId = 1;
/** Events from a compact spec: "A1 B2 k:C3" → category, time; ids count up from 1. */
export function toys(spec: string): Toy[] {
  nextId = 1;
  return spec
    .trim()
    .split(/\s+/)
    .map((tok) => {
      const m = /^(?:([^:]+):)?([A-Z]+)(\d+)$/.exec(tok);
      if (!m) throw new Error(`bad toy token ${tok}`);
      return { c: m[2], k: m[1] ?? 'x', t: Number(m[3]), id: nextId++ };
    });
}

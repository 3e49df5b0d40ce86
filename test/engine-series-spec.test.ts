// Runs Elasticsearch's sequence state-machine spec (conformance/eql/sequences.series-spec) through
// the streaming engine. Each spec line is one step; tokens are events `[key|]<letter><order>`, the
// order number doubling as the event time. Compiled queries are built directly (no parser).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CompiledQuery, CompiledStep } from '../src/shared/engine/compiled.js';
import { createEngine } from '../src/shared/engine/engine.js';
import type { EngineEvent } from '../src/shared/engine/event.js';

const SPEC = path.resolve(process.cwd(), '../shared/conformance/eql/sequences.series-spec');

interface SpecEvent {
  stage: number;
  key: string;
  order: number;
}
interface Spec {
  name: string;
  stages: SpecEvent[][];
  expected: number[][];
}

const TOKEN = /^(?:(\w+)\|)?[A-Za-z](\d+)$/;

function parseToken(tok: string): { key: string; order: number } {
  const m = TOKEN.exec(tok);
  if (!m) throw new Error(`bad spec token ${tok}`);
  return { key: m[1] ?? '', order: Number(m[2]) };
}

function parseSpecs(text: string): Spec[] {
  const lines = text.split('\n').map((l) => l.replace(/\/\/.*$/, '').trimEnd());
  const specs: Spec[] = [];
  let i = 0;
  const nextNonBlank = (): string | undefined => {
    while (i < lines.length && lines[i].trim() === '') i++;
    return lines[i++];
  };
  while (true) {
    const name = nextNonBlank();
    if (name === undefined) break;
    const stages: SpecEvent[][] = [];
    for (let line = nextNonBlank(); line !== undefined && line.trim() !== ';'; line = nextNonBlank()) {
      const stage = stages.length;
      stages.push(line.trim().split(/\s+/).map((tok) => ({ stage, ...parseToken(tok) })));
    }
    const expected: number[][] = [];
    for (let line = nextNonBlank(); line !== undefined && line.trim() !== ';'; line = nextNonBlank()) {
      expected.push(line.trim().split(/\s+/).map((tok) => parseToken(tok).order));
    }
    specs.push({ name: name.trim(), stages, expected });
  }
  return specs;
}

function stageStep(stage: number): CompiledStep {
  return {
    filter: { category: null, test: (ev) => (ev as SpecEvent).stage === stage },
    keys: (ev) => [[(ev as SpecEvent).key]],
    keyNullable: [false],
    runs: 1,
    missing: false,
  };
}

function run(spec: Spec): number[][] {
  const query: CompiledQuery = { kind: 'sequence', steps: spec.stages.map((_s, i) => stageStep(i)), pipes: [], keyCount: 1 };
  const events = spec.stages.flat().sort((a, b) => a.order - b.order);
  const out: number[][] = [];
  const engine = createEngine(query, { onResult: (r) => out.push(r.events.map((e) => ((e as EngineEvent).view as SpecEvent).order)) });
  events.forEach((view, seq) => engine.push({ view, time: view.order, seq }));
  engine.end();
  return out;
}

const specs = parseSpecs(readFileSync(SPEC, 'utf8'));

describe('sequences.series-spec', () => {
  it('parses every spec in the file', () => {
    const text = readFileSync(SPEC, 'utf8');
    const terminators = text.split('\n').filter((l) => l.trim() === ';').length;
    expect(specs.length * 2).toBe(terminators);
    for (const s of specs) expect(s.stages.length, s.name).toBeGreaterThan(0);
  });
  for (const spec of specs) {
    it(spec.name, () => {
      expect(run(spec)).toEqual(spec.expected);
    });
  }
});

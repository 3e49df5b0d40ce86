// The reference interpreter against ES's conformance suites: every single-event query of
// test_queries.toml / additional_test_queries.toml is run over the endgame data set and must
// select exactly the expected events (sequences and samples need the engine, which has its own
// tests). And every conformance query and every EQL rule of the Elastic corpus must pass the
// checker and compile.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseToml } from 'smol-toml';
import { parseQuery } from '../src/shared/eql/parser.js';
import { checkQuery } from '../src/shared/eql/checker.js';
import { compileQuery } from '../src/shared/eql/compile.js';
import { CONFORMANCE, conformanceQueries, corpusQueries } from './helpers/shared.js';
import { OPEN_SCHEMA } from './helpers/eql-schema.js';
import { ecsLinuxSchema } from '../src/shared/schema/ecs-linux.js';

type Event = { serial_event_id: number; timestamp: number } & Record<string, unknown>;
const events = (JSON.parse(readFileSync(join(CONFORMANCE, 'data/endgame-140.json'), 'utf8')) as Event[]).sort(
  (a, b) => a.timestamp - b.timestamp || a.serial_event_id - b.serial_event_id,
);

interface Case { file: string; name: string; query: string; expected_event_ids: number[] }
const eventCases: Case[] = ['test_queries.toml', 'additional_test_queries.toml'].flatMap((file) => {
  const doc = parseToml(readFileSync(join(CONFORMANCE, file), 'utf8')) as unknown as { queries: Omit<Case, 'file'>[] };
  return doc.queries.map((q) => ({ ...q, file })).filter((q) => parseQuery(q.query).kind === 'event');
});

function run(query: string): number[] {
  const compiled = compileQuery(checkQuery(parseQuery(query), { schema: OPEN_SCHEMA, categoryField: 'event_type', source: query }));
  const test = compiled.steps[0]!.filter.test;
  let ids = events.filter((e) => test(e)).map((e) => e.serial_event_id);
  for (const p of compiled.pipes) ids = p.name === 'head' ? ids.slice(0, p.count) : ids.slice(Math.max(0, ids.length - p.count));
  return ids;
}

describe('conformance: event queries over endgame-140', () => {
  it('covers the single-event queries', () => {
    expect(eventCases.length).toBeGreaterThanOrEqual(149);
  });
  for (const c of eventCases) {
    it(`${c.file} ${c.name}`, () => {
      expect(run(c.query)).toEqual(c.expected_event_ids);
    });
  }
});

describe('every conformance query and corpus rule checks and compiles', () => {
  const all = [...conformanceQueries(), ...corpusQueries().map((c) => ({ file: c.file, name: '', query: c.query }))];
  it('has the corpus', () => {
    expect(all.length).toBeGreaterThan(600);
  });
  it('accepts them all with a schema-less source', () => {
    const rejected: string[] = [];
    for (const q of all) {
      try {
        compileQuery(checkQuery(parseQuery(q.query), { schema: OPEN_SCHEMA, source: q.query }));
      } catch (e) {
        rejected.push(`${q.file} ${q.name}: ${(e as Error).message}`);
      }
    }
    expect(rejected).toEqual([]);
  });

  it('type-checks every corpus rule against the strict ECS Linux schema', () => {
    const schema = ecsLinuxSchema();
    const rejected: string[] = [];
    for (const { file, query } of corpusQueries()) {
      try {
        checkQuery(parseQuery(query), { schema, source: query });
      } catch (e) {
        rejected.push(`${file}: ${(e as Error).message}`);
      }
    }
    expect(rejected).toEqual([]);
  });
});

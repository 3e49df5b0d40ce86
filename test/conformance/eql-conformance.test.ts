// Elasticsearch's EQL conformance suites, run through the same code path as `kestrel query`
// (executeQuery), once per predicate engine (interpreter and Wasm). Each case compares result
// event ids (and join keys when given) with the expected ones; alternatives are allowed.
// Differences must be listed, with a reason, in known-differences.json (one list for both
// engines): the test fails on any unlisted difference, on any stale entry, and on any case whose
// results (ids, join keys, or error) differ between the two engines.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import type { EngineResult } from '../../src/shared/engine/event.js';
import { readPath } from '../../src/shared/input/field-path.js';
import type { PredicateEngine } from '../../src/shared/eql/codegen/ruleset.js';
import { toJsonText } from '../../src/shared/output/json-text.js';
import { DEFAULT_QUERY_OPTIONS, executeQuery, type QueryOptions } from '../../src/shared/query/execute.js';
import type { QueryPredicateCounters } from '../../src/shared/query/wasm-filters.js';

const EQL = path.resolve(process.cwd(), '../shared/conformance/eql');
const data = (f: string) => path.join(EQL, 'data', f);

interface Suite {
  file: string;
  files: string[];
  idField: string;
  options: QueryOptions;
}

const ENDGAME: Omit<Suite, 'file'> = {
  files: [data('endgame-140.json')],
  idField: 'serial_event_id',
  // ES's loader turns the FILETIME `timestamp` into @timestamp millis; the mapping aliases
  // event.category to event_type.
  options: { ...DEFAULT_QUERY_OPTIONS, timeField: 'timestamp', timeUnit: 'filetime', tiebreaker: 'serial_event_id', categoryField: 'event_type', sort: true },
};

const SUITES: Suite[] = [
  { file: 'test_queries.toml', ...ENDGAME },
  { file: 'additional_test_queries.toml', ...ENDGAME },
  {
    file: 'test_missing_events.toml',
    files: [data('missing-events.data')],
    idField: 'sequence',
    options: { ...DEFAULT_QUERY_OPTIONS, tiebreaker: 'sequence', sort: true, mapping: data('missing-events.mapping') },
  },
  {
    file: 'test_sample.toml',
    files: [data('sample1.data'), data('sample2.data'), data('sample3.data')],
    idField: 'id',
    options: { ...DEFAULT_QUERY_OPTIONS, sort: true, mapping: data('sample1.mapping') },
  },
];

interface Case {
  name: string;
  query: string;
  expected_event_ids: number[] | number[][];
  join_keys?: unknown[];
  size?: number;
}

interface KnownDifference {
  file: string;
  name: string;
  reason: string;
}

const known: KnownDifference[] = JSON.parse(readFileSync(path.join(import.meta.dirname, 'known-differences.json'), 'utf8'));

const ENGINES: PredicateEngine[] = ['interp', 'wasm'];

interface Outcome {
  /** Why the case fails its expectation, or null. */
  failure: string | null;
  /** Everything observable about the run: result ids and join keys, or the error. */
  observed: string;
  /** The Wasm module's counters (engine 'wasm', when the query ran). */
  predicates?: QueryPredicateCounters;
}

async function runCase(suite: Suite, c: Case, engine: PredicateEngine): Promise<Outcome> {
  const results: EngineResult[] = [];
  let predicates: QueryPredicateCounters | undefined;
  try {
    ({ predicates } = await executeQuery(c.query, suite.files, { ...suite.options, size: c.size, engine }, (r) => results.push(r)));
  } catch (e) {
    const failure = `error: ${(e as Error).message}`;
    return { failure, observed: failure };
  }
  const ids = results.flatMap((r) => r.events.map((e) => (e ? Number(readPath(e.view, suite.idField)) : -1)));
  const observed = toJsonText(results.map((r) => ({ ids: r.events.map((e) => (e ? readPath(e.view, suite.idField) : null)), keys: r.joinKeys })));
  return { failure: expectationFailure(c, ids, results), observed, predicates };
}

function expectationFailure(c: Case, ids: number[], results: EngineResult[]): string | null {
  const alternatives = Array.isArray(c.expected_event_ids[0]) ? (c.expected_event_ids as number[][]) : [c.expected_event_ids as number[]];
  if (!alternatives.some((alt) => alt.length === ids.length && alt.every((id, i) => id === ids[i]))) {
    return `ids ${JSON.stringify(ids)}, expected ${JSON.stringify(c.expected_event_ids)}`;
  }
  if (c.join_keys) {
    const keys = results.flatMap((r) => r.joinKeys.map((k) => String(k)));
    const want = c.join_keys.map((k) => String(k));
    if (JSON.stringify(keys) !== JSON.stringify(want)) return `join keys ${JSON.stringify(keys)}, expected ${JSON.stringify(want)}`;
  }
  return null;
}

describe('EQL conformance (Elasticsearch suites), interpreter and Wasm', () => {
  for (const suite of SUITES) {
    it(suite.file, async () => {
      const doc = parseToml(readFileSync(path.join(EQL, suite.file), 'utf8')) as { queries: Case[] };
      const listed = new Set(known.filter((k) => k.file === suite.file).map((k) => k.name));
      const failures = new Map<PredicateEngine, { name: string; why: string }[]>(ENGINES.map((e) => [e, []]));
      const engineDiffs: string[] = [];
      const wasm = { queries: 0, records: 0, hostRecords: 0, hostCalls: 0, fallbacks: 0 };
      for (const c of doc.queries) {
        const outcomes = new Map<PredicateEngine, Outcome>();
        for (const engine of ENGINES) {
          const o = await runCase(suite, c, engine);
          outcomes.set(engine, o);
          if (o.failure) failures.get(engine)!.push({ name: c.name, why: o.failure });
          if (o.predicates) {
            wasm.queries++;
            wasm.records += o.predicates.records;
            wasm.hostRecords += o.predicates.hostRecords;
            wasm.hostCalls += o.predicates.hostCalls;
            wasm.fallbacks += o.predicates.fuelFallbacks + o.predicates.trapFallbacks + o.predicates.jsonFallbacks;
          }
        }
        const [first, ...rest] = ENGINES.map((e) => outcomes.get(e)!.observed);
        if (rest.some((o) => o !== first)) engineDiffs.push(`${c.name}: ${ENGINES.map((e) => `${e} ${outcomes.get(e)!.observed}`).join(' / ')}`);
      }
      for (const engine of ENGINES) {
        const failed = failures.get(engine)!;
        const unlisted = failed.filter((f) => !listed.has(f.name));
        const stale = [...listed].filter((n) => !failed.some((f) => f.name === n));
        console.log(`${suite.file} [${engine}]: ${doc.queries.length - failed.length} passed, ${failed.length} failed (${failed.length - unlisted.length} known), ${doc.queries.length} total`);
        for (const f of unlisted) console.log(`  ${f.name}: ${f.why}`);
        expect(unlisted, `differences not in known-differences.json (engine ${engine})`).toEqual([]);
        expect(stale, `known differences that now pass (engine ${engine})`).toEqual([]);
      }
      console.log(`${suite.file} [wasm]: ${JSON.stringify(wasm)}`);
      expect(engineDiffs, 'cases whose results differ between engines').toEqual([]);
      // The Wasm runs really evaluated records (every query that ran had its module).
      expect(wasm.queries).toBe(doc.queries.length - failures.get('wasm')!.filter((f) => f.why.startsWith('error:')).length);
      expect(wasm.records).toBeGreaterThan(wasm.queries);
    });
  }
});

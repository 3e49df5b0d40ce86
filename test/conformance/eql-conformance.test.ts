// Elasticsearch's EQL conformance suites, run through the same code path as `kestrel query`
// (executeQuery). Each case compares result event ids (and join keys when given) with the
// expected ones; alternatives are allowed. Differences must be listed, with a reason, in
// known-differences.json: the test fails on any unlisted difference and on any stale entry.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import type { EngineResult } from '../../src/shared/engine/event.js';
import { readPath } from '../../src/shared/input/field-path.js';
import { DEFAULT_QUERY_OPTIONS, executeQuery, type QueryOptions } from '../../src/shared/query/execute.js';

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

async function runCase(suite: Suite, c: Case): Promise<string | null> {
  const results: EngineResult[] = [];
  try {
    await executeQuery(c.query, suite.files, { ...suite.options, size: c.size }, (r) => results.push(r));
  } catch (e) {
    return `error: ${(e as Error).message}`;
  }
  const ids = results.flatMap((r) => r.events.map((e) => (e ? Number(readPath(e.view, suite.idField)) : -1)));
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

describe('EQL conformance (Elasticsearch suites)', () => {
  for (const suite of SUITES) {
    it(suite.file, async () => {
      const doc = parseToml(readFileSync(path.join(EQL, suite.file), 'utf8')) as { queries: Case[] };
      const failures: { name: string; why: string }[] = [];
      for (const c of doc.queries) {
        const why = await runCase(suite, c);
        if (why) failures.push({ name: c.name, why });
      }
      const listed = new Set(known.filter((k) => k.file === suite.file).map((k) => k.name));
      const unlisted = failures.filter((f) => !listed.has(f.name));
      const stale = [...listed].filter((n) => !failures.some((f) => f.name === n));
      console.log(`${suite.file}: ${doc.queries.length - failures.length} passed, ${failures.length} failed (${failures.length - unlisted.length} known), ${doc.queries.length} total`);
      for (const f of unlisted) console.log(`  ${f.name}: ${f.why}`);
      expect(unlisted, 'differences not in known-differences.json').toEqual([]);
      expect(stale, 'known differences that now pass').toEqual([]);
    });
  }
});

// executeQuery on both predicate engines over events the record encoding cannot hold natively:
// values of the wrong type for their (mapped or inferred) field, integers beyond 64 bits, nested
// arrays, objects where a scalar is expected, unicode, fields outside the layout (after the
// schema inference window). The Wasm engine must select exactly what the interpreter selects, and
// its counters must show the host paths (host_eval per node, host_record per record) were taken.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PredicateEngine } from '../src/shared/eql/codegen/ruleset.js';
import { readPath } from '../src/shared/input/field-path.js';
import { DEFAULT_QUERY_OPTIONS, executeQuery, type QueryOptions, type QueryStats } from '../src/shared/query/execute.js';
import { INFER_DEFAULTS } from '../src/shared/schema/infer.js';

const dir = mkdtempSync(path.join(tmpdir(), 'kestrel-query-engine-'));

function plain(i: number): string {
  return JSON.stringify({ '@timestamp': i, event: { category: 'process' }, id: i, host: `h${i % 3}`, n: i % 7, u: i, s: `v${i % 5}`, ip: `10.0.0.${i % 9}`, f: i / 4, b: i % 2 === 0, d: 1577836800000 + i });
}

// The mapping fixes the field types; each odd event sets one field to something its type does
// not store natively, or adds a shape the layout has no slot for.
const MAPPING = {
  properties: {
    '@timestamp': { type: 'date' },
    n: { type: 'long' },
    u: { type: 'unsigned_long' },
    s: { type: 'keyword' },
    ip: { type: 'ip' },
    f: { type: 'double' },
    b: { type: 'boolean' },
    d: { type: 'date' },
  },
};
const ODD = [
  '"n": "12"', '"n": 1.5', '"n": 18446744073709551616', '"n": -9223372036854775809', '"n": 9223372036854775807', '"n": 1e300',
  '"n": [[1, 2], 3]', '"n": {"a": 1}', '"n": true', '"n": null', '"n": []', '"n": [3, "3", null]', '"n": -0',
  '"s": 5', '"s": 12345678901234567890', '"s": [["v1"]]', '"s": {"v1": 1}', '"s": "V1"', '"s": "\\u01c5v1"', '"s": "\\ud800v1"',
  '"s": "v1\\u0000"', '"s": ["v1", 2]', '"s": "KELVIN\\u212a"', '"ip": "::ffff:10.0.0.1"', '"ip": "not an ip"', '"ip": 167772161',
  '"u": -1', '"u": 18446744073709551615', '"u": 18446744073709551616', '"d": "2020-01-01"', '"d": "garbage"', '"d": 1.5',
  '"f": "1.25"', '"f": 10000000000000000000000', '"f": [0.25, "x"]', '"b": "true"', '"b": 1', '"b": [true, false]',
  '"extra": {"deep": [1, {"x": 2}]}', '"extra": {"deep": 1}', '"extra": {"deep": {"x": 3}}', '"process": [{"name": "a"}, {"name": "v1"}]',
  '"user": {"name": {"first": "v1"}}',
];

function oddEvents(from: number): string[] {
  return ODD.map((o, k) => `{"@timestamp": ${from + k}, "event": {"category": "process"}, "id": ${from + k}, "host": "h${k % 3}", ${o}}`);
}

const WHERE = [
  'n == 12', 'n != 12', 'n < 2', 'n > 5', 'n >= 9223372036854775807', 'n < -9223372036854775807', 'n == 1.5', 'n in (3, 12, 1)',
  'n == null', '?n == null', 'string(n) == "12"', 'n + 1 > 5', 's == "v1"', 's : "v1"', 's like~ "v1"',
  's : "v*"', 's in ("v1", "v2")', 's in~ ("V1")', 'startsWith(s, "v")', 'endsWith~(s, "1")', 's regex "v[12]"', 'length(s) == 2',
  's < "v2"', 's : "*k"', 's like~ "*k"', 's : "?1"', 'cidrMatch(ip, "10.0.0.0/24")', 'ip == "10.0.0.1"', 'ip in ("10.0.0.1", "10.0.0.2")',
  'u > 5', 'u == 18446744073709551615', 'u < 0', 'd > "2019-12-31"', 'd == "garbage"', 'd != null', 'f > 100', 'f == 0.25', 'f < 1.3', 'b == true', 'b', 'not b', 'extra.deep == 1', 'extra.deep.x == 2', 'extra.deep.x != null',
  'process.name == "v1"', 'user.name.first == "v1"', '?extra != null', 's == "v1" or n == 3', 's != "v1" and not n > 3',
];

const QUERIES = [
  ...WHERE.map((w) => `process where ${w}`),
  'sequence by host [process where s == "v1"] [process where n == 12]',
  'sequence by host [process where n != null] [process where s : "v*"] until [process where extra.deep.x == 2]',
  'sample by host [process where s == "v1"] [process where n > 3]',
];

async function run(query: string, files: string[], engine: PredicateEngine, opts: Partial<QueryOptions> = {}): Promise<{ ids: string; stats: QueryStats }> {
  const results: unknown[][] = [];
  const stats = await executeQuery(query, files, { ...DEFAULT_QUERY_OPTIONS, ...opts, engine }, (r) => results.push(r.events.map((e) => (e ? readPath(e.view, 'id') : null))));
  return { ids: JSON.stringify(results), stats };
}

describe('executeQuery, engine wasm vs interp, on values records cannot hold natively', () => {
  const small = path.join(dir, 'odd.ndjson');
  writeFileSync(small, [...Array.from({ length: 60 }, (_, i) => plain(i)), ...oddEvents(1000)].join('\n') + '\n');
  const mapping = path.join(dir, 'odd.mapping');
  writeFileSync(mapping, JSON.stringify(MAPPING));

  it('selects what the interpreter selects, in batches of any size, sorted or not', async () => {
    const diffs: string[] = [];
    const host = { calls: 0, records: 0 };
    for (const opts of [{ batchSize: 1024, mapping }, { batchSize: 7, sort: true, mapping }]) {
      for (const q of QUERIES) {
        const interp = await run(q, [small], 'interp', opts);
        const wasm = await run(q, [small], 'wasm', opts);
        if (wasm.ids !== interp.ids) diffs.push(`${q} (${JSON.stringify(opts)}): wasm ${wasm.ids}, interp ${interp.ids}`);
        expect(interp.stats.predicates).toBeUndefined();
        host.calls += wasm.stats.predicates!.hostCalls;
        host.records += wasm.stats.predicates!.hostRecords;
        expect(wasm.stats.predicates!.records).toBe(wasm.stats.eventsSeen);
      }
    }
    expect(diffs).toEqual([]);
    // The odd values really went through the module's host paths.
    expect(host.calls).toBeGreaterThan(0);
    expect(host.records).toBeGreaterThan(0);
  });

  it('evaluates one module call per batch', async () => {
    const { stats } = await run('process where s == "v1"', [small], 'wasm', { batchSize: 16, mapping });
    const events = 60 + ODD.length;
    expect(stats.predicates).toMatchObject({ batches: Math.ceil(events / 16), records: events, fuelFallbacks: 0, trapFallbacks: 0, jsonFallbacks: 0 });
  });
});

describe('fields first seen after the schema inference window', () => {
  // Streaming input: the layout comes from the first INFER_DEFAULTS.maxEvents events, so the odd
  // fields and types of the events after them are outside it or differ from it.
  const big = path.join(dir, 'late.ndjson');
  const head = Array.from({ length: INFER_DEFAULTS.maxEvents }, (_, i) => JSON.stringify({ '@timestamp': i, event: { category: 'process' }, id: i, host: `h${i % 3}`, s: `v${i % 5}` }));
  writeFileSync(big, [...head, ...oddEvents(INFER_DEFAULTS.maxEvents)].join('\n') + '\n');

  it('still match as the interpreter says, through host_record', async () => {
    for (const q of ['process where n == 12 or extra.deep.x == 2 or user.name.first == "v1"', 'process where process.name == "v1" or s == "V1"']) {
      const interp = await run(q, [big], 'interp');
      const wasm = await run(q, [big], 'wasm');
      expect(wasm.ids, q).toBe(interp.ids);
      expect(JSON.parse(interp.ids).length, q).toBeGreaterThan(0);
      expect(wasm.stats.predicates!.hostRecords, q).toBeGreaterThan(0);
    }
  });
});

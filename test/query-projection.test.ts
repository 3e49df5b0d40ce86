// `kestrel query --engine wasm` encodes only what the filters read. Events carrying many fields no
// filter reads (huge integers, nested arrays, objects in arrays, odd keys, siblings of read fields,
// fields first seen after the inference window) must give the same matches as without them, on
// both engines, and cost not one record byte more nor send a record to host_record.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PredicateEngine } from '../src/shared/eql/codegen/ruleset.js';
import { queryIds } from './helpers/query-ids.js';
import { INFER_DEFAULTS } from '../src/shared/schema/infer.js';

const dir = mkdtempSync(path.join(tmpdir(), 'kestrel-query-projection-'));

/** The fields the queries read; `n` is null in some events and missing in others. */
function readFields(i: number): string {
  const n = i % 11 === 0 ? '"n": null, ' : i % 13 === 0 ? '' : `"n": ${i % 7}, `;
  const args = i % 2 === 0 ? `["a", "x${i % 3}"]` : `"x${i % 3}"`;
  const category = i % 4 === 3 ? 'network' : 'process';
  return `"@timestamp": ${i}, "event": {"category": "${category}"}, "id": ${i}, "host": "h${i % 3}", ${n}"process": {"name": "p${i % 5}", "args": ${args}`;
}

/** Fields no query below reads, several beside or around read ones. */
function unreadFields(i: number): string {
  return [
    `"pid": ${i}, "parent": {"name": "p1", "args": [["nested"], {"x": [1, [2]]}]}, "env": {"__proto__": {"x": 1}, "constructor": "c", "": "empty"}}`,
    `"huge": 123456789012345678901234567890, "neg": -0.0, "tiny": 5e-324, "nested": [[1, [2, {"a": [null, true]}]], {"b": {}}]`,
    `"uni": "\\ud800 lone \\u212a \\ud83d\\ude00", "flags": [true, null, "yes", 1.5], "obj_array": [{"k": 1}, {"k": [2, 3]}, null]`,
    `"event_extra": {"category": "network"}, "hosts": {"h": "h1"}, "n_text": "${i}", "empty": {}, "none": null, "list": []`,
  ].join(', ');
}

const plainFile = path.join(dir, 'plain.ndjson');
const noisyFile = path.join(dir, 'noisy.ndjson');
const EVENTS = 120;
writeFileSync(plainFile, Array.from({ length: EVENTS }, (_, i) => `{${readFields(i)}}}`).join('\n') + '\n');
writeFileSync(noisyFile, Array.from({ length: EVENTS }, (_, i) => `{${readFields(i)}, ${unreadFields(i)}}`).join('\n') + '\n');

const QUERIES = [
  'process where process.name == "p1"',
  'process where process.args : "x1"',
  'process where process.args in ("a", "x2") and n > 2',
  'process where n == null',
  'process where n != null and n < 3',
  'process where ?n == null or ?absent != null',
  'process where ?absent == null and process.name : "p*"',
  'any where process.name in ("p2", "p3") and host == "h1"',
  'sequence by host [process where process.name == "p1"] [network where n >= 0] until [process where n == 6]',
  'sample by host [process where n == 1] [network where process.args == "x2"]',
];

// Every event must reach the encoder: the line gate would skip the lines no filter can match.
const run = (query: string, file: string, engine: PredicateEngine) => queryIds(query, [file], { engine, batchSize: 32, lineGate: false });

describe('query on Wasm encodes only the fields its filters read', () => {
  it('gives the same matches with and without unread fields, for the same record bytes', async () => {
    let matched = 0;
    for (const q of QUERIES) {
      const expected = (await run(q, plainFile, 'interp')).ids;
      const noisyInterp = await run(q, noisyFile, 'interp');
      const noisy = await run(q, noisyFile, 'wasm');
      const plain = await run(q, plainFile, 'wasm');
      expect(noisyInterp.ids, q).toBe(expected);
      expect(noisy.ids, q).toBe(expected);
      expect(plain.ids, q).toBe(expected);
      if (expected !== '[]') matched++;
      const p = noisy.stats.predicates!;
      // Not one byte of the unread fields reached a record, and none sent a record to the host.
      expect(p.recordBytes, q).toBe(plain.stats.predicates!.recordBytes);
      expect(p, q).toMatchObject({ hostRecords: 0, jsonFallbacks: 0 });
      expect(p.records + p.categoryMisses, q).toBe(EVENTS);
    }
    expect(matched).toBe(QUERIES.length);
  });

  it('records hold a few bytes per event, whatever else the events carry', async () => {
    const { stats } = await run('process where process.name == "p1"', noisyFile, 'wasm');
    const p = stats.predicates!;
    // Header, presence words, two slots (category, process.name) and their strings: well under
    // the hundreds of bytes the unread fields would take.
    expect(p.recordBytes / p.records).toBeLessThan(96);
    // Every fourth event is a network event: no filter can match it, so it is not encoded.
    expect(p).toMatchObject({ records: EVENTS - EVENTS / 4, categoryMisses: EVENTS / 4 });
  });
});

describe('unread fields first seen after the schema inference window', () => {
  // Outside the layout built from the first INFER_DEFAULTS.maxEvents events: before projection
  // they went to the extra JSON and every such record to host_record.
  const file = path.join(dir, 'late.ndjson');
  const TAIL = 40;
  const head = Array.from({ length: INFER_DEFAULTS.maxEvents }, (_, i) => `{${readFields(i)}}}`);
  // Every other tail event also carries `late`, a read field the layout does not know.
  const tail = Array.from({ length: TAIL }, (_, k) => {
    const i = INFER_DEFAULTS.maxEvents + k;
    return `{${readFields(i)}, ${unreadFields(i)}${k % 2 === 0 ? `, "late": {"v": "y${k % 3}", "junk": [[1]]}` : ''}}`;
  });
  writeFileSync(file, [...head, ...tail].join('\n') + '\n');

  it('are skipped; only the records with a late read field go to host_record', async () => {
    const q = 'process where late.v == "y1" or (process.name == "p4" and id > 10000)';
    const interp = await run(q, file, 'interp');
    const wasm = await run(q, file, 'wasm');
    expect(wasm.ids).toBe(interp.ids);
    expect(JSON.parse(interp.ids).length).toBeGreaterThan(0);
    expect(wasm.stats.predicates).toMatchObject({ hostRecords: TAIL / 2, jsonFallbacks: 0 });
  });
});

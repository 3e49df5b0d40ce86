// An event the record encoder refuses (a record beyond MAX_RECORD_BYTES, 2 GiB, too big to build
// in a test) is left out of the Wasm batch and its filters run on the interpreter over its JSON.
// The encoder is wrapped to refuse events marked `oversize`, as it would refuse a huge one.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { LimitError } from '../src/shared/errors.js';
import { readPath } from '../src/shared/input/field-path.js';
import { DEFAULT_QUERY_OPTIONS, executeQuery } from '../src/shared/query/execute.js';
import type { PredicateEngine } from '../src/shared/eql/codegen/ruleset.js';

vi.mock('../src/shared/record/encode.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../src/shared/record/encode.js')>();
  return {
    ...real,
    encodeEvent: (...args: Parameters<typeof real.encodeEvent>) => {
      if (args[1].oversize === true) throw new LimitError('record.too-large', 'record too large (test)');
      return real.encodeEvent(...args);
    },
  };
});

const dir = mkdtempSync(path.join(tmpdir(), 'kestrel-query-fallback-'));
const file = path.join(dir, 'events.ndjson');
const events = Array.from({ length: 40 }, (_, i) => ({ '@timestamp': i, event: { category: 'process' }, id: i, host: `h${i % 2}`, s: `v${i % 4}`, ...(i % 5 === 0 ? { oversize: true } : {}) }));
writeFileSync(file, events.map((e) => JSON.stringify(e)).join('\n') + '\n');

async function run(query: string, engine: PredicateEngine) {
  const ids: unknown[] = [];
  // Every event must reach the encoder: the line gate would skip the lines no filter can match.
  const stats = await executeQuery(query, [file], { ...DEFAULT_QUERY_OPTIONS, engine, batchSize: 16, lineGate: false }, (r) => ids.push(r.events.map((e) => (e ? readPath(e.view, 'id') : null))));
  return { ids, stats };
}

describe('events the encoder refuses', () => {
  it('are evaluated by the interpreter over their JSON, and counted', async () => {
    for (const q of ['process where s == "v1" or s == "v0"', 'sequence by host [process where s == "v0"] [process where s == "v2"]']) {
      const interp = await run(q, 'interp');
      const wasm = await run(q, 'wasm');
      expect(wasm.ids, q).toEqual(interp.ids);
      // Refused events are among the matches (ids 0, 10, 20, 30 have s == "v0" or "v2").
      expect(interp.ids.flat().some((id) => Number(id) % 5 === 0), q).toBe(true);
      expect(wasm.stats.predicates, q).toMatchObject({ jsonFallbacks: 8, records: 32, batches: 3 });
    }
  });
});

// `kestrel query` keeps the schema it inferred from an NDJSON input's head (the first 10,000
// events) under a digest of the head's bytes (src/shared/query/head-digest.ts,
// src/main/cache/inferred-schemas.ts), so a second query over the same file neither parses nor
// walks them. The digest must change with any byte of the head and only with those; a stored
// schema must give exactly the results of inferring it again.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readPath } from '../src/shared/input/field-path.js';
import { DEFAULT_QUERY_OPTIONS, executeQuery, type InferredSchemaCache } from '../src/shared/query/execute.js';
import { headDigest } from '../src/shared/query/head-digest.js';
import { INFER_DEFAULTS, type InferredFields } from '../src/shared/schema/infer.js';
import { KESTREL_BIN } from './helpers/dist.js';

const dir = mkdtempSync(path.join(tmpdir(), 'kestrel-schema-cache-'));
const N = INFER_DEFAULTS.maxEvents;

function line(i: number, extra = ''): string {
  return JSON.stringify({ '@timestamp': i, event: { category: [i % 3 === 0 ? 'network' : 'process'] }, id: i, k: `k${i % 50}`, s: i % 997 === 0 ? 'rare' : 'common', n: i % 7 }) + extra;
}

function write(name: string, lines: string[]): string {
  const file = path.join(dir, name);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

const base = Array.from({ length: N + 500 }, (_, i) => line(i));

describe('head digest', () => {
  const a = write('a.ndjson', base);

  it('is the same for the same head bytes, whatever follows them', () => {
    const later = [...base];
    later[N + 10] = line(N + 10).replace('common', 'changed');
    expect(headDigest([write('later.ndjson', later)], N)).toBe(headDigest([a], N));
  });

  it('changes with any byte of the head, its last event line included', () => {
    for (const at of [0, 4_321, N - 1]) {
      const changed = [...base];
      changed[at] = changed[at]!.replace('"n":', '"m":');
      expect(headDigest([write(`changed-${at}.ndjson`, changed)], N), `line ${at}`).not.toBe(headDigest([a], N));
    }
  });

  it('counts only event lines: blank and comment lines lengthen the part hashed', () => {
    const padded = [...base.slice(0, 100), '', '   ', '// note', ...base.slice(100)];
    const withPadding = write('padded.ndjson', padded);
    // The head now ends 3 lines later: a change in the line after the 10,000th event still counts.
    const changed = [...padded];
    changed[N + 2] = changed[N + 2]!.replace('"n":', '"m":');
    expect(headDigest([write('padded-changed.ndjson', changed)], N)).not.toBe(headDigest([withPadding], N));
  });

  it('tells apart where one file ends and the next begins', () => {
    const one = write('one.ndjson', base.slice(0, 20));
    const x = write('x.ndjson', base.slice(0, 10));
    const y = write('y.ndjson', base.slice(10, 20));
    expect(headDigest([x, y], N)).not.toBe(headDigest([one], N));
    expect(headDigest([x, y], N)).toBe(headDigest([x, y], N));
  });
});

describe('query with a stored inferred schema', () => {
  const file = write('q.ndjson', base);

  function memoryCache(): InferredSchemaCache & { reads: number; hits: number; store: Map<string, InferredFields> } {
    const store = new Map<string, InferredFields>();
    const c = {
      reads: 0,
      hits: 0,
      store,
      read(key: string) {
        c.reads++;
        const v = store.get(key);
        if (v) c.hits++;
        return v && structuredClone(v);
      },
      write(key: string, value: InferredFields) {
        store.set(key, structuredClone(value));
      },
    };
    return c;
  }

  async function run(q: string, schemaCache?: InferredSchemaCache): Promise<string> {
    const out: unknown[] = [];
    await executeQuery(q, [file], { ...DEFAULT_QUERY_OPTIONS, engine: 'interp', schemaCache }, (r) => out.push(r.events.map((e) => (e ? readPath(e.view, 'id') : null))));
    return JSON.stringify(out);
  }

  it('stores the schema once and gives the same results when it reads it back', async () => {
    const cache = memoryCache();
    const queries = ['sequence by k [process where s == "rare"] [network where n == 3]', 'process where n == 5 and s == "rare"', 'sequence by k [process where true] [network where n > 4]'];
    for (const q of queries) {
      const plain = await run(q);
      expect(await run(q, cache), q).toBe(plain);
      expect(await run(q, cache), q).toBe(plain);
    }
    expect(cache.store.size).toBe(1);
    expect(cache.hits).toBe(queries.length * 2 - 1);
    const stored = [...cache.store.values()][0]!;
    expect(stored.sampled).toBe(N);
    expect(stored.fields.map((f) => `${f.path}:${f.type}`)).toEqual(expect.arrayContaining(['id:long', 'k:keyword', 'n:long', 'event.category:keyword']));
  });

  it('is used by the CLI under the cache folder, and not with KESTREL_CACHE=off', () => {
    const cacheDir = path.join(dir, 'cli-cache');
    const q = 'sequence by k [process where s == "rare"] [network where n == 3]';
    const cli = (env: NodeJS.ProcessEnv) => spawnSync(process.execPath, [KESTREL_BIN, 'query', '--id-field', 'id', q, file], { encoding: 'utf8', env: { ...process.env, KESTREL_CACHE_DIR: cacheDir, ...env } });
    const first = cli({});
    expect(first.status, first.stderr).toBe(0);
    expect(readdirSync(path.join(cacheDir, 'inferred'))).toHaveLength(1);
    const second = cli({});
    expect(second.stdout).toBe(first.stdout);
    expect(first.stdout.split('\n').filter(Boolean).length).toBeGreaterThan(3);
    const off = path.join(dir, 'off-cache');
    const third = spawnSync(process.execPath, [KESTREL_BIN, 'query', '--id-field', 'id', q, file], { encoding: 'utf8', env: { ...process.env, KESTREL_CACHE_DIR: off, KESTREL_CACHE: 'off' } });
    expect(third.stdout).toBe(first.stdout);
    expect(existsSync(path.join(off, 'inferred'))).toBe(false);
  });
});

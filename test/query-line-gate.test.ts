// The NDJSON line gate of `kestrel query` (src/shared/query/line-gate.ts): lines whose text shows
// that no filter can match are skipped unparsed. It must never change a result: every query here
// runs with the gate and with --parse-all semantics (lineGate: false), over events written to
// trip a text test (escapes, spacing, dotted keys, arrays, number spellings, case folding beyond
// ASCII), and the results must be identical; the gate must also really skip lines.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hasLongDigitRun } from '../src/shared/input/json-exact.js';
import { queryIds } from './helpers/query-ids.js';
import { INFER_DEFAULTS } from '../src/shared/schema/infer.js';
import { spawnSync } from 'node:child_process';
import { KESTREL_BIN } from './helpers/dist.js';

const dir = mkdtempSync(path.join(tmpdir(), 'kestrel-line-gate-'));

// After the inference window (read in full), the gate applies to every line.
const head = Array.from({ length: INFER_DEFAULTS.maxEvents }, (_, i) =>
  JSON.stringify({ '@timestamp': i, event: { category: ['process'] }, id: i, host: `h${i % 3}`, s: `w${i % 5}`, n: i % 7, process: { name: 'sh', parent: { name: 'v1' } }, destination: { port: 443 }, my_key: 'w' }),
);

// Each body is one event after the window; `id` is added. Written by hand, not JSON.stringify, so
// spacing and spelling are what a foreign producer might write.
const TRICKY = [
  '"s": "v1"', '"s" : "v1"', '"s":\t"v1"', '"s":["x","v1"]', '"s": [ "a]b", "v1" ]', '"s":[["v1"]]', '"s":[{"t":1},"v1"]',
  '"s":"v\\u0031"', '"s":"v1\\""', '"s\\u0000":"v1"', '"s":"V1"', '"s":"KELVIN\u212a"', '"s":"\u0130x"', '"s":"\u0131x"', '"s":"\u017fx"',
  '"s":"\ud83d\ude00v"', '"s":"a\ud83d\ude00b"', '"s":"é1"', '"transport":"v1"', '"xs":"v1"', '"a.s":"v1"',
  '"process.name":"v1"', '"process":{"name":"v1"}', '"process":{"parent":{"name":"v1"}}', '"process":[{"name":"x"},{"name":"v1"}]',
  '"n":12', '"n":12.0', '"n":12.000', '"n":1.2e1', '"n":120e-1', '"n":"12"', '"n":[3,12]', '"n":[[12]]', '"n":-0', '"n":0', '"n":12.5', '"n":112',
  '"destination":{"port":4444}', '"destination.port":4444', '"destination":{"port":4444.0}', '"destination":{"port":"4444"}',
  '"b":true', '"b":"true"', '"extra":{"deep":{"x":2}}', '"extra":null', '"extra":{}',
  // The key's whole path counts, not only its last segment (keyPathAt).
  '"process":{"parent.name":"v1"}', '"process.parent":{"name":"v1"}', '"process" : { "name" : "v1" }', '"a":{"s":"v1"}',
  '"x":[{"s":"v1"}]', '"t":"{[:]}", "process":{"name":"v1"}', '"process":{"t":"}","name":"v1"}', '"process":{"parent":{"name":"x"},"name":"v1"}',
  '"process":{"parent":{"name":"v1"},"name":"x"}', '"destination":{"x":{"port":1},"port":4444}', '"source":{"port":4444}', '"event.category":"network", "s":"v1"',
  // A key found by its rarest tail (`_key"`) and then checked in full (keyAnchor).
  '"my_key":"v1"', '"your_key":"v1"', '"a.my_key":"v1"', '"my_key" :"v1"', '"xmy_key":"v1"',
];

const BODIES = TRICKY;

function events(): string[] {
  const out: string[] = [];
  BODIES.forEach((b, k) => {
    const id = INFER_DEFAULTS.maxEvents + k;
    const cat = k % 4 === 3 ? '"network"' : '["process"]';
    out.push(`{"@timestamp": ${id}, "event": {"category": ${cat}}, "id": ${id}, "host": "h${k % 3}", ${b}}`);
  });
  // Plain events that match nothing selective: what the gate should skip.
  for (let i = 0; i < 200; i++) out.push(JSON.stringify({ '@timestamp': 20_000 + i, event: { category: ['process'] }, id: 20_000 + i, host: `h${i % 3}`, s: 'zz', n: 99 }));
  return out;
}

const WHERE = [
  's == "v1"', 's : "v1"', 's : "V*"', 's like "v?"', 's like~ "*k"', 's : "i*"', 's : "s*"', 's : "?v"', 's like "a?b"', 's in ("v1", "x")',
  's in~ ("V1")', 's : "*1"', 's : "é?"', 'process.name == "v1"', 'process.parent.name == "v1"', 'n == 12', 'n in (12, 0)', 'n == 0',
  'destination.port == 4444', 'my_key == "v1"', 'b == true', 'extra.deep.x == 2', 'extra != null', 's == "v1" or n == 12', 's == "v1" and n == 12',
  's != "v1"', 'not s == "v1"', 'startsWith(s, "v")',
];

const QUERIES = [
  ...WHERE.map((w) => `process where ${w}`),
  ...WHERE.slice(0, 6).map((w) => `any where ${w}`),
  'sequence by host [process where s == "v1"] [network where destination.port == 4444]',
  'sequence by host [process where n == 12] [process where s : "v*"] until [process where extra.deep.x == 2]',
  'sample by host [process where s == "v1"] [network where true]',
  'process where s == "v1" | head 3',
];

const run = (query: string, file: string, lineGate: boolean) => queryIds(query, [file], { lineGate });

describe('query line gate', () => {
  const file = path.join(dir, 'tricky.ndjson');
  writeFileSync(file, [...head, ...events()].join('\n') + '\n');

  it('gives exactly the results of parsing every line, and skips lines', async () => {
    const diffs: string[] = [];
    let skipped = 0;
    let found = 0;
    for (const q of QUERIES) {
      const gated = await run(q, file, true);
      const full = await run(q, file, false);
      if (gated.ids !== full.ids) diffs.push(`${q}: gated ${gated.ids}, full ${full.ids}`);
      expect(full.stats.linesSkipped).toBe(0);
      // Every line is either parsed or skipped (a `head` pipe stops reading early).
      if (!q.includes('| head')) expect(gated.stats.eventsSeen + gated.stats.linesSkipped, q).toBe(full.stats.eventsSeen);
      skipped += gated.stats.linesSkipped;
      if (full.ids !== '[]') found++;
    }
    expect(diffs).toEqual([]);
    // Most queries find something among the tricky events, and the gate skipped plenty.
    expect(found).toBeGreaterThan(QUERIES.length * 0.7);
    expect(skipped).toBeGreaterThan(QUERIES.length * 100);
  });

  it('skips the lines a selective query cannot match, and none when a filter has no text test', async () => {
    expect((await run('process where s == "v1"', file, true)).stats.linesSkipped).toBeGreaterThan(200);
    expect((await run('any where s != "v1"', file, true)).stats.linesSkipped).toBe(0);
  });

  it('tells a field from another with the same last segment: process.parent.name lines are skipped for process.name', async () => {
    const file2 = path.join(dir, 'parents.ndjson');
    const parents = Array.from({ length: 300 }, (_, i) => JSON.stringify({ '@timestamp': 20_000 + i, event: { category: ['process'] }, id: 20_000 + i, process: { name: 'sh', parent: { name: 'v1' } } }));
    writeFileSync(file2, [...head, ...parents, ...events()].join('\n') + '\n');
    for (const q of ['process where process.name == "v1"', 'process where process.parent.name == "v1"']) {
      const gated = await run(q, file2, true);
      const full = await run(q, file2, false);
      expect(gated.ids, q).toBe(full.ids);
      expect(full.ids, q).not.toBe('[]');
      if (q.includes('process.name')) expect(gated.stats.linesSkipped).toBeGreaterThanOrEqual(300);
    }
  });

  it('still reports a damaged line it would skip: a truncated line is not one {…} object', () => {
    const bad = path.join(dir, 'truncated.ndjson');
    writeFileSync(bad, [...head, '{"@timestamp": 1, "s": "zz"', '{"@timestamp": 2, "s": "v1"}'].join('\n') + '\n');
    const r = spawnSync(process.execPath, [KESTREL_BIN, 'query', 'process where s == "v1"', bad], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`line ${INFER_DEFAULTS.maxEvents + 1}`);
  });
});

describe('hasLongDigitRun (the exact-integer check before JSON.parse)', () => {
  it('agrees with /\\d{16}/ on any text', () => {
    const text = fc.array(fc.constantFrom('0', '7', '9', 'a', '.', '"', ' '), { maxLength: 120 }).map((a) => a.join(''));
    fc.assert(fc.property(text, (s) => hasLongDigitRun(s) === /\d{16}/.test(s)), { numRuns: 5000 });
  });
});

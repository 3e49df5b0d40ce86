// Join-key pruning in `kestrel query` (src/shared/query/key-gate.ts, key-prune.ts): lines whose
// join key the rare driver step never matched are skipped unparsed. It must never change a
// result: each query runs with pruning and with --parse-all semantics (lineGate: false) over
// events whose keys are spelled to trip a text reading (spacing, dotted keys, arrays, numbers,
// null, escapes, a key of another object with the same name), and the results must be the same;
// pruning must also really skip lines.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readPath } from '../src/shared/input/field-path.js';
import { DEFAULT_QUERY_OPTIONS, executeQuery } from '../src/shared/query/execute.js';
import { queryIds } from './helpers/query-ids.js';
import { INFER_DEFAULTS } from '../src/shared/schema/infer.js';

const dir = mkdtempSync(path.join(tmpdir(), 'kestrel-key-prune-'));

// The head (read in full for schema inference) makes `s == "rare"` rare and `true` common, so the
// planner prunes; it holds a few rare events itself.
const head = Array.from({ length: INFER_DEFAULTS.maxEvents }, (_, i) =>
  JSON.stringify({ '@timestamp': i, event: { category: ['process'] }, id: i, k: `k${i % 40}`, j: `j${i % 7}`, s: i % 2000 === 5 ? 'rare' : 'common', a: { k: `k${i % 40}` } }),
);

// After the head: key spellings, each body once as a rare (driver) event and three times as a
// common one. {K} is a key of that spelling alone, so each result depends on its own lines.
const KEYS = [
  '"k":"{K}"', '"k" : "{K}"', '"k":\t"{K}"', '"a.k":"{K}", "k":"x{K}"', '"a":{"k":"{K}"}, "k":"x{K}"', '"k":["{K}","x"]', '"k":["x","{K}"]', '"k":1', '"k":1.0',
  '"k":null', '', '"k":"{K}\\u0031"', '"k":"{K}", "z":"ends with k"', '"b":{"k":"x{K}"}, "k":"{K}"', '"k":{"inner":"{K}"}', '"k":"y{K}", "k":"{K}"',
  '"k":"é{K}"', '"k":"\ud83d\ude00{K}"', '"j":"J1", "k":"{K}"', '"k":"{K}", "j":"J1"', '"k":"{K}", "j":"J2"', '"a":{"k":"{K}"}, "b":{"k":"x{K}"}',
].map((b, i) => b.replaceAll('{K}', `K${i}`));

/** Driver events with a key text cannot compare (a number, an object) turn pruning off: tested apart. */
const UNCOMPARABLE = new Set(['"k":1', '"k":1.0', '"k":{"inner":"K14"}']);

function events(rareBodies: (body: string, i: number) => boolean = (b, i) => (i % 3 !== 2 || b.includes('\\')) && !UNCOMPARABLE.has(b)): string[] {
  const out: string[] = [];
  let id = INFER_DEFAULTS.maxEvents;
  const push = (s: string, body: string): void => {
    const t = id;
    out.push(`{"@timestamp": ${t}, "event": {"category": ["process"]}, "id": ${id++}, "s": "${s}"${body ? ', ' + body : ''}}`);
  };
  // Rare events for some spellings only, so other keys never get a driver event.
  KEYS.forEach((b, i) => rareBodies(b, i) && push('rare', b));
  for (let round = 0; round < 3; round++) KEYS.forEach((b) => push('common', b));
  // A driver line whose key text differs from the other lines of its key: the first pass must read
  // every candidate (JSON keeps the last of two equal keys), and null candidates hold no key.
  push('rare', '"k":"yP1", "k":"P1"');
  push('rare', '"k":null, "k":"P2"');
  push('rare', '"k":"P3", "k":null');
  for (const k of ['P1', 'P2', 'P3', 'yP1']) push('common', `"k":"${k}"`);
  // Plain events whose keys no driver event has: what pruning should skip.
  for (let i = 0; i < 300; i++) push('common', `"k":"other${i % 9}", "j":"j1"`);
  return out;
}

const QUERIES = [
  'sequence by k [process where s == "rare"] [process where true]',
  'sequence by k [process where true] [process where s == "rare"]',
  'sequence by k [process where s == "rare"] [process where true] [process where s == "common"]',
  'sequence by a.k [process where s == "rare"] [process where true]',
  'sequence by k, j [process where s == "rare"] [process where true]',
  'sequence [process where s == "rare"] by k [process where true] by j',
  'sequence by k [process where s == "rare"] [process where true] until [process where s == "common" and id > 10030]',
  'sequence by k with maxspan=1h [process where s == "rare"] ![process where s == "nothing"] [process where true]',
  'sequence by k with maxspan=40ms [process where s == "rare"] [process where true]',
  'sample by k [process where s == "rare"] [process where true]',
  'sequence by ?k [process where s == "rare"] [process where true]',
  'sequence by k [process where s == "rare"] [process where true] | head 3',
  'sequence by k [process where s == "rare"] [process where true] | tail 2',
];

const run = (query: string, file: string, lineGate: boolean) => queryIds(query, [file], { lineGate });

describe('query join-key pruning', () => {
  const file = path.join(dir, 'keys.ndjson');
  writeFileSync(file, [...head, ...events()].join('\n') + '\n');

  it.each(QUERIES)('same results with and without pruning: %s', async (q) => {
    const pruned = await run(q, file, true);
    const full = await run(q, file, false);
    expect(pruned.ids).toBe(full.ids);
    expect(full.stats.linesPruned).toBe(0);
  });

  it('finds results and skips the lines of keys the rare step never matched', async () => {
    const r = await run(QUERIES[0]!, file, true);
    expect(JSON.parse(r.ids).length).toBeGreaterThan(10);
    // At least the 300 plain events after the head, whose keys no rare event has.
    expect(r.stats.linesPruned).toBeGreaterThanOrEqual(300);
    expect(r.stats.linesSkipped).toBeGreaterThanOrEqual(r.stats.linesPruned);
  });

  it('reports bad input where it is, after the results before it, as without pruning', async () => {
    const broken = path.join(dir, 'broken.ndjson');
    const lines = [...head, ...events()];
    const at = lines.length - 100;
    lines.splice(at, 0, '{"@timestamp": 1, "s": "rare", "k": "K0", ');
    writeFileSync(broken, lines.join('\n') + '\n');
    const outcome = async (lineGate: boolean): Promise<{ ids: unknown[]; error: string }> => {
      const ids: unknown[] = [];
      try {
        await executeQuery(QUERIES[0]!, [broken], { ...DEFAULT_QUERY_OPTIONS, engine: 'interp', lineGate }, (r) => ids.push(r.events.map((e) => (e ? readPath(e.view, 'id') : null))));
      } catch (e) {
        return { ids, error: (e as Error).message };
      }
      return { ids, error: 'none' };
    };
    const pruned = await outcome(true);
    expect(pruned.error).toMatch(new RegExp(`line ${at + 1}: bad JSON`));
    expect(pruned.ids.length).toBeGreaterThan(10);
    expect(pruned).toEqual(await outcome(false));
  });

  it('joins across files and sorts (--sort) with the same results as without pruning', async () => {
    const all = [...head, ...events()];
    const first = path.join(dir, 'part1.ndjson');
    const second = path.join(dir, 'part2.ndjson');
    // The driver events are in the first file; most of their partners in the second.
    writeFileSync(first, all.slice(0, INFER_DEFAULTS.maxEvents + 30).join('\n') + '\n');
    writeFileSync(second, all.slice(INFER_DEFAULTS.maxEvents + 30).join('\n') + '\n');
    for (const sort of [false, true]) {
      const outcome = (lineGate: boolean) => queryIds(QUERIES[0]!, [first, second], { lineGate, sort });
      const pruned = await outcome(true);
      expect(pruned.stats.linesPruned).toBeGreaterThanOrEqual(300);
      expect(JSON.parse(pruned.ids).length).toBeGreaterThan(10);
      expect(pruned.ids).toBe((await outcome(false)).ids);
    }
  });

  it('reads only the selected lines of an ASCII file, where they are, with the same results', async () => {
    // Only ASCII bodies (byte offsets are character offsets); escapes stay (those lines are always
    // read). Blank and comment lines shift line numbers, and the last line has no newline.
    const ascii = [...head, ...events()].filter((l) => Buffer.byteLength(l) === l.length);
    ascii.splice(INFER_DEFAULTS.maxEvents + 7, 0, '', '// a comment', '   ');
    const file = path.join(dir, 'ascii.ndjson');
    writeFileSync(file, ascii.join('\n'));
    let indexed = 0;
    for (const q of QUERIES) {
      const pruned = await run(q, file, true);
      if (pruned.stats.readSelectedOnly) indexed++;
      expect(pruned.ids, q).toBe((await run(q, file, false)).ids);
      // Every record is seen or skipped (a `head` pipe stops reading early).
      if (!q.includes('| head')) expect(pruned.stats.eventsSeen + pruned.stats.linesSkipped, q).toBe(ascii.filter((l) => l.startsWith('{')).length);
    }
    // Every single-key query with its rare driver reads selected lines.
    expect(indexed).toBeGreaterThanOrEqual(8);
    const first = await run(QUERIES[0]!, file, true);
    expect(first.stats.readSelectedOnly).toBe(true);
    expect(first.stats.linesPruned).toBeGreaterThanOrEqual(300);
    // The same file given twice: each copy is read through its own notes.
    const twice = await queryIds(QUERIES[0]!, [file, file], { lineGate: true });
    expect(twice.stats.readSelectedOnly).toBe(true);
    expect(twice.ids).toBe((await queryIds(QUERIES[0]!, [file, file], { lineGate: false })).ids);
    // The last line, with no newline after it, is read and can complete a sequence.
    const tail = path.join(dir, 'tail.ndjson');
    writeFileSync(tail, [...ascii, '{"@timestamp": 99999, "event": {"category": ["process"]}, "id": 99999, "s": "common", "k": "K0"}'].join('\n'));
    const withTail = await run(QUERIES[0]!, tail, true);
    expect(withTail.stats.readSelectedOnly).toBe(true);
    expect(withTail.ids).toBe((await run(QUERIES[0]!, tail, false)).ids);
  });

  it('gives up the index past its line limit and reads the file again, with the same results', async () => {
    const ascii = [...head, ...events()].filter((l) => Buffer.byteLength(l) === l.length);
    const capped = path.join(dir, 'capped.ndjson');
    writeFileSync(capped, ascii.join('\n') + '\n');
    const r = await queryIds(QUERIES[0]!, [capped], { lineGate: true, maxNotedLines: 100 });
    expect(r.stats.readSelectedOnly).toBe(false);
    expect(r.stats.linesPruned).toBeGreaterThanOrEqual(300);
    expect(r.ids).toBe((await queryIds(QUERIES[0]!, [capped], { lineGate: true })).ids);
    expect((await queryIds(QUERIES[0]!, [capped], { lineGate: true })).stats.readSelectedOnly).toBe(true);
  });

  it('reads the whole file again when it is not ASCII (offsets would not be bytes)', async () => {
    const r = await run(QUERIES[0]!, file, true);
    expect(r.stats.linesPruned).toBeGreaterThan(0);
    expect(r.stats.readSelectedOnly).toBe(false);
  });

  it('does not prune when a driver event has a key the text cannot compare (a number)', async () => {
    const other = path.join(dir, 'number-key.ndjson');
    writeFileSync(other, [...head, ...events((b) => b === '"k":1' || b === '"k":"K0"')].join('\n') + '\n');
    const pruned = await run(QUERIES[0]!, other, true);
    expect(pruned.stats.linesPruned).toBe(0);
    expect(pruned.ids).toBe((await run(QUERIES[0]!, other, false)).ids);
  });

  it('does not prune when the other steps mostly share the driver keys (a key of few values)', async () => {
    // j has 7 values in the head, and the sampled rare events hold most of them.
    const q = 'sequence by j [process where s == "rare"] [process where true]';
    const r = await run(q, file, true);
    expect(r.stats.linesPruned).toBe(0);
    expect(r.ids).toBe((await run(q, file, false)).ids);
  });

  it('does not prune when the driver step is not rare in the head', async () => {
    const r = await run('sequence by k [process where s == "common"] [process where true]', file, true);
    expect(r.stats.linesPruned).toBe(0);
  });

  it('does not prune a JSON array file (read whole, so a first pass would parse it twice)', async () => {
    const array = path.join(dir, 'keys.json');
    writeFileSync(array, '[' + [...head, ...events()].join(',\n') + ']');
    const r = await run(QUERIES[0]!, array, true);
    expect(r.stats.linesPruned).toBe(0);
    expect(r.ids).toBe((await run(QUERIES[0]!, file, false)).ids);
  });

  it('does not prune input it cannot read twice (stdin)', async () => {
    const { Readable } = await import('node:stream');
    const stdin = Readable.from([[...head, ...events()].join('\n') + '\n']);
    const results: unknown[] = [];
    const stats = await executeQuery(QUERIES[0]!, ['-'], { ...DEFAULT_QUERY_OPTIONS, engine: 'interp' }, (r) => results.push(r), stdin);
    expect(stats.linesPruned).toBe(0);
    expect(JSON.stringify(results.length)).toBe(JSON.stringify(JSON.parse((await run(QUERIES[0]!, file, false)).ids).length));
  });
});

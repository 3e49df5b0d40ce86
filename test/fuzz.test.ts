// Property tests for the three readers of untrusted input: the EQL parser and checker, the NDJSON
// event reader and the capture reader. Whatever the input, each either succeeds or throws a typed
// KestrelError (a clear message and exit code); never a RangeError, TypeError or hang.
//
// CI runs a quick pass; `node bench/fuzz.bench.mjs` runs the same properties with
// KESTREL_FUZZ_RUNS=1000000 and records the outcome.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { CaptureReader } from '../src/shared/capture/reader.js';
import { CaptureWriter } from '../src/shared/capture/writer.js';
import { checkQuery } from '../src/shared/eql/checker.js';
import { parseQuery } from '../src/shared/eql/parser.js';
import { KestrelError } from '../src/shared/errors.js';
import { readRecords } from '../src/shared/input/read-events.js';
import { encodeEvent } from '../src/shared/record/encode.js';
import { buildLayout } from '../src/shared/record/layout.js';
import { ecsLinuxSchema } from '../src/shared/schema/ecs-linux.js';

const RUNS = Number(process.env.KESTREL_FUZZ_RUNS ?? 400);
/** Per property: 10 minutes, or 3 ms a case for large runs (the capture property takes ~1.4 ms). */
const TIMEOUT = Math.max(600_000, RUNS * 3);
const dir = mkdtempSync(path.join(tmpdir(), 'kestrel-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const schema = ecsLinuxSchema();

/** Runs `f`; a non-Kestrel exception is the failure the property looks for. */
async function typedOrOk(f: () => unknown): Promise<boolean> {
  try {
    await f();
    return true;
  } catch (e) {
    if (e instanceof KestrelError) return true;
    throw e;
  }
}

// EQL text from a token alphabet (so most inputs get past the lexer) mixed with arbitrary text.
const EQL_TOKENS = [
  'process', 'file', 'network', 'any', 'where', 'sequence', 'sample', 'by', 'with', 'maxspan=5s', 'until', 'and', 'or', 'not', 'in', 'in~',
  'like', 'like~', 'regex', ':', '==', '!=', '<', '>=', '+', '-', '*', '/', '%', '(', ')', '[', ']', '![', ',', '|', 'head', 'tail', 'true', 'false',
  'null', 'process.name', 'process.args', 'process.pid', 'user.id', 'file.path', '?foo.bar', '`odd field`', '"bash"', '"/tmp/*"', '"a\\"b"',
  '"""raw"""', '1', '-5', '1.5e3', '9223372036854775808', 'startsWith', 'length', 'cidrMatch', 'substring', '~', 'descendant', 'of', 'as', '#', '//', '/*',
];
// Deep nesting (past every limit) is rarer: each such case parses thousands of tokens.
const eqlText = fc.oneof(
  { weight: 10, arbitrary: fc.array(fc.constantFrom(...EQL_TOKENS), { maxLength: 40 }).map((t) => t.join(' ')) },
  { weight: 10, arbitrary: fc.array(fc.constantFrom(...EQL_TOKENS), { maxLength: 40 }).map((t) => `process where ${t.join(' ')}`) },
  { weight: 5, arbitrary: fc.string({ maxLength: 200 }) },
  { weight: 1, arbitrary: fc.nat({ max: 3_000 }).map((n) => `process where ${'not '.repeat(n)}true`) },
  { weight: 1, arbitrary: fc.nat({ max: 1_000 }).map((n) => `process where ${'('.repeat(n)}true${')'.repeat(n)}`) },
  { weight: 1, arbitrary: fc.nat({ max: 1_000 }).map((n) => `process where ${'-'.repeat(n)}1 == 1`) },
);

// NDJSON text: lines of JSON (some deeply nested, some damaged) or arbitrary text.
const jsonLine = fc.oneof(
  { weight: 5, arbitrary: fc.json({ maxDepth: 6 }) },
  { weight: 5, arbitrary: fc.object({ maxDepth: 4 }).map((o) => JSON.stringify({ '@timestamp': 1, event: { category: 'process' }, ...o })) },
  { weight: 1, arbitrary: fc.nat({ max: 20_000 }).map((n) => `{"a":${'['.repeat(n)}${']'.repeat(n)}}`) },
  { weight: 1, arbitrary: fc.nat({ max: 20_000 }).map((n) => `{"a":${'{"b":'.repeat(n)}1${'}'.repeat(n)}, "big": 12345678901234567890}`) },
  { weight: 5, arbitrary: fc.tuple(fc.json(), fc.nat(), fc.string({ maxLength: 5 })).map(([j, at, s]) => j.slice(0, at % (j.length + 1)) + s + j.slice(at % (j.length + 1))) },
  { weight: 3, arbitrary: fc.string({ maxLength: 80 }) },
  { weight: 1, arbitrary: fc.constant('{"n": 123456789012345678901234567890, "x.y": [1, {"x": {"y": 2}}]}') },
);
const ndjsonText = fc.array(jsonLine, { maxLength: 8 }).map((lines) => lines.join('\n'));

describe('fuzz: untrusted input gives a result or a typed error', () => {
  it('EQL parser and checker', async () => {
    await fc.assert(
      fc.asyncProperty(eqlText, (text) => typedOrOk(() => checkQuery(parseQuery(text), { schema, categoryField: 'event.category', source: text }))),
      { numRuns: RUNS },
    );
  }, TIMEOUT);

  it('NDJSON and JSON-array reader', async () => {
    await fc.assert(
      fc.asyncProperty(ndjsonText, fc.boolean(), (text, asArray) =>
        typedOrOk(async () => {
          const input = asArray ? `[${text.split('\n').join(',')}]` : text;
          for await (const r of readRecords('-', Readable.from([input]))) void r.event;
        }),
      ),
      { numRuns: RUNS },
    );
  }, TIMEOUT);

  it('capture reader, on damaged captures', async () => {
    const layout = buildLayout(schema);
    const file = path.join(dir, 'seed.bin');
    const w = CaptureWriter.create(file, { layout, source: { kestrelVersion: 'fuzz', description: 'fuzz seed' }, chunkRecords: 4 });
    for (let i = 0; i < 12; i++) {
      w.append(encodeEvent(layout, { '@timestamp': `2024-01-01T00:00:0${i % 10}Z`, event: { category: ['process'], action: 'exec' }, process: { pid: i, name: `p${i}`, args: ['a', 'b'] } }, i + 1));
    }
    w.close();
    const seed = new Uint8Array(readFileSync(file));
    const damage = fc.oneof(
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }).map((flips) => (b: Uint8Array) => {
        const c = b.slice();
        for (const [at, v] of flips) c[at % c.length] = v;
        return c;
      }),
      fc.nat().map((n) => (b: Uint8Array) => b.slice(0, n % b.length)),
      fc.tuple(fc.nat(), fc.uint8Array({ maxLength: 64 })).map(([at, ins]) => (b: Uint8Array) => {
        const i = at % b.length;
        return new Uint8Array([...b.subarray(0, i), ...ins, ...b.subarray(i)]);
      }),
    );
    await fc.assert(
      fc.asyncProperty(damage, fc.boolean(), (hurt, skipCorrupt) =>
        typedOrOk(async () => {
          const r = await CaptureReader.fromBytes(hurt(seed), { skipCorrupt });
          for await (const chunk of r.chunks()) void chunk.payload.length;
        }),
      ),
      { numRuns: RUNS },
    );
  }, TIMEOUT);

  it('finds non-Kestrel errors when there are some (the property is not vacuous)', async () => {
    await expect(typedOrOk(() => JSON.parse('{'))).rejects.toThrow(SyntaxError);
  });
});

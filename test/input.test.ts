// Event input: formats, exact integers, dotted keys, event time and ES ordering, and the exact
// error locations users see.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { InputError } from '../src/shared/errors.js';
import { toMillis } from '../src/shared/input/event-time.js';
import { parseJsonExact } from '../src/shared/input/json-exact.js';
import { normalizeEvent } from '../src/shared/input/normalize.js';
import { readRecords } from '../src/shared/input/read-events.js';
import { sortEvents, timedEvents } from '../src/shared/input/timed-events.js';

const dir = mkdtempSync(path.join(tmpdir(), 'kestrel-input-'));
function file(name: string, text: string): string {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  return p;
}
async function events(p: string): Promise<Record<string, unknown>[]> {
  const out = [];
  for await (const r of readRecords(p, Readable.from([]))) out.push(r.event);
  return out;
}
async function failure(p: string): Promise<InputError> {
  try {
    await events(p);
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error('expected an InputError');
}

describe('JSON', () => {
  it('keeps integers beyond 2^53 exact and agrees with JSON.parse elsewhere', () => {
    expect(parseJsonExact('{"a": 9007199254740993, "b": 9007199254740991, "c": 1.5e300, "d": "1234567890123456"}')).toEqual({
      a: 9007199254740993n,
      b: 9007199254740991,
      c: 1.5e300,
      d: '1234567890123456',
    });
    const sample = '{"x":[1,-0,0.1,1e5,"\\u00e9\\n",true,null,{"__proto__":1}]}';
    expect(parseJsonExact(sample + ' '.repeat(0))).toEqual(JSON.parse(sample));
    const forced = `{"pad":"1234567890123456","x":[1,-0,0.1,1e5,"\\u00e9\\n",true,null,{"__proto__":1}]}`;
    expect(parseJsonExact(forced)).toEqual(JSON.parse(forced));
  });
});

describe('formats', () => {
  it('reads NDJSON, arrays and .data files with // comments', async () => {
    expect(await events(file('a.ndjson', '{"a":1}\n\n{"a":2}\n'))).toEqual([{ a: 1 }, { a: 2 }]);
    expect(await events(file('b.json', '[{"a":1},{"a":2}]'))).toEqual([{ a: 1 }, { a: 2 }]);
    expect(await events(file('c.data', '[\n  // first\n  {"a":1},\n////x\n  {"a":2}\n]\n'))).toEqual([{ a: 1 }, { a: 2 }]);
    expect(await events(file('empty.ndjson', '\n'))).toEqual([]);
  });

  it('reads every NDJSON line whole across 64 KiB read boundaries (lines straddling one, spanning several)', async () => {
    // Lengths chosen so boundaries fall everywhere in a line: at its start, middle, newline.
    const lines: string[] = [];
    let size = 0;
    for (let i = 0; size < 600_000; i++) {
      const pad = i % 97 === 5 ? 150_000 : (i * 7919) % 3000;
      const line = JSON.stringify({ '@timestamp': i, i, pad: 'p'.repeat(pad), tail: `é${i}` });
      lines.push(line);
      size += Buffer.byteLength(line) + 1;
    }
    // CRLF after the last full line, then a final line without a newline.
    const p = file('boundaries.ndjson', lines.join('\n') + '\r\n' + lines[0]);
    expect(await events(p)).toEqual([...lines, lines[0]!].map((l) => JSON.parse(l)));
  });

  it('expands dotted keys into the nested objects they name', () => {
    expect(normalizeEvent({ 'process.pid': 1, process: { name: 'x' }, 'a.b.c': [{ 'd.e': 2 }] })).toEqual({
      process: { pid: 1, name: 'x' },
      a: { b: { c: [{ d: { e: 2 } }] } },
    });
  });

  it('names the file and line (NDJSON) or record and line (arrays) of bad input', async () => {
    const nd = await failure(file('bad.ndjson', '{"a":1}\n{"a":\n'));
    expect(nd.message).toBe('line 2: bad JSON: unexpected end of input');
    expect(nd.file).toMatch(/bad\.ndjson$/);
    expect((await failure(file('bad2.ndjson', '{"a":1}\n[1]\n'))).message).toBe('line 2: expected a JSON object per line');
    expect((await failure(file('bad.json', '[\n{"a":1},\n 5\n]'))).message).toBe('record 1 (line 3): expected a JSON object');
    expect((await failure(file('bad2.json', '[\n{"a":1},\n{"a" 1}\n]'))).message).toBe("line 3: bad JSON: expected ':'");
  });
});

describe('event time and order', () => {
  it('accepts epoch millis, numeric strings, ISO-8601 and FILETIME', () => {
    expect(toMillis(5, 'ms', 't')).toBe(5);
    expect(toMillis('1234567991', 'ms', 't')).toBe(1234567991);
    expect(toMillis('2022-05-04T12:00:00.001Z', 'ms', 't')).toBe(Date.UTC(2022, 4, 4, 12, 0, 0, 1));
    expect(toMillis('2022-05-04T12:00:00', 'ms', 't')).toBe(Date.UTC(2022, 4, 4, 12));
    expect(toMillis(131485996510000000n, 'filetime', 't')).toBe(1504126051000);
    expect(() => toMillis('yesterday', 'ms', 't')).toThrow(/not a time/);
  });

  it('reports a bad time with its record location', async () => {
    const p = file('t.json', '[\n{"@timestamp": 1},\n{"@timestamp": "soon"}\n]');
    const run = async () => {
      for await (const _e of timedEvents([p], { timeField: '@timestamp', timeUnit: 'ms' })) void _e;
    };
    await expect(run()).rejects.toThrow('record 1 (line 3): @timestamp: not a time (epoch millis or ISO-8601): "soon"');
  });

  it('sorts stably by time then tiebreaker, missing values last', () => {
    const ev = [
      { view: { id: 1, tb: 2 }, time: 5, seq: 0 },
      { view: { id: 2 }, time: 1, seq: 1 },
      { view: { id: 3, tb: 1 }, time: 5, seq: 2 },
      { view: { id: 4, tb: 9 }, time: null, seq: 3 },
      { view: { id: 5, tb: 1 }, time: 5, seq: 4 },
    ];
    const sorted = sortEvents(ev, 'tb');
    expect(sorted.map((e) => (e.view as { id: number }).id)).toEqual([2, 3, 5, 1, 4]);
    expect(sorted.map((e) => e.seq)).toEqual([0, 1, 2, 3, 4]);
  });
});

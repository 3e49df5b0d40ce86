// The alert sink writes every line, in order, byte for byte as the line's UTF-8 and a newline:
// to a file (appended to) or a stream, in blocks (replay) or line by line (live), whatever the
// lines' sizes and characters.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { openAlertSink } from '../src/main/pipeline/alert-sink.js';

const dir = mkdtempSync(join(tmpdir(), 'kestrel-alert-sink-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Lines of every kind: short, multi-byte, a lone surrogate, and ones longer than a block buffer. */
function lines(): string[] {
  const out: string[] = [];
  for (let i = 0; i < 3000; i++) {
    if (i % 500 === 7) out.push(`{"big":"${'é'.repeat(100_000 + i)}"}`);
    else if (i % 97 === 3) out.push(`{"n":${i},"s":"lone \ud800 surrogate"}`);
    else out.push(JSON.stringify({ n: i, rule: i % 3 ? 'Shell — outbound connection' : 'plain ascii', pad: 'x'.repeat(i % 700) }));
  }
  return out;
}

const expected = (ls: string[]) => Buffer.from(ls.map((l) => `${l}\n`).join(''), 'utf8');

describe('alert sink', () => {
  for (const immediate of [false, true]) {
    it(`appends every line to a file, in order (${immediate ? 'live' : 'blocks'})`, async () => {
      const file = join(dir, `a-${immediate}.ndjson`);
      writeFileSync(file, 'earlier\n');
      const ls = lines();
      const sink = await openAlertSink(file, new PassThrough(), { immediate });
      for (const l of ls) sink.write(l);
      await sink.close();
      expect(sink.count).toBe(ls.length);
      expect(readFileSync(file).equals(Buffer.concat([Buffer.from('earlier\n'), expected(ls)]))).toBe(true);
    });

    it(`writes every line to a stream, in order, chunks untouched while the reader waits (${immediate ? 'live' : 'blocks'})`, async () => {
      // Nothing reads until the end: the stream holds every chunk it was given meanwhile.
      const out = new PassThrough({ highWaterMark: 1 << 30 });
      const ls = lines();
      const sink = await openAlertSink(undefined, out, { immediate });
      for (const l of ls) sink.write(l);
      await sink.close();
      out.end();
      const chunks: Buffer[] = [];
      for await (const c of out) chunks.push(c as Buffer);
      expect(Buffer.concat(chunks).equals(expected(ls))).toBe(true);
    });
  }
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createSchema } from '../src/shared/schema/schema.js';
import { buildLayout } from '../src/shared/record/layout.js';
import { encodeEvent } from '../src/shared/record/encode.js';
import { decodeRecord } from '../src/shared/record/decode.js';
import { CaptureWriter, type CaptureWriterOptions } from '../src/shared/capture/writer.js';
import { CaptureReader, type CaptureReaderOptions } from '../src/shared/capture/reader.js';
import { ChunkPool } from '../src/shared/capture/chunk-pool.js';
import { ChunkHeader, FileHeader } from '../src/shared/capture/format.js';
import { InputError } from '../src/shared/errors.js';

const schema = createSchema(
  'capture-test',
  [
    { path: '@timestamp', type: 'date' },
    { path: 'process.name', type: 'keyword' },
    { path: 'process.pid', type: 'long' },
    { path: 'process.args', type: 'keyword', multi: true },
  ],
  { strict: true },
);
const layout = buildLayout(schema);
const source = { host: 'test-host', kernel: '6.1.0', startTime: '2024-05-01T12:00:00Z', kestrelVersion: '0.1.0' };

function event(i: number) {
  return { '@timestamp': new Date(Date.UTC(2024, 4, 1, 12, 0, i)).toISOString(), process: { name: `p${i}`, pid: 100 + i, args: [`p${i}`, '-x'] } };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'kestrel-capture-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Writes `n` events (seq 1…n) and returns the file bytes and where each chunk starts. */
function writeCapture(n: number, opts: Partial<CaptureWriterOptions> = {}, close = true): Uint8Array {
  const file = path.join(dir, `c-${n}-${Math.random().toString(36).slice(2)}.bin`);
  const w = CaptureWriter.create(file, { layout, source, chunkRecords: 3, ...opts });
  for (let i = 1; i <= n; i++) w.append(encodeEvent(layout, event(i), i));
  if (close) w.close();
  else w.flush();
  return new Uint8Array(readFileSync(file));
}

async function readAll(bytes: Uint8Array, opts: CaptureReaderOptions = {}) {
  const r = await CaptureReader.fromBytes(bytes, opts);
  const events: unknown[] = [];
  const seqs: number[] = [];
  for await (const v of r.records()) {
    seqs.push(v.seq);
    events.push(decodeRecord(v));
  }
  return { events, seqs, warnings: r.warnings, stats: r.stats, reader: r };
}

async function chunkOffsets(bytes: Uint8Array): Promise<number[]> {
  const r = await CaptureReader.fromBytes(bytes);
  const out: number[] = [];
  for await (const c of r.chunks()) out.push(c.offset);
  return out;
}

const expectedEvents = (ids: number[]) => ids.map(event);
const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => a + i);

/** Set by a setImmediate callback: whether the event loop turned since it was scheduled. */
let turnedSince = false;

describe('capture write and read', () => {
  it('round-trips records, chunk metadata and the header', async () => {
    const bytes = writeCapture(7);
    const { events, seqs, warnings, stats, reader } = await readAll(bytes);
    expect(events).toEqual(expectedEvents(range(1, 7)));
    expect(seqs).toEqual(range(1, 7));
    expect(warnings).toEqual([]);
    expect(stats).toEqual({ chunks: 3, records: 7, corruptChunks: 0, footer: 'ok' });
    expect(reader.meta.source).toEqual(source);
    expect(reader.meta.schemaHash).toBe(layout.hash);
    const chunks = [];
    for await (const c of reader.chunks()) chunks.push({ i: c.index, n: c.recordCount, first: c.firstSeq, last: c.lastSeq, t0: c.firstTimestampNs, t1: c.lastTimestampNs });
    expect(chunks).toEqual([
      { i: 0, n: 3, first: 1n, last: 3n, t0: 1714564801000000000n, t1: 1714564803000000000n },
      { i: 1, n: 3, first: 4n, last: 6n, t0: 1714564804000000000n, t1: 1714564806000000000n },
      { i: 2, n: 1, first: 7n, last: 7n, t0: 1714564807000000000n, t1: 1714564807000000000n },
    ]);
  });

  it('chunkPool: every chunk in a buffer of its own, still intact after later chunks are read', async () => {
    const bytes = writeCapture(7);
    const copies: Uint8Array[] = [];
    const kept: Uint8Array[] = [];
    for (const fresh of [false, true]) {
      const r = await CaptureReader.fromBytes(bytes, fresh ? { chunkPool: new ChunkPool() } : {});
      for await (const c of r.chunks()) {
        if (fresh) kept.push(c.payload);
        else copies.push(c.payload.slice());
      }
    }
    expect(kept).toEqual(copies);
    expect(new Set(kept.map((k) => k.buffer)).size).toBe(3);
    // A plain Uint8Array, not a Buffer (whose slice() is a view, not a copy).
    expect(Buffer.isBuffer(kept[0])).toBe(false);
    // The default reuses one buffer: what was kept from it is overwritten.
    const r = await CaptureReader.fromBytes(bytes);
    const reused: Uint8Array[] = [];
    for await (const c of r.chunks()) reused.push(c.payload);
    expect(reused[0]!.buffer).toBe(reused[1]!.buffer);
  });

  it('a file capture lets the event loop turn between chunks (its reads are synchronous)', async () => {
    // Replay takes messages from other threads (a compiled predicate module, a helper's ready
    // signal) between chunks: without a turn of the event loop they would never arrive.
    const file = path.join(dir, 'turns.bin');
    writeFileSync(file, writeCapture(7));
    const r = await CaptureReader.open(file);
    const turned: boolean[] = [];
    try {
      for await (const c of r.chunks()) {
        if (turned.length > 0) turned[turned.length - 1] = turnedSince;
        turnedSince = false;
        setImmediate(() => (turnedSince = true));
        turned.push(false);
        expect(c.recordCount).toBeGreaterThan(0);
      }
    } finally {
      await r.close();
    }
    expect(turned.slice(0, -1)).toEqual([true, true]);
  });

  it('seals chunks by byte size', async () => {
    const one = encodeEvent(layout, event(1), 1).length;
    const bytes = writeCapture(10, { chunkRecords: 1000, chunkBytes: one * 4 });
    const r = await CaptureReader.fromBytes(bytes);
    const sizes = [];
    for await (const c of r.chunks()) sizes.push(c.recordCount);
    expect(sizes).toEqual([4, 4, 2]);
  });

  it('writes the same bytes for the same input (sync policy does not change the file)', () => {
    let t = 0;
    const a = writeCapture(5, { sync: 'interval', syncIntervalMs: 10, now: () => (t += 7) });
    const b = writeCapture(5, { sync: 'chunk' });
    expect(Buffer.from(a)).toEqual(Buffer.from(b));
  });

  it('reads a capture that was never closed (no footer) with a warning', async () => {
    const bytes = writeCapture(7, {}, false);
    const { events, warnings, stats } = await readAll(bytes);
    expect(events).toEqual(expectedEvents(range(1, 7)));
    expect(stats.footer).toBe('missing');
    expect(warnings.map((w) => w.code)).toEqual(['capture.no-footer']);
  });

  it('opens files from disk and reports a missing file as an input error', async () => {
    await expect(CaptureReader.open(path.join(dir, 'nope.bin'))).rejects.toThrow(InputError);
    const file = path.join(dir, 'disk.bin');
    writeFileSync(file, writeCapture(4));
    const r = await CaptureReader.open(file);
    let n = 0;
    for await (const v of r.records()) n += v.seq;
    await r.close();
    expect(n).toBe(1 + 2 + 3 + 4);
  });
});

describe('capture damage', () => {
  it('detects every flipped byte, naming the chunk and offset, or reads identical records', async () => {
    const bytes = writeCapture(5);
    const good = (await readAll(bytes)).events;
    let detected = 0;
    for (let i = 0; i < bytes.length; i++) {
      const bad = bytes.slice();
      bad[i]! ^= 0xff;
      try {
        const { events, warnings } = await readAll(bad);
        // Not detected: must be harmless.
        expect(events, `flip at byte ${i}`).toEqual(good);
        expect(warnings, `flip at byte ${i}`).toEqual([]);
      } catch (e) {
        expect(e, `flip at byte ${i}`).toBeInstanceOf(InputError);
        const ctx = (e as InputError).context!;
        expect(typeof ctx.offset).toBe('number');
        expect('chunk' in ctx).toBe(true);
        expect((e as Error).message).toMatch(/(chunk \d+|file header( metadata)?|index) at byte \d+|newer than|not a Kestrel capture/);
        detected++;
      }
    }
    // Every byte of this format is covered by a magic, a version check or a CRC.
    expect(detected).toBe(bytes.length);
  });

  it('names the damaged chunk and its byte offset', async () => {
    const bytes = writeCapture(7);
    const offsets = await chunkOffsets(bytes);
    const bad = bytes.slice();
    bad[offsets[1]! + ChunkHeader.size + 3]! ^= 1;
    const err = await readAll(bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toBe(`chunk 1 at byte ${offsets[1]}: payload CRC mismatch`);
    expect((err as InputError).context).toEqual({ chunk: 1, offset: offsets[1] });
  });

  it('replays the complete chunks with a warning when cut anywhere in the last chunk or the footer', async () => {
    const bytes = writeCapture(7);
    const offsets = await chunkOffsets(bytes);
    const last = offsets[2]!;
    for (let cut = last; cut < bytes.length; cut++) {
      const { events, warnings, stats } = await readAll(bytes.subarray(0, cut));
      expect(warnings.length, `cut at ${cut}`).toBe(1);
      expect(['capture.truncated', 'capture.no-footer']).toContain(warnings[0]!.code);
      const complete = stats.chunks === 3 ? range(1, 7) : range(1, 6);
      expect(events, `cut at ${cut}`).toEqual(expectedEvents(complete));
    }
  });

  it('refuses a newer major version with a clear message', async () => {
    const bytes = writeCapture(2);
    const bad = bytes.slice();
    new DataView(bad.buffer).setUint16(FileHeader.major, 2, true);
    const err = await CaptureReader.fromBytes(bad, {}, 'new.bin').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toBe('capture format version 2.0 is newer than this Kestrel reads (1.x)');
    expect((err as InputError).hint).toBe('upgrade Kestrel to read this capture');
    expect((err as InputError).file).toBe('new.bin');
  });

  it('skipCorrupt skips and counts damaged chunks (payload or header damage)', async () => {
    const bytes = writeCapture(10);
    const offsets = await chunkOffsets(bytes);
    const bad = bytes.slice();
    bad[offsets[1]! + ChunkHeader.size + 10]! ^= 0xff; // payload of chunk 1
    bad[offsets[3]! + 5]! ^= 0xff; // header of chunk 3 (record count)
    const { events, stats, warnings } = await readAll(bad, { skipCorrupt: true });
    expect(stats.corruptChunks).toBe(2);
    expect(stats.chunks).toBe(2);
    expect(events).toEqual(expectedEvents([1, 2, 3, 7, 8, 9]));
    expect(warnings.map((w) => [w.code, w.chunk])).toEqual([
      ['capture.corrupt-skipped', 1],
      ['capture.corrupt-skipped', 3],
      ['capture.footer-mismatch', undefined],
    ]);
  });
});

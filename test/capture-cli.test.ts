import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { main } from '../src/main/cli.js';
import { ChunkHeader } from '../src/shared/capture/format.js';

async function kestrel(...argv: string[]) {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (d) => (stdout += d));
  err.on('data', (d) => (stderr += d));
  const code = await main(argv, { out, err, stdin: new PassThrough() });
  return { code, stdout, stderr };
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'kestrel-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('kestrel synth / capture info', () => {
  it('lists scenarios', async () => {
    const r = await kestrel('synth', '--list');
    expect(r.code).toBe(0);
    for (const name of ['mixed', 'benign', 'attacks', 'reverse-shell', 'web-shell']) expect(r.stdout).toContain(name);
  });

  it('writes the same file twice for the same seed, and capture info describes it', async () => {
    const a = path.join(dir, 'a.bin');
    const b = path.join(dir, 'b.bin');
    expect((await kestrel('synth', '--scenario', 'attacks', '--events', '3000', '--seed', '5', '-o', a)).code).toBe(0);
    expect((await kestrel('synth', '--scenario', 'attacks', '--events', '3000', '--seed', '5', '-o', b)).code).toBe(0);
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true);

    const info = await kestrel('capture', 'info', '--format', 'json', a);
    expect(info.code).toBe(0);
    const j = JSON.parse(info.stdout);
    expect(j.schema.name).toBe('ecs-linux');
    expect(j.schema.fields).toBeGreaterThan(100);
    expect(j.records).toBe(3000);
    expect(j.seq).toEqual({ first: '1', last: '3000' });
    expect(j.time.first.startsWith('2024-01-01T00:00:00')).toBe(true);
    expect(j.integrity).toMatchObject({ ok: true, corruptChunks: 0, footer: 'ok' });
    expect(j.chunks.reduce((n: number, c: { records: number }) => n + c.records, 0)).toBe(3000);
    expect(j.source.description).toBe('synth attacks seed=5 events=3000');

    const text = await kestrel('capture', 'info', a);
    expect(text.stdout).toMatch(/records {5}3000 \(seq 1 … 3000\)/);
    expect(text.stdout).toContain('integrity   ok');
  });

  it('reports damage with exit code 2, naming chunk and offset', async () => {
    const a = path.join(dir, 'c.bin');
    await kestrel('synth', '--events', '3000', '--seed', '1', '-o', a);
    const info = JSON.parse((await kestrel('capture', 'info', '--format', 'json', a)).stdout);
    const bytes = readFileSync(a);
    const chunk = info.chunks[1];
    bytes[chunk.offset + ChunkHeader.size + 100]! ^= 0xff;
    const bad = path.join(dir, 'bad.bin');
    writeFileSync(bad, bytes);
    const r = await kestrel('capture', 'info', '--format', 'json', bad);
    expect(r.code).toBe(2);
    expect(JSON.parse(r.stdout).integrity.error).toEqual({ code: 'capture.corrupt-chunk', message: `chunk 1 at byte ${chunk.offset}: payload CRC mismatch`, context: { chunk: 1, offset: chunk.offset } });
    const skipped = JSON.parse((await kestrel('capture', 'info', '--format', 'json', '--skip-corrupt', bad)).stdout);
    expect(skipped.integrity).toMatchObject({ ok: false, corruptChunks: 1 });
    expect(skipped.records).toBe(3000 - chunk.records);
  });

  it('rejects bad usage', async () => {
    expect((await kestrel('capture', 'list', 'x.bin')).code).toBe(64);
    expect((await kestrel('synth', '--events', 'many', '-o', path.join(dir, 'x.bin'))).stderr).toContain('--events must be a non-negative integer');
  });
});

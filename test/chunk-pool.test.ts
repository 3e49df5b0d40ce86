// Capture chunks replay keeps while predicate jobs hold them (ChunkPool, pushRecords' release):
// a buffer is reused only once nothing reads it, and alerts do not change when it is.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { KESTREL_BIN, distModule } from './helpers/dist.js';
import { ChunkPool } from '../src/shared/capture/chunk-pool.js';
import { CaptureReader } from '../src/shared/capture/reader.js';
import { loadCheckedRules } from '../src/main/pipeline/load-rules.js';

const dir = mkdtempSync(join(tmpdir(), 'kestrel-chunk-pool-'));
const capture = join(dir, 'c.bin');

beforeAll(() => {
  distModule('main/cli.js');
  const r = spawnSync(process.execPath, [KESTREL_BIN, 'synth', '--events', '12000', '--seed', '3', '--attack-rate', '0.02', '-o', capture], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ChunkPool', () => {
  it('hands back a given buffer for a chunk that fits, a new one otherwise, and keeps at most maxFree', () => {
    const pool = new ChunkPool(2);
    const a = pool.take(1000);
    expect(a.length).toBe(1000);
    expect(Buffer.isBuffer(a)).toBe(false);
    pool.give(a);
    const b = pool.take(900);
    expect(b.buffer).toBe(a.buffer);
    expect(b.length).toBe(900);
    // Bigger than anything pooled: a new buffer, and the pooled one stays.
    pool.give(b);
    const big = pool.take(a.buffer.byteLength + 1);
    expect(big.buffer).not.toBe(a.buffer);
    expect(pool.freeCount).toBe(1);
    pool.give(big);
    pool.give(pool.take(10).slice());
    expect(pool.freeCount).toBe(2);
    pool.give(new Uint8Array(10));
    expect(pool.freeCount).toBe(2);
  });
});

describe('replay with pooled chunks', () => {
  async function replay(workers: number, pooled: boolean): Promise<{ alerts: string[]; chunks: number; released: number; releasedEarly: number }> {
    const { DetectionPipeline } = (await import(distModule('main/pipeline/detection.js'))) as typeof import('../src/main/pipeline/detection.js');
    const pool = new ChunkPool();
    const reader = await CaptureReader.open(capture, pooled ? { chunkPool: pool } : {});
    const rules = await loadCheckedRules(['rules'], reader.schema, { err: new PassThrough() });
    const alerts: string[] = [];
    const p = await DetectionPipeline.start({ rules: rules.specs, schema: reader.meta.schema, workers, mode: 'replay', onAlert: (j) => alerts.push(j) });
    // Jobs go to the helper only once it is up: wait, so that path is the one tested.
    await p.helpersUp();
    let chunks = 0;
    let released = 0;
    let releasedEarly = 0;
    for await (const chunk of reader.chunks()) {
      const bytes = chunk.payload;
      const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const offsets: number[] = [];
      for (let off = 0; off < bytes.length; off += dv.getUint32(off, true)) offsets.push(off);
      let inPush = true;
      chunks++;
      const release = (): void => {
        released++;
        if (inPush) releasedEarly++;
        // Whatever still read these bytes would now see garbage, and the alerts would change.
        bytes.fill(0xa5);
        pool.give(bytes);
      };
      p.pushRecords(bytes, offsets, offsets.length, pooled ? release : undefined);
      inPush = false;
      await p.flush();
    }
    await p.finish();
    await reader.close();
    const placed = p.jobPlacement;
    if (workers > 0) {
      // One job per chunk here (each under PREDICATE_JOB_RECORDS), each run exactly once somewhere.
      expect(placed.workers + placed.hereInOrder + placed.hereAhead).toBe(chunks);
      expect(placed.workers).toBeGreaterThan(0);
    } else expect(placed).toEqual({ workers: 0, hereInOrder: 0, hereAhead: 0 });
    return { alerts, chunks, released, releasedEarly };
  }

  it('gives every chunk back once its jobs are routed, with the same alerts as a single thread', async () => {
    const ref = await replay(0, false);
    expect(ref.alerts.length).toBeGreaterThan(5);
    const one = await replay(1, true);
    expect(one.alerts).toEqual(ref.alerts);
    expect(one.chunks).toBeGreaterThan(3);
    expect(one.released).toBe(one.chunks);
    // Jobs are routed by flush(), never inside pushRecords: a chunk with jobs is not given back there.
    expect(one.releasedEarly).toBe(0);
    // Without workers nothing keeps a chunk: it is given back before pushRecords returns.
    const none = await replay(0, true);
    expect(none.alerts).toEqual(ref.alerts);
    expect(none.releasedEarly).toBe(none.chunks);
  });
});

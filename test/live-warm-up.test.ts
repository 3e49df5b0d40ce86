// Live mode warms its hot path on synthetic events before the first real one (pipeline/warm-up.ts).
// The warm-up must really run, must never show in the output (its alerts go nowhere, its state is
// dropped), and replay must not do it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KESTREL_BIN, distModule } from './helpers/dist.js';

const dir = mkdtempSync(join(tmpdir(), 'kestrel-warm-up-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(capture: string, mode: 'live' | 'replay', warmUp: boolean, workers: number) {
  const { DetectionPipeline } = (await import(distModule('main/pipeline/detection.js'))) as typeof import('../src/main/pipeline/detection.js');
  const { CaptureReader } = (await import(distModule('shared/capture/reader.js'))) as typeof import('../src/shared/capture/reader.js');
  const { loadCheckedRules } = (await import(distModule('main/pipeline/load-rules.js'))) as typeof import('../src/main/pipeline/load-rules.js');
  const reader = await CaptureReader.open(capture);
  const rules = (await loadCheckedRules(['rules'], reader.schema, { err: { write: () => true } as never })).specs;
  const alerts: string[] = [];
  const pipeline = await DetectionPipeline.start({ rules, schema: reader.meta.schema, workers, mode, warmUp, onAlert: (json) => alerts.push(json) });
  for await (const chunk of reader.chunks()) {
    const bytes = chunk.payload;
    const offsets: number[] = [];
    for (let off = 0; off < bytes.length; off += new DataView(bytes.buffer, bytes.byteOffset + off, 4).getUint32(0, true)) offsets.push(off);
    pipeline.pushRecords(bytes, offsets, offsets.length);
    await pipeline.flush();
  }
  await pipeline.finish();
  await reader.close();
  return { alerts, warmedUp: pipeline.warmedUp };
}

describe('live warm-up', () => {
  const capture = join(dir, 'attacks.bin');
  const made = spawnSync(process.execPath, [KESTREL_BIN, 'synth', '--events', '6000', '--seed', '5', '--attack-rate', '0.05', '-o', capture], { encoding: 'utf8' });

  it('runs synthetic events first in live mode, and the alerts are exactly those of a cold live run', async () => {
    expect(made.status, made.stderr).toBe(0);
    for (const workers of [0, 1]) {
      const warm = await run(capture, 'live', true, workers);
      const cold = await run(capture, 'live', false, workers);
      expect(warm.warmedUp?.events, `workers ${workers}`).toBeGreaterThan(1000);
      expect(cold.warmedUp).toBeUndefined();
      expect(cold.alerts.length).toBeGreaterThan(5);
      expect(warm.alerts).toEqual(cold.alerts);
    }
  }, 60_000);

  it('replay never warms up', async () => {
    expect((await run(capture, 'replay', true, 0)).warmedUp).toBeUndefined();
  }, 30_000);
});

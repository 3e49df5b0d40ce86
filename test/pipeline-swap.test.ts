// Ruleset generations at the pipeline level: swapping rules mid-stream gives the same alerts for
// the single-thread path and the sharded runtime, and each generation only judges its own events.
import { describe, expect, it, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KESTREL_BIN, distModule } from './helpers/dist.js';

const capture = join(mkdtempSync(join(tmpdir(), 'kestrel-swap-')), 'swap.bin');

beforeAll(() => {
  const r = spawnSync(process.execPath, [KESTREL_BIN, 'synth', '--events', '12000', '--seed', '21', '--attack-rate', '0.02', '-o', capture], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
});

async function replayWithSwap(workers: number, swapAt: number): Promise<{ seq: number; id: string }[]> {
  const { DetectionPipeline } = (await import(distModule('main/pipeline/detection.js'))) as typeof import('../src/main/pipeline/detection.js');
  const { CaptureReader } = (await import(distModule('shared/capture/reader.js'))) as typeof import('../src/shared/capture/reader.js');
  const { loadCheckedRules } = (await import(distModule('main/pipeline/load-rules.js'))) as typeof import('../src/main/pipeline/load-rules.js');
  const reader = await CaptureReader.open(capture);
  const all = (await loadCheckedRules(['rules'], reader.schema, { err: { write: () => true } as never })).specs;
  const shellRules = all.filter((r) => /shell/i.test(r.name));
  const alerts: { seq: number; id: string }[] = [];
  const pipeline = await DetectionPipeline.start({
    rules: all,
    schema: reader.meta.schema,
    workers,
    mode: 'replay',
    onAlert: (json, seq) => alerts.push({ seq, id: JSON.parse(json).rule.id }),
  });
  let n = 0;
  for await (const chunk of reader.chunks()) {
    const bytes = chunk.payload;
    for (let off = 0; off < bytes.length; ) {
      const len = new DataView(bytes.buffer, bytes.byteOffset + off, 4).getUint32(0, true);
      if (n++ === swapAt) await pipeline.swapRules(shellRules);
      pipeline.pushRecord(bytes, off, len);
      off += len;
    }
    await pipeline.flush();
  }
  await pipeline.finish();
  await reader.close();
  expect(shellRules.length).toBeGreaterThan(0);
  expect(shellRules.length).toBeLessThan(all.length);
  return alerts;
}

describe('ruleset generations in the pipeline', () => {
  it('switches rules at one event, the same way with 0, 2 (predicate helpers) and 3 (partitioned state) workers', async () => {
    const single = await replayWithSwap(0, 6000);
    const helped = await replayWithSwap(2, 6000);
    expect(helped).toEqual(single);
    const sharded = await replayWithSwap(3, 6000);
    expect(sharded).toEqual(single);
    expect(single.length).toBeGreaterThan(5);
    // After the switch only the second generation's (shell) rules can complete a match.
    const { loadRules } = (await import(distModule('shared/rules/index.js'))) as typeof import('../src/shared/rules/index.js');
    const shellIds = new Set((await loadRules(['rules'])).rules.filter((r) => /shell/i.test(r.name)).map((r) => r.id));
    const late = single.filter((a) => a.seq >= 6000);
    expect(late.length).toBeGreaterThan(0);
    expect(late.every((a) => shellIds.has(a.id))).toBe(true);
    expect(single.some((a) => a.seq < 6000 && !shellIds.has(a.id))).toBe(true);
  });
});

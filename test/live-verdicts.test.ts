// Live mode's verdicts come on time and are never invented at shutdown (DetectionPipeline mode
// 'live', as `kestrel run` drives it), for the single-thread path and the sharded runtime:
// - a sample is emitted as soon as it completes, not when the run ends;
// - a trailing missing-event window closes when the processing-time watermark passes its deadline,
//   with no further event needed;
// - a window still open at shutdown gives no verdict (replay of the same events, where the end is
//   the end of the data, accepts it as Elasticsearch does).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KESTREL_BIN, distModule } from './helpers/dist.js';

const dir = mkdtempSync(join(tmpdir(), 'kestrel-live-verdicts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const STOPPED = 'rules/defense_evasion/security_agent_stopped_not_restarted';
const SAMPLE = 'rules/execution/base64_payload_piped_to_shell';

/** A capture of the given NDJSON lines (ECS records, as the sensor would write them). */
function captureOf(name: string, lines: string[]): string {
  const ndjson = join(dir, `${name}.ndjson`);
  writeFileSync(ndjson, lines.join('\n') + '\n');
  const out = join(dir, `${name}.bin`);
  const r = spawnSync(process.execPath, [KESTREL_BIN, 'convert', ndjson, out], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return out;
}

type Pipeline = import('../src/main/pipeline/detection.js').DetectionPipeline;

async function open(capture: string, ruleFile: string, workers: number, mode: 'live' | 'replay') {
  const { DetectionPipeline } = (await import(distModule('main/pipeline/detection.js'))) as typeof import('../src/main/pipeline/detection.js');
  const { CaptureReader } = (await import(distModule('shared/capture/reader.js'))) as typeof import('../src/shared/capture/reader.js');
  const { loadCheckedRules } = (await import(distModule('main/pipeline/load-rules.js'))) as typeof import('../src/main/pipeline/load-rules.js');
  const reader = await CaptureReader.open(capture);
  const rules = (await loadCheckedRules([ruleFile], reader.schema, { err: { write: () => true } as never })).specs;
  const alerts: string[] = [];
  const pipeline = await DetectionPipeline.start({ rules, schema: reader.meta.schema, workers, mode, onAlert: (json) => alerts.push(json) });
  for await (const chunk of reader.chunks()) {
    const bytes = chunk.payload;
    for (let off = 0; off < bytes.length; ) {
      const len = new DataView(bytes.buffer, bytes.byteOffset + off, 4).getUint32(0, true);
      pipeline.pushRecord(bytes, off, len);
      off += len;
    }
    await pipeline.flush();
  }
  await reader.close();
  return { pipeline, alerts };
}

/**
 * Lets the sharded runtime deliver what it has: alerts come back asynchronously, released in
 * order once every partition reports progress (`run` sends a watermark every 200 ms for that).
 */
async function settle(pipeline: Pipeline, alerts: string[], want: number): Promise<void> {
  for (let i = 0; i < 100 && alerts.length < want; i++) {
    pipeline.watermark();
    await pipeline.flush();
    await new Promise((r) => setTimeout(r, 20));
  }
}

beforeAll(() => distModule('main/cli.js'));

describe('live verdicts', () => {
  const stopLine = readFileSync(`${STOPPED}.events.ndjson`, 'utf8').split('\n')[0]!;
  const stopTime = Date.parse(JSON.parse(stopLine)['@timestamp']);

  for (const workers of [0, 2]) {
    it(`a trailing missing-event window closes on the processing-time watermark (workers ${workers})`, async () => {
      const { pipeline, alerts } = await open(captureOf(`stop-${workers}`, [stopLine]), `${STOPPED}.eql`, workers, 'live');
      // Just before the deadline (maxspan 2m): still open.
      pipeline.watermark(stopTime + 119_000);
      await settle(pipeline, alerts, 1);
      expect(alerts).toHaveLength(0);
      // Past it, with no event: the verdict comes now, not at shutdown.
      pipeline.watermark(stopTime + 121_000);
      await settle(pipeline, alerts, 1);
      expect(alerts).toHaveLength(1);
      expect(JSON.parse(alerts[0]!).rule.name).toMatch(/stopped/i);
      await pipeline.finish();
      expect(alerts).toHaveLength(1);
    });

    it(`a window still open at shutdown gives no verdict in live mode, and is accepted at the end of replayed data (workers ${workers})`, async () => {
      const capture = captureOf(`stop-open-${workers}`, [stopLine]);
      const live = await open(capture, `${STOPPED}.eql`, workers, 'live');
      live.pipeline.watermark(stopTime + 5_000);
      // Workers publish their state counters after each batch: wait for them.
      for (let i = 0; i < 100 && live.pipeline.openState() === 0; i++) {
        await live.pipeline.flush();
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(live.pipeline.openState()).toBeGreaterThan(0);
      await live.pipeline.finish();
      expect(live.alerts).toHaveLength(0);
      const replay = await open(capture, `${STOPPED}.eql`, workers, 'replay');
      await replay.pipeline.finish();
      expect(replay.alerts).toHaveLength(1);
    });

    it(`a sample is emitted as soon as it completes (workers ${workers})`, async () => {
      const lines = readFileSync(`${SAMPLE}.events.ndjson`, 'utf8').split('\n').filter(Boolean);
      const { pipeline, alerts } = await open(captureOf(`sample-${workers}`, lines), `${SAMPLE}.eql`, workers, 'live');
      await settle(pipeline, alerts, 1);
      expect(alerts.length).toBeGreaterThan(0);
      const before = alerts.length;
      await pipeline.finish();
      // Nothing more at the end: every sample was already out, and each once.
      expect(alerts).toHaveLength(before);
      const replay = await open(captureOf(`sample-replay-${workers}`, lines), `${SAMPLE}.eql`, workers, 'replay');
      expect(replay.alerts).toHaveLength(0);
      await replay.pipeline.finish();
      expect([...replay.alerts].sort()).toEqual([...alerts].sort());
    });
  }
});

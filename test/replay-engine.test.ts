// `--engine wasm` against `--engine interp`: the Wasm predicate module (one call per batch) must
// give byte-identical alerts to the interpreter, single-threaded and with partition workers, for
// the bundled rules and with the Elastic corpus added; and a record pushed outside any batch
// (the live path) is evaluated on its own with the same result.
import { describe, expect, it, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import { KESTREL_BIN, distModule } from './helpers/dist.js';
import { CaptureReader } from '../src/shared/capture/reader.js';
import { loadCheckedRules } from '../src/main/pipeline/load-rules.js';
import type { PredicateEngine } from '../src/shared/eql/codegen/ruleset.js';

const dir = mkdtempSync(join(tmpdir(), 'kestrel-engine-'));
const big = join(dir, 'mixed.bin');
const small = join(dir, 'small.bin');
const corpus = resolve(process.cwd(), '../shared/rules-corpus/elastic-detection-rules');

function kestrel(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [KESTREL_BIN, ...args], { encoding: 'utf8', env: { ...process.env, KESTREL_LOG_LEVEL: 'warn' }, maxBuffer: 1 << 28 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  distModule('main/cli.js');
  for (const [file, events, seed] of [[big, '30000', '11'], [small, '6000', '5']] as const) {
    const r = kestrel('synth', '--events', events, '--seed', seed, '--attack-rate', '0.01', '-o', file);
    expect(r.status, r.stderr).toBe(0);
  }
});

function replayOutputs(capture: string, rules: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const engine of ['interp', 'wasm']) {
    for (const workers of ['0', '2']) {
      const r = kestrel('replay', capture, ...rules.flatMap((p) => ['--rules', p]), '--engine', engine, '--workers', workers);
      expect(r.status, r.stderr).toBe(0);
      out.set(`${engine}/${workers}`, r.stdout);
    }
  }
  return out;
}

describe('kestrel replay --engine', () => {
  it('wasm and interp print the same alerts, byte for byte, with 0 and 2 workers (bundled rules)', () => {
    const outs = replayOutputs(big, ['rules']);
    const ref = outs.get('interp/0')!;
    expect(ref.trim().split('\n').length).toBeGreaterThan(10);
    for (const [k, o] of outs) expect(o, k).toBe(ref);
  });

  it('wasm and interp agree with the Elastic corpus added', () => {
    const outs = replayOutputs(small, ['rules', corpus]);
    const ref = outs.get('interp/0')!;
    expect(ref.trim().split('\n').length).toBeGreaterThan(5);
    for (const [k, o] of outs) expect(o, k).toBe(ref);
  });

  it('rejects an unknown engine', () => {
    const r = kestrel('replay', small, '--rules', 'rules', '--engine', 'jit');
    expect(r.status).toBe(64);
    expect(r.stderr).toContain('--engine must be wasm or interp');
  });
});

describe('DetectionPipeline engine wasm (in process)', () => {
  async function run(engine: PredicateEngine, batched: boolean): Promise<{ alerts: string[]; stats: { predicates?: { batches: number; records: number } } }> {
    // The pipeline builds predicate modules in a pool thread, which runs compiled code: use dist/.
    const { DetectionPipeline } = (await import(distModule('main/pipeline/detection.js'))) as typeof import('../src/main/pipeline/detection.js');
    const reader = await CaptureReader.open(small, {});
    const rules = await loadCheckedRules(['rules'], reader.schema, { err: new PassThrough() });
    const alerts: string[] = [];
    const p = await DetectionPipeline.start({ rules: rules.specs, schema: reader.meta.schema, workers: 0, mode: 'replay', engine, onAlert: (j) => alerts.push(j) });
    // The batch counts below are the module's: on a loaded machine the whole capture could
    // otherwise go through the interpreter while the module compiles.
    await p.predicatesReady();
    for await (const chunk of reader.chunks()) {
      const bytes = chunk.payload;
      const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      const offsets: number[] = [];
      for (let off = 0; off < bytes.length; off += dv.getUint32(off, true)) offsets.push(off);
      if (batched) p.pushRecords(bytes, offsets, offsets.length);
      else for (const off of offsets) p.pushRecord(bytes, off, dv.getUint32(off, true));
    }
    await p.finish();
    await reader.close();
    return { alerts, stats: p.stats() as { predicates?: { batches: number; records: number } } };
  }

  it('evaluates whole chunks per Wasm call, and single records outside a batch, with the interpreter\'s alerts', async () => {
    const interp = await run('interp', true);
    expect(interp.stats.predicates).toBeUndefined();
    const batched = await run('wasm', true);
    const single = await run('wasm', false);
    expect(interp.alerts.length).toBeGreaterThan(5);
    expect(batched.alerts).toEqual(interp.alerts);
    expect(single.alerts).toEqual(interp.alerts);
    // Batched: far fewer calls than records; unbatched: one call per record that reached an engine.
    expect(batched.stats.predicates!.batches).toBeLessThan(batched.stats.predicates!.records / 100);
    expect(single.stats.predicates!.batches).toBe(single.stats.predicates!.records);
  });
});

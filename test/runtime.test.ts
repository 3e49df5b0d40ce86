import { describe, expect, it, vi } from 'vitest';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { distModule } from './helpers/dist.js';
import { AlertMerger, type PendingAlert } from '../src/main/runtime/merge.js';

const FIXTURE = pathToFileURL(resolve('test/fixtures/processors/modulo.mjs')).href;

/** Runs `count` synthetic events through N partitions; returns the merged alert lines. */
/** Value of the event with a given seq: scrambled, so keys spread over partitions. */
const valueOf = (seq: number): number => (seq * 2654435761) % 1000003;

async function run(
  partitions: number,
  count: number,
  config: Record<string, unknown> = {},
  ringWords?: number,
  swap?: { at: number; config: Record<string, unknown> },
  completeConfig?: Promise<unknown>,
  prestarted?: import('../src/main/runtime/runtime.js').PrestartedWorkers,
  youngGenerationMb?: number,
): Promise<string[]> {
  // Workers run compiled code: import the runtime from dist/ like the CLI does.
  const { PartitionRuntime } = (await import(distModule('main/runtime/runtime.js'))) as typeof import('../src/main/runtime/runtime.js');
  const out: string[] = [];
  const rt = await PartitionRuntime.start({
    partitions,
    processorModule: FIXTURE,
    processorConfig: config,
    completeConfig,
    prestarted,
    youngGenerationMb,
    mode: 'replay',
    inputRingWords: ringWords,
    alertRingWords: ringWords,
    batchWords: 512,
    onAlert: (a: PendingAlert) => out.push(`${a.seq} ${a.ruleIndex} ${a.json}`),
  });
  const rec = new Uint8Array(16);
  const view = new DataView(rec.buffer);
  try {
    for (let seq = 0; seq < count; seq++) {
      const v = valueOf(seq);
      view.setUint32(0, v, true);
      view.setFloat64(8, seq * 3, true); // event time in ms
      if (swap && seq === swap.at) rt.appendRuleset(swap.config, seq - 1);
      rt.appendRecord(v % partitions, 1, seq, rec, 0, 16);
      if (seq % 97 === 0) rt.appendWatermark(seq, seq * 3);
      if (rt.shouldFlush) await rt.flush();
    }
    await rt.finish();
  } catch (e) {
    await rt.abort();
    throw e;
  }
  return out;
}

describe('alert merge', () => {
  it('releases only what every partition passed, in (seq, rule, text) order', () => {
    const got: PendingAlert[] = [];
    const m = new AlertMerger(2, (a) => got.push(a));
    m.add({ seq: 5, ruleIndex: 1, json: 'b' });
    m.add({ seq: 5, ruleIndex: 0, json: 'z' });
    m.add({ seq: 3, ruleIndex: 2, json: 'a' });
    m.setProgress(0, 10);
    expect(m.flush()).toBe(0); // partition 1 has not progressed
    m.setProgress(1, 4);
    m.flush();
    expect(got.map((a) => a.seq)).toEqual([3]);
    m.setProgress(1, 6);
    m.flush();
    expect(got.map((a) => `${a.seq}/${a.ruleIndex}`)).toEqual(['3/2', '5/0', '5/1']);
    expect(() => m.add({ seq: 4, ruleIndex: 0, json: '' })).toThrow(/after seq/);
  });
});

describe('partition runtime', () => {
  it('gives byte-identical merged output for 1, 2, 3 and 8 workers', async () => {
    const one = await run(1, 20_000);
    expect(one.length).toBeGreaterThan(4000);
    // Window alerts (ordered by an older seq) are interleaved correctly, not appended at the end.
    const seqs = one.map((l) => Number(l.split(' ')[0]));
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(one.some((l) => l.includes('"window"'))).toBe(true);
    for (const n of [2, 3, 8]) expect(await run(n, 20_000)).toEqual(one);
  });

  it('swaps ruleset generations at one point of the stream, identically for any worker count', async () => {
    const swapped = await run(1, 8000, {}, undefined, { at: 4000, config: { mod: 5 } });
    const rule = (l: string) => JSON.parse(l.slice(l.indexOf('{'))).rule as string;
    const seqOf = (l: string) => Number(l.split(' ')[0]);
    // Before the switch only the first generation's rule fires, after it only the second's.
    expect(swapped.filter((l) => rule(l) === 'mod7').every((l) => seqOf(l) < 4000)).toBe(true);
    expect(swapped.filter((l) => rule(l) === 'mod5').every((l) => seqOf(l) >= 4000)).toBe(true);
    expect(swapped.some((l) => rule(l) === 'mod5')).toBe(true);
    for (const n of [2, 3, 8]) expect(await run(n, 8000, {}, undefined, { at: 4000, config: { mod: 5 } })).toEqual(swapped);
  });

  it('starts workers on a preview config and runs them on the complete one once it is built', async () => {
    const later = (value: unknown, ms: number) => new Promise((r) => setTimeout(() => r(value), ms));
    const complete = await run(2, 8000, { mod: 5 });
    expect(await run(2, 8000, { mod: 7 }, undefined, undefined, later({ mod: 5 }, 150))).toEqual(complete);
    // And a swap after it: the generations count on from the complete config.
    const swapped = await run(2, 8000, { mod: 7 }, undefined, { at: 4000, config: { mod: 5 } });
    expect(await run(2, 8000, { mod: 3 }, undefined, { at: 4000, config: { mod: 5 } }, later({ mod: 7 }, 50))).toEqual(swapped);
  });

  it('rejects start when the complete config fails to build (its workers are stopped)', async () => {
    const { PartitionRuntime } = (await import(distModule('main/runtime/runtime.js'))) as typeof import('../src/main/runtime/runtime.js');
    const failing = new Promise((_, reject) => setTimeout(() => reject(new Error('module build failed')), 50));
    await expect(
      PartitionRuntime.start({ partitions: 2, processorModule: FIXTURE, processorConfig: {}, completeConfig: failing, mode: 'replay', onAlert: () => {} }),
    ).rejects.toThrow('module build failed');
  });

  it('launch: takes frames before its workers are up, and a failed config build rejects the next flush', async () => {
    const { PartitionRuntime } = (await import(distModule('main/runtime/runtime.js'))) as typeof import('../src/main/runtime/runtime.js');
    const out: string[] = [];
    let complete!: (c: unknown) => void;
    const { runtime, ready } = PartitionRuntime.launch({
      partitions: 2, processorModule: FIXTURE, processorConfig: {}, completeConfig: new Promise((r) => (complete = r)), mode: 'replay',
      onAlert: (a: PendingAlert) => out.push(`${a.seq} ${a.ruleIndex} ${a.json}`),
    });
    expect([runtime.isReady(0), runtime.isReady(1)]).toEqual([false, false]);
    const rec = new Uint8Array(16);
    const view = new DataView(rec.buffer);
    for (let seq = 0; seq < 300; seq++) {
      view.setUint32(0, valueOf(seq), true);
      view.setFloat64(8, seq * 3, true);
      runtime.appendRecord(valueOf(seq) % 2, 1, seq, rec, 0, 16);
    }
    complete({});
    await ready;
    expect([runtime.isReady(0), runtime.isReady(1)]).toEqual([true, true]);
    await runtime.finish();
    expect(out).toEqual(await run(2, 300));

    const failed = PartitionRuntime.launch({
      partitions: 1, processorModule: FIXTURE, processorConfig: {}, completeConfig: Promise.reject(new Error('module build failed')), mode: 'replay', onAlert: () => {},
    });
    await expect(failed.ready).rejects.toThrow('module build failed');
    await expect(failed.runtime.flush()).rejects.toThrow('module build failed');
  });

  it('keeps order and loses nothing with tiny rings (constant wrap-around and back-pressure)', async () => {
    const big = await run(2, 5000);
    expect(await run(2, 5000, {}, 64)).toEqual(big);
  });

  it('hasRoom: counts what is staged for a partition against its ring, so a job that would wait can run elsewhere', async () => {
    const { PartitionRuntime } = (await import(distModule('main/runtime/runtime.js'))) as typeof import('../src/main/runtime/runtime.js');
    const { predicateJobWords } = (await import(distModule('shared/ring/frames.js'))) as typeof import('../src/shared/ring/frames.js');
    const rt = await PartitionRuntime.start({ partitions: 1, processorModule: FIXTURE, processorConfig: {}, mode: 'replay', inputRingWords: 1024, onAlert: () => {} });
    try {
      const job = predicateJobWords(20, 20 * 16);
      expect(rt.hasRoom(0, job)).toBe(true);
      expect(rt.hasRoom(0, 1025)).toBe(false);
      expect(rt.hasRoom(1, 1)).toBe(false);
      // Staged but not flushed: the ring is still empty, yet the staged frames will need it.
      const rec = new Uint8Array(16);
      for (let seq = 0; seq < 40; seq++) rt.appendRecord(0, 1, seq, rec, 0, 16);
      const free = 1024 - (rt as unknown as { parts: { batch: { lengthWords: number } }[] }).parts[0]!.batch.lengthWords;
      expect(rt.hasRoom(0, free)).toBe(true);
      expect(rt.hasRoom(0, free + 1)).toBe(false);
      await rt.flush();
      // Flushed: what was staged is in the ring now, the room is still there.
      expect(rt.hasRoom(0, free)).toBe(true);
    } finally {
      await rt.finish();
    }
  });

  it('reports a crashed worker with its partition and cause', async () => {
    // v = 0 is the value of seq 0: partition 0 of 3 crashes on its first event.
    await expect(run(3, 2000, { crashAt: 0 })).rejects.toThrow(/partition 0 worker crashed: boom at 0/);
  });

  it('live mode: a full ring drops routed (matched) frames and counts every dropped event', async () => {
    const { PartitionRuntime } = (await import(distModule('main/runtime/runtime.js'))) as typeof import('../src/main/runtime/runtime.js');
    const out: string[] = [];
    const rt = await PartitionRuntime.start({
      partitions: 2,
      processorModule: FIXTURE,
      processorConfig: { mod: 1 }, // every delivered event raises one alert
      mode: 'live',
      inputRingWords: 1024,
      batchWords: 1 << 16,
      onAlert: (a: PendingAlert) => out.push(`${a.seq} ${a.ruleIndex} ${a.json}`),
    });
    const rec = new Uint8Array(16);
    const view = new DataView(rec.buffer);
    const bits = new Uint32Array([1]);
    const n = 2_000;
    try {
      // One flush for all of them: far more than the two 4 KiB rings hold.
      for (let seq = 0; seq < n; seq++) {
        view.setUint32(0, 16, true); // a record's length comes first
        view.setUint32(4, seq, true);
        view.setFloat64(8, seq, true);
        rt.appendMatched(seq % 2, seq >> 1, seq, rec, 0, 16, bits, 0, 1);
      }
      await rt.flush();
      await rt.finish();
    } finally {
      await rt.abort();
    }
    const drops = rt.stats().reduce((d, s) => d + s.drops, 0);
    expect(drops).toBeGreaterThan(0);
    expect(out.length + drops).toBe(n);
  });

  it('live mode: restarts a crashed worker, reports what was lost, and detection goes on', async () => {
    const { PartitionRuntime } = (await import(distModule('main/runtime/runtime.js'))) as typeof import('../src/main/runtime/runtime.js');
    const crashSeq = 100;
    const crashed = valueOf(crashSeq) % 3;
    const stderr: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stderr.push(String(chunk));
      return true;
    });
    const out: string[] = [];
    const rt = await PartitionRuntime.start({
      partitions: 3,
      processorModule: FIXTURE,
      processorConfig: { crashAt: valueOf(crashSeq) },
      mode: 'live',
      batchWords: 512,
      onAlert: (a: PendingAlert) => out.push(`${a.seq} ${a.ruleIndex} ${a.json}`),
    });
    const rec = new Uint8Array(16);
    const view = new DataView(rec.buffer);
    try {
      for (let seq = 0; seq < 20_000; seq++) {
        const v = valueOf(seq);
        view.setUint32(0, v, true);
        view.setFloat64(8, seq * 3, true);
        rt.appendRecord(v % 3, 1, seq, rec, 0, 16);
        if (seq % 97 === 0) rt.appendWatermark(seq, seq * 3);
        if (rt.shouldFlush) await rt.flush();
        if (seq === 200) {
          // A live source yields to the event loop between reads; here, wait for the restart.
          await rt.flush();
          for (let i = 0; i < 500 && rt.stats()[crashed].restarts === 0; i++) await new Promise((r) => setTimeout(r, 10));
        }
      }
      await rt.finish();
    } finally {
      spy.mockRestore();
      await rt.abort();
    }
    const stats = rt.stats();
    expect(stats.map((s) => s.restarts)).toEqual([0, 1, 2].map((p) => (p === crashed ? 1 : 0)));
    expect(stats.every((s) => s.drops === 0)).toBe(true);
    const line = stderr.join('');
    expect(line).toMatch(new RegExp(`partition ${crashed} worker crashed: boom at ${valueOf(crashSeq)} in partition ${crashed}; restarted \\(restart 1\\) with empty state: lost \\d+ state entries`));
    // Everything after the restart matches a run without the crash, in the crashed partition too.
    const after = (lines: string[]) => lines.filter((l) => Number(l.split(' ')[0]) > 200);
    const full = after(await run(3, 20_000));
    expect(after(out)).toEqual(full);
    expect(full.filter((l) => valueOf(Number(l.split(' ')[0])) % 3 === crashed).length).toBeGreaterThan(100);
  });
});

describe('prestarted workers', () => {
  const runtimeModule = async () => (await import(distModule('main/runtime/runtime.js'))) as typeof import('../src/main/runtime/runtime.js');
  const readyOf = (w: import('node:worker_threads').Worker) =>
    new Promise<boolean>((resolve) => {
      w.on('message', (m: { type: string }) => m.type === 'ready' && resolve(true));
      w.once('exit', () => resolve(false));
    });

  it('are taken by the runtime: they get their partition and config when it starts, same output as new ones', async () => {
    const { PartitionRuntime } = await runtimeModule();
    const fresh = await run(3, 8000, { mod: 5 });
    const pool = PartitionRuntime.prestart(3, FIXTURE);
    const ready = pool.spawns.map((s) => readyOf(s.worker));
    await new Promise((r) => setTimeout(r, 100)); // they import meanwhile, with no config yet
    expect(await run(3, 8000, { mod: 5 }, undefined, undefined, undefined, pool)).toEqual(fresh);
    expect(pool.spawns).toHaveLength(0);
    expect(await Promise.all(ready)).toEqual([true, true, true]);
    // With a preview config and the complete one later, as a replay starts them.
    const later = new Promise((r) => setTimeout(() => r({ mod: 5 }), 100));
    expect(await run(2, 8000, { mod: 7 }, undefined, undefined, later, PartitionRuntime.prestart(2, FIXTURE))).toEqual(await run(2, 8000, { mod: 5 }));
  });

  it('a crash names the partition the runtime gave the worker', async () => {
    const { PartitionRuntime } = await runtimeModule();
    // v = 0 is the value of seq 0, routed to partition 0 of 3; seq 1's value goes to partition 2.
    const v1 = valueOf(1);
    expect(v1 % 3).toBe(2);
    await expect(run(3, 2000, { crashAt: v1 }, undefined, undefined, undefined, PartitionRuntime.prestart(3, FIXTURE))).rejects.toThrow(
      new RegExp(`partition 2 worker crashed: boom at ${v1} in partition 2`),
    );
  });

  it('one that died before it was taken is replaced by a new worker', async () => {
    const { PartitionRuntime } = await runtimeModule();
    const pool = PartitionRuntime.prestart(2, FIXTURE);
    const dead = pool.spawns[0]!.worker;
    await dead.terminate();
    await vi.waitFor(() => expect(pool.spawns[0]!.failed).toBeDefined());
    expect(await run(2, 5000, {}, undefined, undefined, undefined, pool)).toEqual(await run(2, 5000));
    expect(pool.spawns).toHaveLength(0);
  });

  it('start with the young-generation cap asked for, and are not taken by a runtime that asks for another', async () => {
    const { PartitionRuntime } = await runtimeModule();
    const caps = (lines: string[]) => lines.filter((l) => l.includes('"young"')).map((l) => JSON.parse(l.slice(l.indexOf('{'))).young as number);
    // New threads: the cap reaches each worker; without one, V8 picks its own (larger) size.
    expect(caps(await run(2, 400, { reportYoung: true }, undefined, undefined, undefined, undefined, 4))).toEqual([4, 4]);
    const [defaultCap] = caps(await run(1, 400, { reportYoung: true }));
    expect(defaultCap).toBeGreaterThan(4);
    // Prestarted threads with the same cap are taken; with another they are ended and replaced.
    const same = PartitionRuntime.prestart(1, FIXTURE, { youngGenerationMb: 4 });
    const sameReady = readyOf(same.spawns[0]!.worker);
    expect(caps(await run(1, 400, { reportYoung: true }, undefined, undefined, undefined, same, 4))).toEqual([4]);
    expect(await sameReady).toBe(true);
    const other = PartitionRuntime.prestart(1, FIXTURE, { youngGenerationMb: 4 });
    const otherReady = readyOf(other.spawns[0]!.worker);
    expect(caps(await run(1, 400, { reportYoung: true }, undefined, undefined, undefined, other, 8))).toEqual([8]);
    expect(await otherReady).toBe(false);
  });

  it('are not taken when their rings differ, and close() ends the ones nobody took', async () => {
    const { PartitionRuntime } = await runtimeModule();
    const small = PartitionRuntime.prestart(1, FIXTURE, { inputRingWords: 4096, alertRingWords: 4096 });
    const smallReady = readyOf(small.spawns[0]!.worker);
    expect(await run(1, 3000, {}, undefined, undefined, undefined, small)).toEqual(await run(1, 3000));
    expect(await smallReady).toBe(false); // ended without ever getting a config

    const unused = PartitionRuntime.prestart(2, FIXTURE);
    const exits = unused.spawns.map((s) => new Promise((r) => s.worker.once('exit', r)));
    unused.close();
    await Promise.all(exits);
    expect(unused.spawns).toHaveLength(0);
  });
});

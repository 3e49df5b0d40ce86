// The replay load harness (also `kestrel bench replay`). Runs one capture through the detection
// pipeline in several configurations, each in its own process, side by side:
//   workers=0 (single-thread evaluator) and workers=1..N (sharded runtime),
//   closed loop (as fast as possible) and open loop (fixed input rate, e.g. 50k events/s).
// Reports events/s, ingest→alert latency p50/p99/max, peak RSS, ring occupancy and drops.
//
//   node bench/replay.bench.mjs [--capture FILE | --events N --seed S --attack-rate R] [--rules PATH]...
//        [--workers 0,1,2] [--rate 50000] [--engine wasm|interp] [--out NAME]
// Closed loop pushes each capture chunk as one batch (pipeline.pushRecords: one Wasm predicate
// call per chunk with --engine wasm); open loop runs the pipeline in live mode and pushes the
// records due so far as one batch, as `kestrel run` does with each drained sensor batch.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { DIST, ROOT, cliNodeFlags, peakRssMiB, percentile, printTable, writeResults } from './lib.mjs';

const { values } = parseArgs({
  options: {
    capture: { type: 'string' },
    events: { type: 'string', default: '300000' },
    seed: { type: 'string', default: '1' },
    // Ten times synth's default share of attacks: ~10× the alerts, so a latency percentile rests on
    // thousands of alerts rather than a few hundred (one stall no longer sets p99).
    'attack-rate': { type: 'string', default: '0.02' },
    rules: { type: 'string', multiple: true },
    workers: { type: 'string', default: '0,1,2' },
    rate: { type: 'string', default: '50000' },
    'rate-seconds': { type: 'string', default: '5' },
    out: { type: 'string', default: 'replay' },
    engine: { type: 'string' },
    child: { type: 'string' },
    progress: { type: 'boolean' },
    'no-progress': { type: 'boolean' },
  },
});

const CORPUS = join(ROOT, '../shared/rules-corpus/elastic-detection-rules');
/**
 * Open loop: the first second of input is the warm-up (V8 compiles the hot JS and tiers the
 * predicate module up from its baseline code). "steady p99" leaves its alerts out; "p99" has all.
 */
const WARM_UP_MS = 1000;
const rulePaths = values.rules ?? [join(ROOT, 'rules'), ...(existsSync(CORPUS) ? [CORPUS] : [])];

if (values.child) {
  await child(JSON.parse(values.child));
} else {
  await parent();
}

async function parent() {
  let capture = values.capture;
  if (!capture) {
    const made = mkdtempSync(join(tmpdir(), 'kestrel-bench-'));
    // The capture (~300 MB) goes when the bench exits, however it ends.
    process.on('exit', () => rmSync(made, { recursive: true, force: true }));
    capture = join(made, 'synth.bin');
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/kestrel'), 'synth', '--events', values.events, '--seed', values.seed, '--attack-rate', values['attack-rate'], '-o', capture], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('synth failed');
  }
  const workerCounts = values.workers.split(',').map(Number);
  const rate = Number(values.rate);
  const configs = [
    ...workerCounts.map((w) => ({ workers: w, rate: 0 })),
    ...(rate > 0 ? workerCounts.map((w) => ({ workers: w, rate })) : []),
  ];
  const rows = [];
  for (const cfg of configs) {
    process.stderr.write(`… workers=${cfg.workers} ${cfg.rate ? `open loop ${cfg.rate} ev/s` : 'closed loop'}\n`);
    const r = spawnSync(process.execPath, [...cliNodeFlags(), new URL(import.meta.url).pathname, '--child', JSON.stringify({ ...cfg, capture, rules: rulePaths, engine: values.engine, rateSeconds: Number(values['rate-seconds']), progress: values['no-progress'] ? false : values.progress })], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 1 << 26,
    });
    if (r.status !== 0) throw new Error(`child failed for ${JSON.stringify(cfg)}`);
    rows.push(JSON.parse(r.stdout.trim().split('\n').pop()));
  }
  const base = rows.find((r) => r.workers === 0 && r.mode === 'closed');
  for (const r of rows) r['vs single'] = base ? Number((r['events/s'] / base['events/s']).toFixed(2)) : null;
  printTable(`Replay: ${rows[0].rules} rules over ${rows[0].events} events (${capture})`, rows, [
    'mode', 'engine', 'workers', 'events', 'events/s', 'vs single', 'alerts', 'p50 ms', 'p99 ms', 'max ms', 'steady p99 ms', 'steady alerts', 'peak RSS MiB', 'ring max %', 'drops',
  ]);
  writeResults(values.out, { capture, rules: rulePaths, runs: rows });
}

/**
 * Open loop: waits until `due` (performance.now() ms) as a live source waits in epoll for the
 * kernel's next events. With no workers nothing else needs this thread, so it sleeps and allocates
 * nothing meanwhile (waking at least every millisecond for one event-loop turn, so timers run).
 * Spinning on `await setImmediate` instead allocated ~100 MB/s of promises between events at 50k
 * events/s, and the young-generation collections that caused were charged to the pipeline. With
 * workers it still spins: their alerts come back through this thread's event loop, which epoll
 * would wake at once and a sleeping thread would not.
 */
async function waitUntil(due, workers) {
  if (workers > 0) {
    while (performance.now() < due) await new Promise((r) => setImmediate(r));
    return;
  }
  // (Made here: child() runs from the top-level code above this line.)
  const sleeper = (waitUntil.sleeper ??= new Int32Array(new SharedArrayBuffer(4)));
  for (let left = due - performance.now(); left > 0; left = due - performance.now()) {
    Atomics.wait(sleeper, 0, 0, Math.min(left, 1));
    await new Promise((r) => setImmediate(r));
  }
}

async function child(cfg) {
  const { CaptureReader } = await import(join(DIST, 'shared/capture/reader.js'));
  const { DetectionPipeline } = await import(join(DIST, 'main/pipeline/detection.js'));
  const { loadCheckedRules } = await import(join(DIST, 'main/pipeline/load-rules.js'));
  const { createProgress, shouldShowProgress } = await import(join(DIST, 'main/progress.js'));
  const quiet = { err: { write() {} } };
  const reader = await CaptureReader.open(cfg.capture);
  const rules = await loadCheckedRules(cfg.rules, reader.schema, quiet);

  // Push time per seq (a ring: alerts never lag more than this many events).
  const CAP = 1 << 22;
  const pushedAt = new Float64Array(CAP);
  // Open loop: when each event was due, from the start (ms), to leave the warm-up out of p99.
  const dueAt = new Float64Array(CAP);
  const latencies = [];
  const steadyLatencies = [];
  let alerts = 0;
  const pipeline = await DetectionPipeline.start({
    rules: rules.specs,
    schema: reader.meta.schema,
    workers: cfg.workers,
    // Open loop measures what `kestrel run` does with a live source: live mode (predicates on this
    // thread, a full ring drops instead of waiting); closed loop is `kestrel replay`.
    mode: cfg.rate ? 'live' : 'replay',
    engine: cfg.engine,
    onAlert: (_json, seq) => {
      alerts++;
      const latency = performance.now() - pushedAt[seq % CAP];
      latencies.push(latency);
      if (dueAt[seq % CAP] >= WARM_UP_MS) steadyLatencies.push(latency);
    },
  });

  let events = 0;
  let ringMax = 0;
  const ringCapacity = 1 << 20;
  const sampleRings = () => {
    if (cfg.workers === 0) return;
    for (const s of pipeline.stats()) ringMax = Math.max(ringMax, s.inputUsedWords / ringCapacity);
  };
  // On a terminal (the child's stderr is the parent's), one progress line per configuration.
  const show = shouldShowProgress(cfg.progress, process.stderr);
  const progress = createProgress({
    enabled: show, stream: process.stderr, label: `workers=${cfg.workers} ${cfg.rate ? 'open' : 'closed'}`,
    total: show && !cfg.rate ? await reader.totalRecordsHint() : undefined,
  });
  const start = performance.now();
  const deadline = cfg.rate ? start + cfg.rateSeconds * 1000 : Infinity;
  outer: for await (const chunk of reader.chunks()) {
    const bytes = chunk.payload;
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (!cfg.rate) {
      const offsets = [];
      const now = performance.now();
      for (let off = 0; off < bytes.length; off += dv.getUint32(off, true)) {
        offsets.push(off);
        pushedAt[Number(dv.getBigUint64(off + 8, true)) % CAP] = now;
      }
      pipeline.pushRecords(bytes, offsets, offsets.length);
      events += offsets.length;
      await pipeline.flush();
      sampleRings();
      progress.update(events);
      continue;
    }
    // Open loop, as a live source delivers: every record already due goes to the pipeline as one
    // batch (kestrel run evaluates each drained sensor batch in one go), then alerts are flushed;
    // when the next record is not due yet, wait for it.
    const batch = [];
    const pushBatch = async () => {
      if (batch.length === 0) return;
      pipeline.pushRecords(bytes, batch, batch.length);
      batch.length = 0;
      await pipeline.flush();
      sampleRings();
    };
    for (let off = 0; off < bytes.length; ) {
      const len = dv.getUint32(off, true);
      const seq = Number(dv.getBigUint64(off + 8, true));
      // Event i is due at start + i/rate; latency counts from when it was due, so a stall is
      // charged to every event it delays (no coordinated omission).
      const due = start + (events * 1000) / cfg.rate;
      if (due > deadline) break outer;
      if (due > performance.now() || batch.length >= 2048) {
        await pushBatch();
        await waitUntil(due, cfg.workers);
      }
      pushedAt[seq % CAP] = due;
      dueAt[seq % CAP] = due - start;
      batch.push(off);
      events++;
      off += len;
    }
    await pushBatch();
    await pipeline.flush();
    sampleRings();
    progress.update(events);
  }
  progress.finish();
  await pipeline.finish();
  const seconds = (performance.now() - start) / 1000;
  const drops = cfg.workers === 0 ? 0 : pipeline.stats().reduce((n, s) => n + s.drops, 0);
  await reader.close();
  const round = (x) => (Number.isFinite(x) ? Number(x.toFixed(3)) : null);
  console.log(
    JSON.stringify({
      mode: cfg.rate ? `open ${cfg.rate}/s` : 'closed',
      engine: cfg.engine ?? 'default',
      workers: cfg.workers,
      rules: rules.specs.length,
      events,
      seconds: round(seconds),
      'events/s': Math.round(events / seconds),
      alerts,
      'p50 ms': round(percentile(latencies, 50)),
      'p99 ms': round(percentile(latencies, 99)),
      'max ms': round(latencies.length ? Math.max(...latencies) : NaN),
      // Open loop only: alerts of events due after the first WARM_UP_MS (JIT and Wasm tier-up done).
      'steady p99 ms': cfg.rate ? round(percentile(steadyLatencies, 99)) : null,
      'steady alerts': cfg.rate ? steadyLatencies.length : null,
      'peak RSS MiB': peakRssMiB(),
      'ring max %': Number((ringMax * 100).toFixed(1)),
      drops,
    }),
  );
}

#!/usr/bin/env node
// Sensor overhead and throughput. Two storms, each a child shell loop:
//   exec  — N `/bin/true` spawns (fork + exec + exit per iteration);
//   write — M `echo x > file` (one open-for-write per iteration, no exec);
// and rate storms: bench/rate-storm.c (compiled here into a temp dir) issues open+close,
// rename a↔b, or a read-only open+close of a file not on the read watch list (no event: the cost
// of the in-kernel name filter) in a tight loop for a fixed time, from 1 and from 2 processes, to
// find the event rate the sensor sustains (operations/s, kernel events/s seen, kernel drops,
// sensor CPU%).
// Each storm runs in these modes, interleaved round by round so that drift on a shared VM hits
// every mode alike, and the median round is reported:
//   baseline   — no sensor;
//   before     — (with KESTREL_BENCH_BEFORE) an older build's sensor;
//   immediate  — sensor attached, drained the moment the ring is readable (coalesceMs 0: the
//                kernel then wakes this process for nearly every event);
//   sensor     — sensor attached with the default 10 ms coalescing (what kestrel record uses);
//   records    — as sensor, and every event converted to an ECS record (KernelRecordConverter).
// Two costs per mode: the storm's wall time, and its CPU time (user + system of the shell and
// its children, from the shell's `times`), which includes the BPF programs (they run in the
// storm's own context) and is less disturbed by other load on the machine than wall time.
// Needs root, dist/ (npm run build), the built addon and a C compiler (cc). Sizes:
// KESTREL_BENCH_EXECS (5000), KESTREL_BENCH_WRITES (20000), KESTREL_BENCH_ROUNDS (5),
// KESTREL_BENCH_RATE_SECONDS (2; 0 skips the rate storms), KESTREL_BENCH_STORMS (comma list of
// exec,write,rate: which storms to run), KESTREL_BENCH_RATE_OPS (open,rename,read: which rate
// storms; recv: datagrams on a local socket pair, the cost of the DNS check), KESTREL_BENCH_RING_BYTES (kernel ring, default 32 MiB),
// KESTREL_BENCH_PROGRAMS (comma list: load only these programs in this build's modes);
// KESTREL_BENCH_MODES (comma list) and KESTREL_BENCH_NAME (results file name) let the same script
// measure an older build; KESTREL_BENCH_BEFORE=<other checkout>/dist adds mode "before": that
// build's Sensor with its own defaults, interleaved with the others (before/after on the same
// machine state).
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DIST, ROOT, machine, printTable, writeResults } from './lib.mjs';

const { Sensor, ebpfUnavailableReason } = await import(join(DIST, 'shared/sensor/sensor.js'));

const EXECS = Number(process.env.KESTREL_BENCH_EXECS ?? 5000);
const WRITES = Number(process.env.KESTREL_BENCH_WRITES ?? 20000);
const ROUNDS = Number(process.env.KESTREL_BENCH_ROUNDS ?? 5);
const RATE_SECONDS = Number(process.env.KESTREL_BENCH_RATE_SECONDS ?? 2);
const STORMS = (process.env.KESTREL_BENCH_STORMS ?? 'exec,write,rate').split(',');
const RING_BYTES = Number(process.env.KESTREL_BENCH_RING_BYTES ?? 32 << 20);
// A subset of programs for the sensor modes (e.g. "sys_exit"), to attribute the overhead.
const PROGRAMS = process.env.KESTREL_BENCH_PROGRAMS?.split(',');
// A subset, e.g. "baseline,immediate", also runs against an older build (no converter there).
const BEFORE = process.env.KESTREL_BENCH_BEFORE;
const MODES = (process.env.KESTREL_BENCH_MODES ?? `baseline,${BEFORE ? 'before,' : ''}immediate,sensor,records`).split(',');
const BeforeSensor = BEFORE ? (await import(join(BEFORE, 'shared/sensor/sensor.js'))).Sensor : undefined;
const records = MODES.includes('records') ? await recordModules() : undefined;
// This build's modes capture what `kestrel record` captures: the environment at exec, and read-only
// opens checked against the default watch list (the "rate read" storm's file is not on it).
const capture = (await import(join(DIST, 'main/sensor/capture-plan.js'))).defaultCapturePlan();
const CAPTURE = { captureEnv: true, watchFiles: capture.watchFiles, watchDirs: capture.watchDirs };

async function recordModules() {
  const load = (path) => import(join(DIST, path));
  return {
    ...(await load('shared/sensor/addon.js')),
    ...(await load('main/sensor/to-record.js')),
    ...(await load('main/sensor/process-table.js')),
    ...(await load('main/sensor/boot-clock.js')),
    ...(await load('main/sensor/host-info.js')),
    ...(await load('shared/record/layout.js')),
    ...(await load('shared/schema/ecs-linux.js')),
  };
}

const reason = ebpfUnavailableReason();
if (reason) {
  console.error(`sensor bench: cannot run: ${reason}`);
  process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), 'kestrel-bench-'));
const storms = [
  { id: 'exec', name: 'exec storm', operations: EXECS, script: `i=0; while [ $i -lt ${EXECS} ]; do /bin/true; i=$((i+1)); done` },
  { id: 'write', name: 'file-write storm', operations: WRITES, script: `i=0; while [ $i -lt ${WRITES} ]; do echo x > f$((i % 64)); i=$((i+1)); done` },
].filter((s) => STORMS.includes(s.id));
const RATE_STORMS = STORMS.includes('rate') && RATE_SECONDS > 0
  ? (process.env.KESTREL_BENCH_RATE_OPS ?? 'open,rename,read,recv').split(',').flatMap((op) => [1, 2].map((procs) => ({ name: `rate ${op} ×${procs}`, op, procs })))
  : [];
const generator = RATE_STORMS.length ? compileGenerator() : undefined;

/** Compiles bench/rate-storm.c into the temp dir (the binary is never kept). */
function compileGenerator() {
  const out = join(dir, 'rate-storm');
  execFileSync(process.env.CC ?? 'cc', ['-O2', '-o', out, join(ROOT, 'bench/rate-storm.c')], { stdio: 'inherit' });
  return out;
}

/** Runs `procs` generators in parallel (each in its own directory); resolves { ops, wall }. */
function runRate(storm) {
  const start = process.hrtime.bigint();
  const runs = Array.from({ length: storm.procs }, (_, i) => {
    const work = join(dir, `rate-${i}`);
    mkdirSync(work, { recursive: true });
    return new Promise((resolve, reject) => {
      const child = spawn(generator, [storm.op, String(RATE_SECONDS), work], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d) => (out += d));
      child.on('error', reject);
      child.on('exit', (code) => (code === 0 ? resolve(Number(out.trim())) : reject(new Error(`rate-storm exited ${code}`))));
    });
  });
  return Promise.all(runs).then((ops) => ({ ops: ops.reduce((a, b) => a + b, 0), wall: Number(process.hrtime.bigint() - start) / 1e9 }));
}

/** `times` prints two lines "XmY.YYYs XmY.YYYs" (shell, then children): user + system of all. */
function cpuSecondsOf(timesOutput) {
  return [...timesOutput.matchAll(/(\d+)m([\d.]+)s/g)].reduce((sum, m) => sum + Number(m[1]) * 60 + Number(m[2]), 0);
}

function runStorm(script) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn('/bin/bash', ['-c', `${script}; times`], { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve({ wall: Number(process.hrtime.bigint() - start) / 1e9, cpu: cpuSecondsOf(out) }) : reject(new Error(`storm exited ${code}`))));
  });
}

function startSensor(mode) {
  const counts = { events: 0, records: 0 };
  const sensor = mode === 'before' ? new BeforeSensor({ ringBufferBytes: RING_BYTES }) : new Sensor({ ringBufferBytes: RING_BYTES, programs: PROGRAMS, coalesceMs: mode === 'immediate' ? 0 : undefined, ...CAPTURE });
  let handler = (view, bytes) => {
    for (let at = 0; at < bytes; at += (view.getUint32(at, true) + 15) & ~7) counts.events++;
  };
  if (mode === 'records') {
    const { readHostInfo, ProcessTable, KernelRecordConverter, buildLayout, ecsLinuxSchema, BootClock, bootClockOffsetNs } = records;
    const host = readHostInfo();
    const table = new ProcessTable({ bootId: host.bootId });
    table.seedFromProc();
    const converter = new KernelRecordConverter({ layout: buildLayout(ecsLinuxSchema()), table, host, clock: new BootClock(bootClockOffsetNs()), envNames: capture.envNames });
    let recordBytes = 0;
    const sink = (_record, length) => (recordBytes += length);
    handler = (view, bytes) => {
      counts.records += converter.convertBatch(view, bytes, sink);
    };
  }
  sensor.start(handler);
  return { sensor, counts };
}

/** Runs the workload with the mode's sensor (if any) attached; adds what the sensor saw. */
async function measure(mode, workload) {
  if (mode === 'baseline') return { ...(await workload()), events: 0, drops: 0, sensorCpu: 0 };
  const { sensor, counts } = startSensor(mode);
  const cpuBefore = process.cpuUsage();
  const result = await workload();
  sensor.drain();
  const cpu = process.cpuUsage(cpuBefore);
  const stats = sensor.stats();
  sensor.stop();
  return { ...result, events: stats.events, drops: stats.drops, records: counts.records, sensorCpu: (cpu.user + cpu.system) / 1e6 };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pctSpread = (fractions) => `${(Math.min(...fractions) * 100).toFixed(1)}…${(Math.max(...fractions) * 100).toFixed(1)}%`;
const rows = [];
for (const storm of storms) {
  const runs = Object.fromEntries(MODES.map((m) => [m, []]));
  for (let round = 0; round < ROUNDS; round++) for (const mode of MODES) runs[mode].push(await measure(mode, () => runStorm(storm.script)));
  const base = { wall: median(runs.baseline.map((r) => r.wall)), cpu: median(runs.baseline.map((r) => r.cpu)) };
  for (const mode of MODES) {
    const rs = runs[mode];
    const wall = median(rs.map((r) => r.wall));
    const cpu = median(rs.map((r) => r.cpu));
    rows.push({
      storm: storm.name,
      mode,
      operations: storm.operations,
      wallSeconds: +wall.toFixed(3),
      wallSlowdownPct: +(((wall - base.wall) / base.wall) * 100).toFixed(1),
      cpuSeconds: +cpu.toFixed(3),
      cpuOverheadPct: +(((cpu - base.cpu) / base.cpu) * 100).toFixed(1),
      // Each round against the same round's baseline (they ran back to back): min–max.
      cpuOverheadSpread: pctSpread(rs.map((r, i) => (r.cpu - runs.baseline[i].cpu) / runs.baseline[i].cpu)),
      wallSlowdownSpread: pctSpread(rs.map((r, i) => (r.wall - runs.baseline[i].wall) / runs.baseline[i].wall)),
      kernelEvents: median(rs.map((r) => r.events)),
      kernelDrops: Math.max(...rs.map((r) => r.drops)),
      sensorCpuPct: +((median(rs.map((r) => r.sensorCpu)) / wall) * 100).toFixed(1),
    });
  }
}

const spread = (xs) => `${fmtRate(Math.min(...xs))}–${fmtRate(Math.max(...xs))}`;
const fmtRate = (x) => (x >= 1e4 ? `${(x / 1e3).toFixed(0)}k` : x.toFixed(0));
const rateRows = [];
for (const storm of RATE_STORMS) {
  const runs = Object.fromEntries(MODES.map((m) => [m, []]));
  for (let round = 0; round < ROUNDS; round++) for (const mode of MODES) runs[mode].push(await measure(mode, () => runRate(storm)));
  const baseOps = median(runs.baseline.map((r) => r.ops / r.wall));
  for (const mode of MODES) {
    const rs = runs[mode];
    const opsPerSec = rs.map((r) => r.ops / r.wall);
    const eventsPerSec = rs.map((r) => r.events / r.wall);
    rateRows.push({
      storm: storm.name,
      mode,
      opsPerSec: Math.round(median(opsPerSec)),
      opsSpread: spread(opsPerSec),
      opsSlowdownPct: +(((baseOps - median(opsPerSec)) / baseOps) * 100).toFixed(1),
      eventsPerSec: Math.round(median(eventsPerSec)),
      eventsSpread: mode === 'baseline' ? '' : spread(eventsPerSec),
      kernelDrops: Math.max(...rs.map((r) => r.drops)),
      dropRounds: rs.filter((r) => r.drops > 0).length,
      sensorCpuPct: +((median(rs.map((r) => r.sensorCpu / r.wall))) * 100).toFixed(1),
    });
  }
}
rmSync(dir, { recursive: true, force: true });

const m = machine();
console.log(`machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}; ${ROUNDS} rounds, medians; ring ${RING_BYTES >> 20} MiB`);
if (rows.length) printTable('sensor overhead (slowdown vs baseline)', rows);
if (rateRows.length) printTable(`sensor throughput (rate storms, ${RATE_SECONDS} s each; spreads are min–max over rounds)`, rateRows);
writeResults(process.env.KESTREL_BENCH_NAME ?? 'sensor', { rounds: ROUNDS, ringBytes: RING_BYTES, rateSeconds: RATE_SECONDS, results: rows, rate: rateRows });

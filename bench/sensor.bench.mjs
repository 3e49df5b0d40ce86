#!/usr/bin/env node
// Sensor overhead. Two storms, each a child shell loop:
//   exec  — N `/bin/true` spawns (fork + exec + exit per iteration);
//   write — M `echo x > file` (one open-for-write per iteration, no exec).
// Each storm runs in four modes, interleaved round by round so that drift on a shared VM hits
// every mode alike, and the median round is reported:
//   baseline   — no sensor;
//   before     — (with KESTREL_BENCH_BEFORE) an older build's sensor, drained at once;
//   immediate  — sensor attached, drained the moment the ring is readable (coalesceMs 0: the
//                kernel then wakes this process for nearly every event);
//   sensor     — sensor attached with the default 10 ms coalescing (what kestrel record uses);
//   records    — as sensor, and every event converted to an ECS record (KernelRecordConverter).
// Two costs per mode: the storm's wall time, and its CPU time (user + system of the shell and
// its children, from the shell's `times`), which includes the BPF programs (they run in the
// storm's own context) and is less disturbed by other load on the machine than wall time.
// Needs root, dist/ (npm run build) and the built addon. Sizes: KESTREL_BENCH_EXECS (5000),
// KESTREL_BENCH_WRITES (20000), KESTREL_BENCH_ROUNDS (5); KESTREL_BENCH_MODES (comma list) and
// KESTREL_BENCH_NAME (results file name) let the same script measure an older build;
// KESTREL_BENCH_BEFORE=<other checkout>/dist adds mode "before": that build's Sensor, drained at
// once, interleaved with the others (before/after on the same machine state).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DIST, machine, printTable, writeResults } from './lib.mjs';

const { Sensor, ebpfUnavailableReason } = await import(join(DIST, 'shared/sensor/sensor.js'));

const EXECS = Number(process.env.KESTREL_BENCH_EXECS ?? 5000);
const WRITES = Number(process.env.KESTREL_BENCH_WRITES ?? 20000);
const ROUNDS = Number(process.env.KESTREL_BENCH_ROUNDS ?? 5);
// A subset, e.g. "baseline,immediate", also runs against an older build (no converter there).
const BEFORE = process.env.KESTREL_BENCH_BEFORE;
const MODES = (process.env.KESTREL_BENCH_MODES ?? `baseline,${BEFORE ? 'before,' : ''}immediate,sensor,records`).split(',');
const BeforeSensor = BEFORE ? (await import(join(BEFORE, 'shared/sensor/sensor.js'))).Sensor : undefined;
const records = MODES.includes('records') ? await recordModules() : undefined;

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
  { name: 'exec storm', operations: EXECS, script: `i=0; while [ $i -lt ${EXECS} ]; do /bin/true; i=$((i+1)); done` },
  { name: 'file-write storm', operations: WRITES, script: `i=0; while [ $i -lt ${WRITES} ]; do echo x > f$((i % 64)); i=$((i+1)); done` },
];

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
  const sensor = mode === 'before' ? new BeforeSensor({ ringBufferBytes: 32 << 20 }) : new Sensor({ ringBufferBytes: 32 << 20, coalesceMs: mode === 'immediate' ? 0 : undefined });
  let handler = (view, bytes) => {
    for (let at = 0; at < bytes; at += (view.getUint32(at, true) + 15) & ~7) counts.events++;
  };
  if (mode === 'records') {
    const { readHostInfo, ProcessTable, KernelRecordConverter, buildLayout, ecsLinuxSchema, BootClock, bootClockOffsetNs } = records;
    const host = readHostInfo();
    const table = new ProcessTable({ bootId: host.bootId });
    table.seedFromProc();
    const converter = new KernelRecordConverter({ layout: buildLayout(ecsLinuxSchema()), table, host, clock: new BootClock(bootClockOffsetNs()) });
    let recordBytes = 0;
    const sink = (_record, length) => (recordBytes += length);
    handler = (view, bytes) => {
      counts.records += converter.convertBatch(view, bytes, sink);
    };
  }
  sensor.start(handler);
  return { sensor, counts };
}

async function measure(storm, mode) {
  if (mode === 'baseline') return { ...(await runStorm(storm.script)), events: 0, drops: 0, sensorCpu: 0 };
  const { sensor, counts } = startSensor(mode);
  const cpuBefore = process.cpuUsage();
  const result = await runStorm(storm.script);
  sensor.drain();
  const cpu = process.cpuUsage(cpuBefore);
  const stats = sensor.stats();
  sensor.stop();
  return { ...result, events: stats.events, drops: stats.drops, records: counts.records, sensorCpu: (cpu.user + cpu.system) / 1e6 };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
for (const storm of storms) {
  const runs = Object.fromEntries(MODES.map((m) => [m, []]));
  for (let round = 0; round < ROUNDS; round++) for (const mode of MODES) runs[mode].push(await measure(storm, mode));
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
      kernelEvents: median(rs.map((r) => r.events)),
      kernelDrops: Math.max(...rs.map((r) => r.drops)),
      sensorCpuPct: +((median(rs.map((r) => r.sensorCpu)) / wall) * 100).toFixed(1),
    });
  }
}
rmSync(dir, { recursive: true, force: true });

const m = machine();
console.log(`machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}; ${ROUNDS} rounds, medians`);
printTable('sensor overhead (slowdown vs baseline)', rows);
writeResults(process.env.KESTREL_BENCH_NAME ?? 'sensor', { rounds: ROUNDS, results: rows });

#!/usr/bin/env node
// Sensor overhead and throughput. Two storms, each run by a child shell, first without the sensor
// (baseline) and then with it attached and drained by this process:
//   exec  — N `/bin/true` spawns from a shell loop (fork + exec + exit per iteration);
//   write — M `echo x > file` from a shell loop (one open-for-write per iteration, no exec).
// Reports events/s seen by the sensor, kernel drops, this process's CPU% while draining, and the
// storm's slowdown. Needs root, dist/ (npm run build) and the built addon (scripts/setup.sh).
// Writes bench/results/sensor.json. Sizes: KESTREL_BENCH_EXECS (20000), KESTREL_BENCH_WRITES (50000).
// The baseline runs before and after the sensor run and is averaged, to cancel slow drift of a VM..
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const { Sensor, ebpfUnavailableReason } = await import(join(ROOT, 'dist/shared/sensor/sensor.js'));
const { KINDS, FRAME_HEADER_BYTES, frameBytes } = await import(join(ROOT, 'dist/shared/sensor/layout.js'));

const EXECS = Number(process.env.KESTREL_BENCH_EXECS ?? 20_000);
const WRITES = Number(process.env.KESTREL_BENCH_WRITES ?? 50_000);
const kindId = (name) => [...KINDS.values()].find((k) => k.name === name).id;

const reason = ebpfUnavailableReason();
if (reason) {
  console.error(`sensor bench: cannot run: ${reason}`);
  process.exit(1);
}

const dir = mkdtempSync(join(tmpdir(), 'kestrel-bench-'));
const scenarios = [
  { name: 'exec storm', kind: 'process_exec', expected: EXECS, script: `i=0; while [ $i -lt ${EXECS} ]; do /bin/true; i=$((i+1)); done` },
  { name: 'file-write storm', kind: 'file_open', expected: WRITES, script: `i=0; while [ $i -lt ${WRITES} ]; do echo x > f$((i % 64)); i=$((i+1)); done` },
];

function runStorm(script) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn('/bin/sh', ['-c', script], { cwd: dir, stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve({ seconds: Number(process.hrtime.bigint() - start) / 1e9, pid: child.pid }) : reject(new Error(`storm exited ${code}`))));
  });
}

async function withSensor(scenario) {
  const wanted = kindId(scenario.kind);
  let all = 0;
  let matching = 0;
  let frames = 0;
  const sensor = new Sensor({ ringBufferBytes: 16 << 20, batchBytes: 1 << 20 });
  sensor.start((view, bytes) => {
    for (let at = 0; at < bytes; ) {
      const length = view.getUint32(at, true);
      all++;
      if (view.getUint32(at + FRAME_HEADER_BYTES, true) === wanted) matching++;
      at += frameBytes(length);
    }
    frames += bytes;
  });
  const cpuBefore = process.cpuUsage();
  const storm = await runStorm(scenario.script);
  sensor.drain();
  const cpu = process.cpuUsage(cpuBefore);
  const stats = sensor.stats();
  sensor.stop();
  return { storm, all, matching, bytes: frames, drops: stats.drops, cpuPercent: ((cpu.user + cpu.system) / 1e6 / storm.seconds) * 100 };
}

const results = [];
for (const scenario of scenarios) {
  const before = await runStorm(scenario.script);
  const live = await withSensor(scenario);
  const after = await runStorm(scenario.script);
  const baseline = { seconds: (before.seconds + after.seconds) / 2 };
  results.push({
    scenario: scenario.name,
    operations: scenario.expected,
    baselineSeconds: +baseline.seconds.toFixed(3),
    sensorSeconds: +live.storm.seconds.toFixed(3),
    slowdownPercent: +(((live.storm.seconds - baseline.seconds) / baseline.seconds) * 100).toFixed(1),
    eventsSeen: live.all,
    [`${scenario.kind}Events`]: live.matching,
    eventsPerSecond: Math.round(live.all / live.storm.seconds),
    drainedMiB: +(live.bytes / 2 ** 20).toFixed(1),
    kernelDrops: live.drops,
    sensorCpuPercent: +live.cpuPercent.toFixed(1),
  });
}
rmSync(dir, { recursive: true, force: true });

const machine = { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), kernel: release(), node: process.version };
console.log(`machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Linux ${machine.kernel}, Node ${machine.node}`);
const columns = ['scenario', 'operations', 'baselineSeconds', 'sensorSeconds', 'slowdownPercent', 'eventsSeen', 'eventsPerSecond', 'kernelDrops', 'sensorCpuPercent'];
const widths = columns.map((c) => Math.max(c.length, ...results.map((r) => String(r[c]).length)));
const row = (cells) => cells.map((cell, i) => String(cell).padStart(widths[i])).join('  ');
console.log(row(columns));
for (const r of results) console.log(row(columns.map((c) => r[c])));

mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
writeFileSync(join(ROOT, 'bench/results/sensor.json'), JSON.stringify({ date: new Date().toISOString(), machine, results }, null, 2) + '\n');

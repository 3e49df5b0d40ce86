#!/usr/bin/env node
// Makes a longer capture out of a short recording, for benchmarks: the recording N times in a row,
// each copy shifted in time by the recording's span (+1 s) and renumbered (seq keeps increasing),
// so windows of one copy never reach into the next. The records themselves are unchanged.
//
//   node bench/repeat-capture.mjs IN.bin OUT.bin N
import { join } from 'node:path';
import { DIST } from './lib.mjs';

const [input, output, times] = process.argv.slice(2);
if (!input || !output || !Number(times)) throw new Error('usage: repeat-capture.mjs IN.bin OUT.bin N');
const { CaptureReader } = await import(join(DIST, 'shared/capture/reader.js'));
const { CaptureWriter } = await import(join(DIST, 'shared/capture/writer.js'));
const { buildLayout } = await import(join(DIST, 'shared/record/layout.js'));
const { RecordHeader } = await import(join(DIST, 'shared/record/frame.js'));

const first = await CaptureReader.open(input);
const layout = buildLayout(first.schema);
let lo = Infinity;
let hi = -Infinity;
for await (const chunk of first.chunks()) {
  lo = Math.min(lo, Number(chunk.firstTimestampNs));
  hi = Math.max(hi, Number(chunk.lastTimestampNs));
}
await first.close();
const spanNs = BigInt(Math.max(0, hi - lo)) + 1_000_000_000n;
const writer = CaptureWriter.create(output, { layout, source: { ...first.meta.source, description: `${first.meta.source.description ?? 'recording'} ×${times}` } });
let seq = 0n;
for (let copy = 0n; copy < BigInt(times); copy++) {
  const reader = await CaptureReader.open(input);
  for await (const chunk of reader.chunks()) {
    const bytes = chunk.payload;
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let off = 0; off < bytes.length; off += dv.getUint32(off, true)) {
      const rec = bytes.slice(off, off + dv.getUint32(off, true));
      const rv = new DataView(rec.buffer);
      rv.setBigUint64(RecordHeader.seq, seq++, true);
      rv.setBigUint64(RecordHeader.timestamp, rv.getBigUint64(RecordHeader.timestamp, true) + copy * spanNs, true);
      writer.append(rec);
    }
  }
  await reader.close();
}
writer.close();
console.log(`wrote ${seq} records (${times} copies) to ${output}`);

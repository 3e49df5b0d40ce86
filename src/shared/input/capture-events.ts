// Captures as event input (`kestrel query … capture.bin`, `kestrel convert capture.bin out.ndjson`):
// records decoded back to ECS JSON, with the same InputRecord shape as NDJSON input.
import { open } from 'node:fs/promises';
import { CaptureReader } from '../capture/reader.js';
import { FILE_MAGIC } from '../capture/format.js';
import { decodeRecord } from '../record/decode.js';
import type { InputRecord } from './read-events.js';
import type { JsonObject } from './normalize.js';

/** True when the file starts with the capture magic (a '-' stdin argument never is). */
export async function isCaptureFile(file: string): Promise<boolean> {
  if (file === '-') return false;
  let fh;
  try {
    fh = await open(file, 'r');
  } catch {
    return false; // the ordinary reader reports the missing file
  }
  try {
    const head = Buffer.alloc(FILE_MAGIC.length);
    const { bytesRead } = await fh.read(head, 0, head.length, 0);
    return bytesRead === head.length && head.toString('latin1') === FILE_MAGIC;
  } catch {
    return false; // a directory, say: the ordinary reader reports it
  } finally {
    await fh.close();
  }
}

export async function* captureRecords(file: string): AsyncGenerator<InputRecord> {
  const reader = await CaptureReader.open(file);
  try {
    let index = 0;
    for await (const view of reader.records()) {
      const i = index++;
      const seq = view.seq;
      yield {
        event: decodeRecord(view) as JsonObject,
        file,
        index: i,
        locate: () => ({ text: `record ${i} (seq ${seq})`, context: { record: i, seq } }),
      };
    }
  } finally {
    await reader.close();
  }
}

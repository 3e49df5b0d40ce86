// Encodes events back to back into one buffer, the way a capture chunk holds records.
import { encodeEvent } from '../../src/shared/record/encode.js';
import type { RecordLayout } from '../../src/shared/record/layout.js';

export function packRecords(layout: RecordLayout, events: readonly Record<string, unknown>[]): { bytes: Uint8Array; offsets: number[]; lengths: number[] } {
  const chunks = events.map((e, i) => encodeEvent(layout, e, i));
  const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  const offsets: number[] = [];
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    offsets.push(at);
    at += c.length;
  }
  return { bytes, offsets, lengths: chunks.map((c) => c.length) };
}

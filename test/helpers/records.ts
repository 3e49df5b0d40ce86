// Encodes events back to back into one buffer, the way a capture chunk holds records.
import { encodeEvent } from '../../src/shared/record/encode.js';
import type { RecordLayout } from '../../src/shared/record/layout.js';
import { synthesize } from '../../src/shared/synth/generate.js';

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

/** `kestrel synth` records of every kind (mixed scenario), packed back to back. */
export function synthRecords(layout: RecordLayout, events: number, seed: number): { bytes: Uint8Array; offsets: number[] } {
  const parts: Uint8Array[] = [];
  synthesize(layout, { scenario: 'mixed', events, seed, attackRate: 0.05 }, (b, length) => parts.push(b.slice(0, length)));
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  const offsets: number[] = [];
  let at = 0;
  for (const p of parts) {
    offsets.push(at);
    bytes.set(p, at);
    at += p.length;
  }
  return { bytes, offsets };
}

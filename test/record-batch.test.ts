import { describe, expect, it } from 'vitest';
import { RecordBatch } from '../src/main/pipeline/record-batch.js';

describe('RecordBatch', () => {
  it('gathers records from a reused buffer, 8-byte aligned, growing as needed, and empties on drain', () => {
    const batch = new RecordBatch(16, 2);
    const reused = new Uint8Array(64);
    const lengths = [12, 8, 40, 3];
    lengths.forEach((n, i) => {
      reused.fill(i + 1, 0, n);
      batch.add(reused, n);
    });
    let seen: number[][] = [];
    batch.drain((bytes, offsets, count) => {
      seen = Array.from({ length: count }, (_, i) => [...bytes.subarray(offsets[i]!, offsets[i]! + lengths[i]!)]);
      expect([...offsets.subarray(0, count)].every((o) => o % 8 === 0)).toBe(true);
    });
    expect(seen).toEqual(lengths.map((n, i) => new Array(n).fill(i + 1)));
    let called = false;
    batch.drain(() => (called = true));
    expect(called).toBe(false);
    batch.add(reused, 5);
    batch.drain((_b, offsets, count) => expect([count, offsets[0]]).toEqual([1, 0]));
  });
});

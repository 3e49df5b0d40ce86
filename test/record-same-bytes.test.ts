// sameBytesWide (four bytes at a time through DataViews) must answer exactly as the byte loop.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sameBytes, sameBytesWide } from '../src/shared/record/same-bytes.js';

describe('sameBytesWide', () => {
  it('agrees with sameBytes at any offsets and lengths, equal or differing in one byte', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 90 }),
        fc.nat(7),
        fc.nat(7),
        fc.option(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { nil: undefined }),
        (value, aPad, bPad, change) => {
          // The same value at two (mostly unaligned) offsets of two buffers, one byte changed or not.
          const a = new Uint8Array(aPad + value.length + 3);
          const b = new Uint8Array(bPad + value.length + 5);
          a.set(value, aPad);
          b.set(value, bPad);
          if (change && value.length > 0) b[bPad + (change[0] % value.length)] ^= change[1];
          const wide = sameBytesWide(a, new DataView(a.buffer), aPad, b, new DataView(b.buffer), bPad, value.length);
          expect(wide).toBe(sameBytes(a, aPad, b, bPad, value.length));
          expect(wide).toBe(!change || value.length === 0);
        },
      ),
      { numRuns: 2000, seed: 5 },
    );
  });

  it('compares bit patterns, not numbers: a float view would call these NaNs unequal', () => {
    const nan = Uint8Array.from([0x01, 0x00, 0xc0, 0x7f, 0x01, 0x00, 0xc0, 0x7f]);
    const copy = Uint8Array.from(nan);
    expect(sameBytesWide(nan, new DataView(nan.buffer), 0, copy, new DataView(copy.buffer), 0, 8)).toBe(true);
    const minusZero = Uint8Array.from([0, 0, 0, 0x80]);
    const zero = new Uint8Array(4);
    expect(sameBytesWide(minusZero, new DataView(minusZero.buffer), 0, zero, new DataView(zero.buffer), 0, 4)).toBe(false);
  });
});

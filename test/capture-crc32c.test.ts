import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { crc32c, portableCrc32c } from '../src/shared/capture/crc32c.js';
import { nativeCrc32c } from '../src/shared/sensor/addon.js';

const ascii = (s: string) => new TextEncoder().encode(s);

/** Bit-at-a-time reference straight from the definition, to test the sliced tables against. */
function reference(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}

describe('crc32c', () => {
  // Published check values: the CRC catalogue ("123456789") and RFC 3720 appendix B.4 (iSCSI).
  it.each([
    ['empty', new Uint8Array(0), 0x00000000],
    ['"123456789"', ascii('123456789'), 0xe3069283],
    ['32 bytes of 0x00', new Uint8Array(32), 0x8a9136aa],
    ['32 bytes of 0xFF', new Uint8Array(32).fill(0xff), 0x62a8ab43],
    ['32 incrementing bytes', Uint8Array.from({ length: 32 }, (_, i) => i), 0x46dd794e],
    ['32 decrementing bytes', Uint8Array.from({ length: 32 }, (_, i) => 31 - i), 0x113fdb5c],
  ])('%s', (_name, bytes, expected) => {
    expect(crc32c(bytes)).toBe(expected);
  });

  it('matches the bit-at-a-time definition on any input and alignment', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), fc.nat(20), (bytes, skip) => {
        const start = Math.min(skip, bytes.length);
        expect(crc32c(bytes, start)).toBe(reference(bytes.subarray(start)));
      }),
    );
  });

  it('continues a running CRC across pieces', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.nat(64), (bytes, cut) => {
        const k = Math.min(cut, bytes.length);
        expect(crc32c(bytes, k, bytes.length, crc32c(bytes, 0, k))).toBe(crc32c(bytes));
      }),
    );
  });

  it('matches the definition on inputs longer than one copied piece (chunk-sized payloads)', () => {
    const bytes = Uint8Array.from({ length: 200_003 }, (_, i) => (i * 2654435761) >>> 24);
    expect(crc32c(bytes)).toBe(reference(bytes));
    expect(crc32c(bytes, 65_533, 196_613)).toBe(reference(bytes.subarray(65_533, 196_613)));
  });

  // The sensor addon's SSE4.2 path takes chunk-sized inputs. Where the eBPF tests must run (CI) the
  // addon is built, so its absence there is a failure, not a skip.
  const native = nativeCrc32c();
  it('uses the hardware CRC where the addon loads, with the same results as the portable loop', () => {
    if (process.env.KESTREL_REQUIRE_EBPF === '1') expect(native, 'sensor addon crc32c').toBeDefined();
    if (!native) return;
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 4096, maxLength: 20_000 }), fc.nat(40), fc.nat(40), fc.nat(), (bytes, a, b, seed) => {
        const start = Math.min(a, bytes.length);
        const end = Math.max(start, bytes.length - b);
        expect(native(bytes, start, end, seed >>> 0)).toBe(portableCrc32c(bytes, start, end, seed >>> 0));
        expect(crc32c(bytes, start, end)).toBe(reference(bytes.subarray(start, end)));
      }),
      { numRuns: 200 },
    );
  });
});

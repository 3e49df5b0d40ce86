// readUtf8 decodes record strings in place: ASCII strings up to 48 bytes through Node's native Latin-1
// slice (or the same string decoded lately), anything else through TextDecoder; all must give
// exactly the UTF-8 decoding, from plain and from shared memory, at any offset.
import { describe, expect, it } from 'vitest';
import { readUtf8 } from '../src/shared/record/utf8.js';

// Lengths around the slice's limits (32: the loop without Node's slice; 48: ASCII_SLICE_MAX),
// ASCII and with a non-ASCII character last.
const edges = [31, 32, 33, 47, 48, 49, 64].flatMap((n) => ['z'.repeat(n), 'w'.repeat(n - 2) + 'é']);
const samples = ['', 'a', 'bash', 'd1pPLTXajujN9v2n', 'x'.repeat(31), 'y'.repeat(32), '/usr/lib/systemd/systemd-journald', 'café', 'é', '日本語', '😀 emoji', 'a\u0000b', '\u007f\u0080', ...edges];

describe('readUtf8', () => {
  for (const shared of [false, true]) {
    it(`decodes ASCII and non-ASCII strings of any length (${shared ? 'shared' : 'plain'} memory)`, () => {
      for (const s of samples) {
        const encoded = new TextEncoder().encode(s);
        const buf = new Uint8Array(shared ? new SharedArrayBuffer(encoded.length + 11) : new ArrayBuffer(encoded.length + 11));
        buf.fill(0x41);
        buf.set(encoded, 7);
        expect(readUtf8(buf, 7, 7 + encoded.length), JSON.stringify(s)).toBe(s);
      }
    });
  }

  it('gives the string decoded lately for the same bytes, and never another value\'s', () => {
    const enc = new TextEncoder();
    const at = (text: string) => {
      const b = new Uint8Array(text.length + 5).fill(0x20);
      b.set(enc.encode(text), 3);
      return readUtf8(b, 3, 3 + text.length);
    };
    const id = 'c2a7f1d0-6e55-4b1e-9d3a-0f2b1a9e8c77';
    expect(at(id)).toBe(id);
    // The same object back: a Map lookup by it finds its hash computed, and nothing is allocated.
    expect(Object.is(at(id), at(id))).toBe(true);
    // 200k distinct values through 4096 entries: every slot is reused many times and some 32-bit
    // hashes collide (birthday bound ~77k), so a hit that trusted the hash alone would show here.
    let wrong = 0;
    for (let i = 0; i < 200_000; i++) {
      const text = `p${(i * 2654435761) >>> 0}-${i % 97}`;
      if (at(text) !== text || at(text) !== text) wrong++;
    }
    expect(wrong).toBe(0);
    // Two values of one length whose 32-bit hashes are equal (found by search for the hash
    // readUtf8 uses): the second finds the first's entry and must compare the bytes.
    expect(at('k0105zx')).toBe('k0105zx');
    expect(at('k01bpcd')).toBe('k01bpcd');
    expect(at('k0105zx')).toBe('k0105zx');
    expect(at('abc')).toBe('abc');
    expect(at('abd')).toBe('abd');
    expect(at('')).toBe('');
  });
});

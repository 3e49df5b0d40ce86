// readUtf8 decodes record strings in place: ASCII strings up to 48 bytes through Node's native Latin-1
// slice, anything else through TextDecoder; both must give exactly the UTF-8 decoding, from plain
// and from shared memory, at any offset.
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
});

// readUtf8 decodes record strings in place: short ASCII strings through Node's native Latin-1
// slice, anything else through TextDecoder; both must give exactly the UTF-8 decoding, from plain
// and from shared memory, at any offset.
import { describe, expect, it } from 'vitest';
import { readUtf8 } from '../src/shared/record/utf8.js';

const samples = ['', 'a', 'bash', 'd1pPLTXajujN9v2n', 'x'.repeat(31), 'y'.repeat(32), '/usr/lib/systemd/systemd-journald', 'café', 'é', '日本語', '😀 emoji', 'a\u0000b', '\u007f\u0080'];

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

// The decoder and framing on hand-built buffers laid out from the shared description.
import { describe, expect, it } from 'vitest';
import { decodeKernelEvent, forEachFrame } from '../src/shared/sensor/decode.js';
import { FRAME_HEADER_BYTES, KINDS, MAX_EVENT_BYTES, STRUCTS, frameBytes } from '../src/shared/sensor/layout.js';

function field(struct: string, name: string): number {
  const s = STRUCTS.get(struct)!;
  const f = s.fields.find((x) => x.name === name);
  if (!f) throw new Error(`${struct}.${name}`);
  return f.offset;
}

function kindId(name: string): number {
  return [...KINDS.values()].find((k) => k.name === name)!.id;
}

describe('kernel event decoding', () => {
  it('frames are 8-byte aligned with an 8-byte header', () => {
    expect(frameBytes(64)).toBe(72);
    expect(frameBytes(65)).toBe(80);
    expect(FRAME_HEADER_BYTES).toBe(8);
    expect(MAX_EVENT_BYTES).toBe(Math.max(...[...STRUCTS.values()].map((s) => s.size)));
  });

  it('decodes header fields and the packed tail (C strings, argv list) of a short exec frame', () => {
    const tail = field('exec', 'tail');
    const strings = ['/bin/true\0', '/usr/bin/true\0', '/\0', '', '/bin/true\0a b\0c\0'].map((x) => new TextEncoder().encode(x));
    const size = tail + strings.reduce((n, x) => n + x.length, 0);
    const buf = new ArrayBuffer(frameBytes(size) + 64); // trailing bytes belong to the next frame
    const view = new DataView(buf);
    const bytes = new Uint8Array(buf);
    bytes.fill(0x41, FRAME_HEADER_BYTES + size);
    const base = FRAME_HEADER_BYTES;
    const hdr = field('exec', 'hdr');
    view.setUint32(0, size, true);
    view.setUint32(base + hdr + field('header', 'kind'), kindId('process_exec'), true);
    view.setUint32(base + hdr + field('header', 'tgid'), 4242, true);
    view.setBigUint64(base + hdr + field('header', 'start_time'), 123456789n, true);
    bytes.set(new TextEncoder().encode('true\0'), base + hdr + field('header', 'comm'));
    let at = base + tail;
    ['filename_len', 'exe_len', 'cwd_len', 'tty_len', 'args_len'].forEach((name, i) => {
      const f = STRUCTS.get('exec')!.fields.find((x) => x.name === name)!;
      if (f.type === 'u16') view.setUint16(base + f.offset, strings[i]!.length, true);
      else view.setUint32(base + f.offset, strings[i]!.length, true);
      bytes.set(strings[i]!, at);
      at += strings[i]!.length;
    });
    view.setUint32(base + field('exec', 'argc'), 3, true);

    const seen: number[] = [];
    forEachFrame(view, 0, frameBytes(size), (offset, length) => {
      seen.push(length);
      const e = decodeKernelEvent(view, offset, length);
      expect(e).toMatchObject({
        kind: 'process_exec', tgid: 4242, startTime: 123456789n, comm: 'true',
        filename: '/bin/true', exe: '/usr/bin/true', cwd: '/', tty: '', argc: 3, args: ['/bin/true', 'a b', 'c'],
      });
      expect(Object.keys(e)).not.toContain('_pad');
    });
    expect(seen).toEqual([size]);
    expect(size).toBeLessThan(STRUCTS.get('exec')!.size);
  });

  it('never reads a tail part past the end of its frame', () => {
    const tail = field('file_open', 'tail');
    const view = new DataView(new ArrayBuffer(tail + 16));
    new Uint8Array(view.buffer).fill(0x41, tail);
    view.setUint32(field('header', 'kind'), kindId('file_open'), true);
    view.setUint32(field('file_open', 'path_len'), 400, true); // claims more than the frame holds
    const e = decodeKernelEvent(view, 0, tail + 4);
    expect(e).toMatchObject({ kind: 'file_open', path: 'AAAA' });
  });

  it('formats IPv4 and IPv6 addresses by the event family', () => {
    const size = STRUCTS.get('net')!.size;
    const view = new DataView(new ArrayBuffer(size));
    view.setUint32(field('header', 'kind'), kindId('net_connect'), true);
    view.setUint16(field('net', 'family'), 10, true);
    view.setUint16(field('net', 'remote_addr') + 14, 1, false);
    [127, 0, 0, 1].forEach((b, i) => view.setUint8(field('net', 'local_addr') + i, b));
    const e = decodeKernelEvent(view, 0);
    expect(e).toMatchObject({ kind: 'net_connect', family: 10, remoteAddr: '0:0:0:0:0:0:0:1' });
    view.setUint16(field('net', 'family'), 2, true);
    expect(decodeKernelEvent(view, 0)).toMatchObject({ localAddr: '127.0.0.1' });
  });

  it('rejects an unknown kind with its id and offset', () => {
    const view = new DataView(new ArrayBuffer(64));
    view.setUint32(0, 999, true);
    expect(() => decodeKernelEvent(view, 0)).toThrow('decodeKernelEvent: unknown event kind 999 at byte 0');
  });
});

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

  it('decodes header fields, C strings and the argv list of an exec event', () => {
    const size = STRUCTS.get('exec')!.size;
    const buf = new ArrayBuffer(frameBytes(size));
    const view = new DataView(buf);
    const bytes = new Uint8Array(buf);
    const base = FRAME_HEADER_BYTES;
    const hdr = field('exec', 'hdr');
    view.setUint32(0, size, true);
    view.setUint32(base + hdr + field('header', 'kind'), kindId('process_exec'), true);
    view.setUint32(base + hdr + field('header', 'tgid'), 4242, true);
    view.setBigUint64(base + hdr + field('header', 'start_time'), 123456789n, true);
    bytes.set(new TextEncoder().encode('true\0'), base + hdr + field('header', 'comm'));
    bytes.set(new TextEncoder().encode('/bin/true\0'), base + field('exec', 'filename'));
    const args = new TextEncoder().encode('/bin/true\0a b\0c\0');
    bytes.set(args, base + field('exec', 'args'));
    view.setUint32(base + field('exec', 'args_len'), args.length, true);
    view.setUint32(base + field('exec', 'argc'), 3, true);

    const seen: number[] = [];
    forEachFrame(view, 0, buf.byteLength, (offset, length) => {
      seen.push(length);
      const e = decodeKernelEvent(view, offset);
      expect(e).toMatchObject({ kind: 'process_exec', tgid: 4242, startTime: 123456789n, comm: 'true', filename: '/bin/true', argc: 3, args: ['/bin/true', 'a b', 'c'] });
      expect(Object.keys(e)).not.toContain('_pad');
    });
    expect(seen).toEqual([size]);
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

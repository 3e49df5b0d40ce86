// DNS responses as the sensor hands them over (src/main/sensor/dns-message.ts): header, question,
// answers with compression; queries, short and broken messages give no event, and never throw.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDnsResponse } from '../src/main/sensor/dns-message.js';

const u16 = (n: number) => [n >> 8, n & 0xff];
const name = (n: string) => [...n.split('.').flatMap((l) => [l.length, ...Buffer.from(l)]), 0];

function response(opts: { qr?: boolean; rcode?: number; question?: string; qtype?: number; answers?: number[][]; qd?: number } = {}) {
  const answers = opts.answers ?? [];
  const flags = (opts.qr === false ? 0 : 0x8000) | 0x0180 | (opts.rcode ?? 0);
  return Uint8Array.from([
    ...u16(0x1234), ...u16(flags), ...u16(opts.qd ?? 1), ...u16(answers.length), ...u16(0), ...u16(0),
    ...name(opts.question ?? 'www.example.com'), ...u16(opts.qtype ?? 1), ...u16(1),
    ...answers.flat(),
  ]);
}
/** An answer whose name is a pointer to the question (offset 12). */
const rr = (type: number, rdata: number[]) => [0xc0, 0x0c, ...u16(type), ...u16(1), 0, 0, 0, 60, ...u16(rdata.length), ...rdata];

describe('parseDnsResponse', () => {
  it('reads the question, the response code and A / AAAA / CNAME answers (compressed names)', () => {
    const cname = rr(5, [3, ...Buffer.from('cdn'), 0xc0, 0x0c]);
    const a = rr(1, [203, 0, 113, 7]);
    const aaaa = rr(28, [0x20, 0x01, 0x0d, 0xb8, ...Array(11).fill(0), 1]);
    const r = parseDnsResponse(response({ answers: [cname, a, aaaa] }), 0, response({ answers: [cname, a, aaaa] }).length)!;
    expect(r).toMatchObject({ id: 0x1234, responseCode: 'NOERROR', questionName: 'www.example.com', questionType: 'A', questionClass: 'IN' });
    expect(r.answers).toEqual([
      { name: 'www.example.com', type: 'CNAME', data: 'cdn.www.example.com' },
      { name: 'www.example.com', type: 'A', data: '203.0.113.7' },
      { name: 'www.example.com', type: 'AAAA' },
    ]);
    expect(r.resolvedIps.map((ip) => Buffer.from(ip).toString('hex'))).toEqual(['00000000000000000000ffffcb007107', '20010db8000000000000000000000001']);
  });

  it('NXDOMAIN with no answers; a message at an offset inside a larger buffer', () => {
    const msg = response({ rcode: 3, question: 'nope.invalid', qtype: 28 });
    const buf = new Uint8Array(msg.length + 7);
    buf.set(msg, 7);
    expect(parseDnsResponse(buf, 7, msg.length)).toMatchObject({ responseCode: 'NXDOMAIN', questionName: 'nope.invalid', questionType: 'AAAA', answers: [], resolvedIps: [] });
  });

  it('a query (QR = 0), no question, or a message cut inside the question: no event', () => {
    expect(parseDnsResponse(response({ qr: false }), 0, response({ qr: false }).length)).toBeUndefined();
    expect(parseDnsResponse(response({ qd: 0 }), 0, 12)).toBeUndefined();
    const full = response();
    expect(parseDnsResponse(full, 0, 20)).toBeUndefined();
    expect(parseDnsResponse(full, 0, 11)).toBeUndefined();
  });

  it('answers cut short or with pointer loops end the answer list, the question stays', () => {
    const loop = [0xc0, 0x30, ...u16(1), ...u16(1), 0, 0, 0, 1, ...u16(4), 1, 2, 3, 4];
    const msg = response({ answers: [rr(1, [1, 2, 3, 4]), loop] });
    // Point the second answer's name at itself: offset of that answer.
    const second = msg.length - loop.length;
    msg[second] = 0xc0;
    msg[second + 1] = second;
    const r = parseDnsResponse(msg, 0, msg.length)!;
    expect(r.questionName).toBe('www.example.com');
    expect(r.answers).toHaveLength(1);
    const cut = parseDnsResponse(msg, 0, msg.length - 20)!;
    expect(cut.answers.length).toBeLessThanOrEqual(1);
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 600 }), fc.nat(20), (bytes, start) => {
      parseDnsResponse(bytes, Math.min(start, bytes.length), Math.max(0, bytes.length - Math.min(start, bytes.length)));
    }), { numRuns: 2000 });
  });
});

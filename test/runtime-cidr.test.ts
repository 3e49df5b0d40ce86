import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compileCidrMatcher, parseCidr, parseIp, tryParseCidr } from '../src/shared/eql/runtime/cidr.js';
import { EqlSemanticError } from '../src/shared/errors.js';

const hex = (b: Uint8Array | null) => (b === null ? null : Buffer.from(b).toString('hex'));

describe('parseIp', () => {
  it('parses IPv4 into the IPv4-mapped 16-byte form', () => {
    expect(hex(parseIp('10.6.48.157'))).toBe('00000000000000000000ffff0a06309d');
    expect(hex(parseIp('0.0.0.0'))).toBe('00000000000000000000ffff00000000');
    expect(hex(parseIp('255.255.255.255'))).toBe('00000000000000000000ffffffffffff');
  });

  it('rejects malformed IPv4, including leading zeros', () => {
    for (const bad of ['', '1.2.3', '1.2.3.4.5', '1.2.3.256', '01.2.3.4', '1.2.3.04', '1..3.4', '1.2.3.', '.1.2.3', '1.2.3.4a', ' 1.2.3.4', '１.2.3.4']) {
      expect(parseIp(bad), bad).toBeNull();
    }
    expect(hex(parseIp('1.0.0.0'))).toBe('00000000000000000000ffff01000000');
  });

  it('parses every IPv6 textual form', () => {
    expect(hex(parseIp('::'))).toBe('0'.repeat(32));
    expect(hex(parseIp('::1'))).toBe('0'.repeat(31) + '1');
    expect(hex(parseIp('1::'))).toBe('0001' + '0'.repeat(28));
    expect(hex(parseIp('2001:DB8::8:800:200C:417A'))).toBe('20010db80000000000080800200c417a');
    expect(hex(parseIp('2001:db8:0:0:8:800:200c:417a'))).toBe('20010db80000000000080800200c417a');
    expect(hex(parseIp('1:2:3:4:5:6:7::'))).toBe('00010002000300040005000600070000');
    expect(hex(parseIp('::2:3:4:5:6:7:8'))).toBe('00000002000300040005000600070008');
    expect(hex(parseIp('::ffff:1.2.3.4'))).toBe('00000000000000000000ffff01020304');
    expect(hex(parseIp('::1.2.3.4'))).toBe('00000000000000000000000001020304');
    expect(hex(parseIp('64:ff9b::192.0.2.33'))).toBe('0064ff9b0000000000000000c0000221');
    expect(hex(parseIp('1:2:3:4:5:6:1.2.3.4'))).toBe('00010002000300040005000601020304');
    expect(hex(parseIp('fe80::1%eth0'))).toBe('fe80' + '0'.repeat(27) + '1');
    expect(hex(parseIp('0001:0db8::0'))).toBe('00010db8' + '0'.repeat(24));
  });

  it('rejects malformed IPv6', () => {
    for (const bad of [
      ':', ':::', '1:::2', '1::2::3', ':1::2', '1::2:', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7::8',
      '12345::', 'g::1', '::ffff:1.2.3', '::ffff:01.2.3.4', '1.2.3.4::', '::1.2.3.4:5', 'fe80::1%', '1:2:3:4:5:6:7:1.2.3.4',
      '::1.2.3.4.5', '[::1]', 'fe80::é',
    ]) {
      expect(parseIp(bad), bad).toBeNull();
    }
  });

  it('round-trips random addresses through their canonical text', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (bytes) => {
        const groups = Array.from({ length: 8 }, (_, i) => ((bytes[2 * i]! << 8) | bytes[2 * i + 1]!).toString(16));
        expect(hex(parseIp(groups.join(':')))).toBe(hex(bytes));
        const v4 = `${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`;
        expect(hex(parseIp(v4))).toBe('00000000000000000000ffff' + hex(bytes)!.slice(0, 8));
      }),
      { numRuns: 500 },
    );
  });
});

describe('parseCidr', () => {
  it('keeps the prefix in 128-bit terms and allows host bits', () => {
    expect(parseCidr('10.6.48.157/8')).toMatchObject({ prefixLength: 104, family: 4 });
    expect(parseCidr('2001:db8::/32')).toMatchObject({ prefixLength: 32, family: 6 });
    expect(parseCidr('1.2.3.4')).toMatchObject({ prefixLength: 128, family: 4 });
    expect(parseCidr('1.2.3.4/08')).toMatchObject({ prefixLength: 104 });
  });

  it('rejects bad blocks with a clear message', () => {
    const cases: [string, string][] = [
      ['10.0.0.0/33', 'invalid CIDR block "10.0.0.0/33": prefix length 33 is out of range (0-32 for IPv4, 0-128 for IPv6)'],
      ['::/129', 'invalid CIDR block "::/129": prefix length 129 is out of range (0-32 for IPv4, 0-128 for IPv6)'],
      ['10.0.0.0/-1', 'invalid CIDR block "10.0.0.0/-1": prefix length -1 is out of range (0-32 for IPv4, 0-128 for IPv6)'],
      ['10.0.0/8', 'invalid CIDR block "10.0.0/8": "10.0.0" is not an IPv4 or IPv6 address'],
      ['10.0.0.0/', 'invalid CIDR block "10.0.0.0/": prefix length "" is not a number'],
      ['10.0.0.0/8/', 'invalid CIDR block "10.0.0.0/8/": prefix length "8/" is not a number'],
      ['::ffff:10.0.0.0/104', 'invalid CIDR block "::ffff:10.0.0.0/104": an IPv4-mapped IPv6 address with a prefix is ambiguous (write the IPv4 form)'],
    ];
    for (const [text, message] of cases) {
      expect(() => parseCidr(text)).toThrow(EqlSemanticError);
      expect(() => parseCidr(text)).toThrow(message);
      expect(tryParseCidr(text)).toBeNull();
    }
  });
});

describe('compileCidrMatcher', () => {
  it('matches the conformance-suite blocks', () => {
    const m = compileCidrMatcher(['10.6.48.157/8']);
    expect(m('10.0.0.1')).toBe(true);
    expect(m('10.255.255.255')).toBe(true);
    expect(m('11.0.0.0')).toBe(false);
    expect(compileCidrMatcher(['192.168.0.0/16', '10.6.48.157/8'])('192.168.10.1')).toBe(true);
    expect(compileCidrMatcher(['0.0.0.0/0'])('8.8.8.8')).toBe(true);
  });

  it('treats IPv4-mapped IPv6 as IPv4 and keeps other IPv6 apart', () => {
    const v4 = compileCidrMatcher(['10.0.0.0/8']);
    expect(v4('::ffff:10.1.2.3')).toBe(true);
    expect(v4('::ffff:a01:203')).toBe(true);
    expect(v4('::10.1.2.3')).toBe(false); // IPv4-compatible is plain IPv6
    expect(compileCidrMatcher(['0.0.0.0/0'])('2001:db8::1')).toBe(false);
    expect(compileCidrMatcher(['::/80'])('1.2.3.4')).toBe(true); // an IPv6 block that covers ::ffff:0:0/96
    expect(() => compileCidrMatcher(['::ffff:0:0/96'])).toThrow('ambiguous'); // as ES: the address is IPv4-mapped
    expect(compileCidrMatcher(['::/0'])('1.2.3.4')).toBe(true);
    expect(compileCidrMatcher(['2001:db8::/33'])('2001:db8:7fff::1')).toBe(true);
    expect(compileCidrMatcher(['2001:db8::/33'])('2001:db8:8000::1')).toBe(false);
  });

  it('accepts single addresses, returns false for non-addresses, and rejects bad blocks up front', () => {
    const m = compileCidrMatcher(['1.2.3.4', 'fe80::1']);
    expect(m('1.2.3.4')).toBe(true);
    expect(m('1.2.3.5')).toBe(false);
    expect(m('FE80:0:0::1')).toBe(true);
    expect(m('not an ip')).toBe(false);
    expect(m('')).toBe(false);
    expect(() => compileCidrMatcher(['1.2.3.4/40'])).toThrow(EqlSemanticError);
  });

  it('agrees with a numeric reference for random IPv4 blocks', () => {
    fc.assert(
      fc.property(fc.nat(0xffffffff), fc.nat(0xffffffff), fc.integer({ min: 0, max: 32 }), (addr, net, prefix) => {
        const dotted = (n: number) => [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
        const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
        const expected = ((addr & mask) >>> 0) === ((net & mask) >>> 0);
        expect(compileCidrMatcher([`${dotted(net)}/${prefix}`])(dotted(addr))).toBe(expected);
      }),
      { numRuns: 1000 },
    );
  });
});

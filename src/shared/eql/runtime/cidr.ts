// IP addresses and CIDR blocks for EQL `cidrMatch(ip, "cidr", …)`.
//
// Address syntax follows Elasticsearch's InetAddresses (a port of Guava's), which both the `ip`
// field type and EQL's cidrMatch use:
//   - IPv4: exactly four decimal octets 0–255; a leading zero ("01") is rejected so that nothing
//     is silently read as octal;
//   - IPv6: eight hextets of 1–4 hex digits (either case), at most one `::` standing for one or
//     more zero hextets, an optional trailing dotted-quad (`::ffff:1.2.3.4`, `64:ff9b::1.2.3.4`),
//     and an optional non-empty `%scope` suffix which is ignored; only ASCII is accepted.
//     (Recent ES accepts more than four digits in a hextet if the value fits; we keep Guava's
//     stricter 1–4 rule.)
//   - everything is compared in 16-byte form with IPv4 a.b.c.d stored as ::ffff:a.b.c.d, as
//     Lucene's InetAddressPoint and ES's CIDRUtils do. So an IPv4-mapped IPv6 address IS the IPv4
//     address: 10.1.2.3/8 matches "::ffff:10.1.2.3", and ::ffff:0:0/96 matches every IPv4 address.
//     IPv4-compatible "::1.2.3.4" is a different (IPv6) address.
// CIDR syntax follows InetAddresses.parseCidr: `address/prefix`, prefix 0–32 for an IPv4 address
// and 0–128 for IPv6; host bits may be set (10.6.48.157/8 is 10.0.0.0/8); an IPv4-mapped address
// with a prefix is refused as ambiguous. As in CIDRUtils, an entry without `/` is one address.
// (We also refuse "1.2.3.4/8/", which Java's split() would quietly accept.)
import { EqlSemanticError } from '../../errors.js';

/** A CIDR block in 16-byte form; `prefixLength` counts bits of the 128-bit address. */
export interface CidrBlock {
  readonly bytes: Uint8Array;
  readonly prefixLength: number;
  /** The family the block was written in; a v4 block has prefixLength ≥ 96. */
  readonly family: 4 | 6;
}

const V4_MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff];

/**
 * Parses `text` into `out` (16 bytes, IPv4 as IPv4-mapped). Returns 4 or 6 for the family that was
 * written (an IPv4-mapped IPv6 address reports 6), or 0 if `text` is not an IP address. Does not
 * allocate for IPv4 input.
 */
export function parseIpInto(text: string, out: Uint8Array): 0 | 4 | 6 {
  let length = text.length;
  let lastColon = -1;
  let hasDot = false;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x80) return 0;
    if (c === 0x2e) hasDot = true;
    else if (c === 0x3a) {
      if (hasDot) return 0; // no colon after the dotted quad
      lastColon = i;
    } else if (c === 0x25) {
      if (i === length - 1) return 0; // empty scope id
      length = i; // ignore the scope id
      break;
    }
  }
  if (lastColon < 0) {
    if (!hasDot || !parseIpv4(text, 0, length, out, 12)) return 0;
    for (let i = 0; i < 12; i++) out[i] = V4_MAPPED_PREFIX[i]!;
    return 4;
  }
  return parseIpv6(text, length, lastColon, hasDot, out) ? 6 : 0;
}

/** Parses a dotted quad in text[from, to) into out[at..at+4). */
function parseIpv4(text: string, from: number, to: number, out: Uint8Array, at: number): boolean {
  let octet = 0;
  let value = 0;
  let digits = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e) {
      if (octet >= 3 || digits === 0) return false;
      out[at + octet++] = value;
      value = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      if (digits > 0 && value === 0) return false; // leading zero
      value = value * 10 + (c - 0x30);
      if (value > 255) return false;
      digits++;
    } else {
      return false;
    }
  }
  if (octet !== 3 || digits === 0) return false;
  out[at + 3] = value;
  return true;
}

function parseIpv6(text: string, length: number, lastColon: number, hasDot: boolean, out: Uint8Array): boolean {
  // With a dotted quad, the hextet part ends at the last colon and the quad fills two hextets.
  const hexEnd = hasDot ? lastColon + 1 : length;
  const maxHextets = hasDot ? 6 : 8;
  if (length < 2) return false;
  if (text.charCodeAt(0) === 0x3a && text.charCodeAt(1) !== 0x3a) return false;
  if (!hasDot && text.charCodeAt(length - 1) === 0x3a && text.charCodeAt(length - 2) !== 0x3a) return false;
  const hextets: number[] = [];
  let gapAt = -1;
  let i = 0;
  if (text.charCodeAt(0) === 0x3a) {
    gapAt = 0;
    i = 2;
  }
  while (i < hexEnd) {
    if (text.charCodeAt(i) === 0x3a) {
      if (gapAt >= 0) return false; // a second '::'
      gapAt = hextets.length;
      i++;
      continue;
    }
    let value = 0;
    let digits = 0;
    while (i < hexEnd && text.charCodeAt(i) !== 0x3a) {
      const d = hexDigit(text.charCodeAt(i));
      if (d < 0 || ++digits > 4) return false;
      value = value * 16 + d;
      i++;
    }
    hextets.push(value);
    if (hextets.length > maxHextets) return false;
    if (i < hexEnd) i++; // the ':' after this hextet
    else if (hasDot) return false; // the quad must follow a ':'
  }
  if (gapAt >= 0 ? hextets.length >= maxHextets : hextets.length !== maxHextets) return false;
  const zeros = maxHextets - hextets.length;
  let k = 0;
  for (let h = 0; h < hextets.length; h++) {
    if (h === gapAt) for (let z = 0; z < zeros; z++, k++) out[2 * k] = out[2 * k + 1] = 0;
    out[2 * k] = hextets[h]! >> 8;
    out[2 * k + 1] = hextets[h]! & 0xff;
    k++;
  }
  if (gapAt === hextets.length) for (let z = 0; z < zeros; z++, k++) out[2 * k] = out[2 * k + 1] = 0;
  return !hasDot || parseIpv4(text, lastColon + 1, length, out, 12);
}

function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

/** The 16-byte form of an IP address, or null if `text` is not one. */
export function parseIp(text: string): Uint8Array | null {
  const out = new Uint8Array(16);
  return parseIpInto(text, out) === 0 ? null : out;
}

function isV4Mapped(bytes: Uint8Array): boolean {
  for (let i = 0; i < 12; i++) if (bytes[i] !== V4_MAPPED_PREFIX[i]) return false;
  return true;
}

function invalidCidr(text: string, why: string): EqlSemanticError {
  return new EqlSemanticError('eql.cidr.invalid', `invalid CIDR block "${text}": ${why}`);
}

/**
 * Parses a CIDR block (`address/prefix`) or a single address. Throws EqlSemanticError
 * ('eql.cidr.invalid') with a message saying what is wrong; the checker adds the span.
 */
export function parseCidr(text: string): CidrBlock {
  const slash = text.indexOf('/');
  const addressText = slash < 0 ? text : text.slice(0, slash);
  const bytes = new Uint8Array(16);
  const family = parseIpInto(addressText, bytes);
  if (family === 0) throw invalidCidr(text, `"${addressText}" is not an IPv4 or IPv6 address`);
  if (slash < 0) return { bytes, prefixLength: 128, family: family === 4 || isV4Mapped(bytes) ? 4 : 6 };
  if (family === 6 && isV4Mapped(bytes)) {
    throw invalidCidr(text, 'an IPv4-mapped IPv6 address with a prefix is ambiguous (write the IPv4 form)');
  }
  const prefixText = text.slice(slash + 1);
  if (!/^[+-]?[0-9]{1,10}$/.test(prefixText)) throw invalidCidr(text, `prefix length "${prefixText}" is not a number`);
  const prefix = Number(prefixText);
  const maxPrefix = family === 4 ? 32 : 128;
  if (prefix < 0 || prefix > maxPrefix) {
    throw invalidCidr(text, `prefix length ${prefix} is out of range (0-32 for IPv4, 0-128 for IPv6)`);
  }
  return { bytes, prefixLength: family === 4 ? prefix + 96 : prefix, family };
}

/** The same as parseCidr, but returns null instead of throwing. */
export function tryParseCidr(text: string): CidrBlock | null {
  try {
    return parseCidr(text);
  } catch {
    return null;
  }
}

function contains(block: CidrBlock, address: Uint8Array): boolean {
  const full = block.prefixLength >> 3;
  for (let i = 0; i < full; i++) if (block.bytes[i] !== address[i]) return false;
  const rest = block.prefixLength & 7;
  if (rest === 0) return true;
  const mask = (0xff00 >> rest) & 0xff;
  return (block.bytes[full]! & mask) === (address[full]! & mask);
}

/**
 * Compiles the CIDR arguments of cidrMatch into a predicate. Throws like parseCidr on a bad
 * block. The predicate returns false for a string that is not an IP address; it reuses one
 * scratch buffer, so it does not allocate (and is not re-entrant, which JS never needs).
 */
export function compileCidrMatcher(cidrs: readonly string[]): (ip: string) => boolean {
  const blocks = cidrs.map(parseCidr);
  const scratch = new Uint8Array(16);
  return (ip: string): boolean => {
    if (parseIpInto(ip, scratch) === 0) return false;
    for (const b of blocks) if (contains(b, scratch)) return true;
    return false;
  };
}

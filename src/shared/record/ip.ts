// IP addresses as 16 bytes (IPv4 as the IPv4-mapped IPv6 address ::ffff:a.b.c.d), parsed from
// and rendered to their canonical text (dotted quad; RFC 5952 for IPv6). The encoder keeps an IP
// in binary only when rendering gives back the input text exactly, so decoding is lossless.

/** Parses an IPv4 or IPv6 literal into out[off … off+16). Returns false when it is not one. */
export function parseIp(text: string, out: Uint8Array, off: number): boolean {
  return text.includes(':') ? parseIpv6(text, out, off) : parseIpv4Mapped(text, out, off);
}

function parseIpv4Mapped(text: string, out: Uint8Array, off: number): boolean {
  out.fill(0, off, off + 10);
  out[off + 10] = 0xff;
  out[off + 11] = 0xff;
  return parseIpv4(text, 0, text.length, out, off + 12);
}

function parseIpv4(text: string, start: number, end: number, out: Uint8Array, off: number): boolean {
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = start; i <= end; i++) {
    const c = i < end ? text.charCodeAt(i) : 46; /* '.' terminates the last part */
    if (c >= 48 && c <= 57) {
      value = value * 10 + (c - 48);
      if (++digits > 3 || value > 255) return false;
    } else if (c === 46) {
      if (digits === 0 || part > 3) return false;
      out[off + part++] = value;
      value = 0;
      digits = 0;
    } else {
      return false;
    }
  }
  return part === 4;
}

function parseIpv6(text: string, out: Uint8Array, off: number): boolean {
  const groups: number[] = [];
  let gap = -1;
  let i = 0;
  const n = text.length;
  if (text.startsWith('::')) {
    gap = 0;
    i = 2;
  }
  while (i < n) {
    let j = i;
    let v = 0;
    while (j < n && j - i < 5) {
      const h = hexValue(text.charCodeAt(j));
      if (h < 0) break;
      v = v * 16 + h;
      j++;
    }
    if (j < n && text.charCodeAt(j) === 46) {
      // Embedded IPv4 in the last 32 bits.
      if (groups.length > 6) return false;
      const tmp = new Uint8Array(4);
      if (!parseIpv4(text, i, n, tmp, 0)) return false;
      groups.push((tmp[0]! << 8) | tmp[1]!, (tmp[2]! << 8) | tmp[3]!);
      i = n;
      break;
    }
    if (j === i || j - i > 4) return false;
    groups.push(v);
    if (j === n) {
      i = n;
      break;
    }
    if (text.charCodeAt(j) !== 58) return false;
    if (j + 1 < n && text.charCodeAt(j + 1) === 58) {
      if (gap >= 0) return false;
      gap = groups.length;
      i = j + 2;
    } else {
      i = j + 1;
      if (i === n) return false;
    }
  }
  if (gap < 0 ? groups.length !== 8 : groups.length > 7) return false;
  const zeros = 8 - groups.length;
  let g = 0;
  for (let k = 0; k < 8; k++) {
    const v = gap >= 0 && k >= gap && k < gap + zeros ? 0 : groups[g++]!;
    out[off + 2 * k] = v >>> 8;
    out[off + 2 * k + 1] = v & 0xff;
  }
  return true;
}

function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

function isV4Mapped(b: Uint8Array, off: number): boolean {
  for (let i = 0; i < 10; i++) if (b[off + i] !== 0) return false;
  return b[off + 10] === 0xff && b[off + 11] === 0xff;
}

/** Canonical text of 16 IP bytes: dotted quad for IPv4-mapped addresses, RFC 5952 otherwise. */
export function formatIp(b: Uint8Array, off: number): string {
  if (isV4Mapped(b, off)) return `${b[off + 12]}.${b[off + 13]}.${b[off + 14]}.${b[off + 15]}`;
  const g: number[] = [];
  for (let k = 0; k < 8; k++) g.push((b[off + 2 * k]! << 8) | b[off + 2 * k + 1]!);
  // Longest run of zero groups (length ≥ 2, first one on ties) becomes "::".
  let bestStart = -1;
  let bestLen = 1;
  for (let k = 0; k < 8; ) {
    if (g[k] !== 0) {
      k++;
      continue;
    }
    let e = k;
    while (e < 8 && g[e] === 0) e++;
    if (e - k > bestLen) {
      bestStart = k;
      bestLen = e - k;
    }
    k = e;
  }
  if (bestStart < 0) return g.map((x) => x.toString(16)).join(':');
  const head = g.slice(0, bestStart).map((x) => x.toString(16)).join(':');
  const tail = g.slice(bestStart + bestLen).map((x) => x.toString(16)).join(':');
  return `${head}::${tail}`;
}

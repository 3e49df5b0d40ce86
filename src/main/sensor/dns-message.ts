// The DNS wire format (RFC 1035 §4), as far as ECS's dns.* fields need it: the header, the first
// question, and the answers' names, types and addresses. The sensor hands over the first bytes of
// a response a process received from port 53; anything malformed or cut short ends the parse where
// it stops making sense (a partial answer list is kept), never with an exception escaping.

export interface DnsResponse {
  id: number;
  /** RCODE name (NOERROR, NXDOMAIN …). */
  responseCode: string;
  questionName: string;
  questionType: string;
  questionClass: string;
  answers: { name: string; type: string; data?: string }[];
  /** A and AAAA answer addresses, as 16-byte IPv6 (IPv4 mapped). */
  resolvedIps: Uint8Array[];
}

const TYPES: Readonly<Record<number, string>> = {
  1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 12: 'PTR', 15: 'MX', 16: 'TXT', 28: 'AAAA', 33: 'SRV', 35: 'NAPTR', 64: 'SVCB', 65: 'HTTPS', 255: 'ANY',
};
const RCODES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED'];
const MAX_ANSWERS = 32;
const MAX_POINTERS = 16;

const typeName = (t: number) => TYPES[t] ?? `TYPE${t}`;

/** A name at `at` (labels and compression pointers); returns the name and where the field ends. */
function readName(b: Uint8Array, start: number, end: number): { name: string; next: number } | undefined {
  const labels: string[] = [];
  let at = start;
  let next = -1;
  for (let jumps = 0; ; ) {
    if (at >= end) return undefined;
    const len = b[at]!;
    if (len === 0) {
      if (next < 0) next = at + 1;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      if (at + 1 >= end || ++jumps > MAX_POINTERS) return undefined;
      if (next < 0) next = at + 2;
      at = ((len & 0x3f) << 8) | b[at + 1]!;
      continue;
    }
    if (len > 63 || at + 1 + len > end) return undefined;
    let label = '';
    for (let i = at + 1; i < at + 1 + len; i++) label += String.fromCharCode(b[i]!);
    labels.push(label);
    at += 1 + len;
  }
  return { name: labels.join('.'), next };
}

/** Parses a DNS response; undefined for a query, or a message too short or broken to name its question. */
export function parseDnsResponse(b: Uint8Array, start: number, length: number): DnsResponse | undefined {
  const end = start + length;
  if (length < 12) return undefined;
  const flags = (b[start + 2]! << 8) | b[start + 3]!;
  if ((flags & 0x8000) === 0) return undefined; // QR = 0: a query, not a response
  const qd = (b[start + 4]! << 8) | b[start + 5]!;
  const an = (b[start + 6]! << 8) | b[start + 7]!;
  if (qd < 1) return undefined;
  // Names are compressed relative to the message start: parse over the message's own bytes.
  const msg = b.subarray(start, end);
  const q = readName(msg, 12, msg.length);
  if (!q || q.next + 4 > msg.length) return undefined;
  const qtype = (msg[q.next]! << 8) | msg[q.next + 1]!;
  const qclass = (msg[q.next + 2]! << 8) | msg[q.next + 3]!;
  const out: DnsResponse = {
    id: (b[start]! << 8) | b[start + 1]!,
    responseCode: RCODES[flags & 0xf] ?? `RCODE${flags & 0xf}`,
    questionName: q.name,
    questionType: typeName(qtype),
    questionClass: qclass === 1 ? 'IN' : `CLASS${qclass}`,
    answers: [],
    resolvedIps: [],
  };
  // Further questions (rare) are skipped.
  let at = q.next + 4;
  for (let i = 1; i < qd; i++) {
    const n = readName(msg, at, msg.length);
    if (!n) return out;
    at = n.next + 4;
  }
  for (let i = 0; i < Math.min(an, MAX_ANSWERS); i++) {
    const n = readName(msg, at, msg.length);
    if (!n || n.next + 10 > msg.length) break;
    const type = (msg[n.next]! << 8) | msg[n.next + 1]!;
    const rdlength = (msg[n.next + 8]! << 8) | msg[n.next + 9]!;
    const rdata = n.next + 10;
    if (rdata + rdlength > msg.length) break;
    const answer: DnsResponse['answers'][number] = { name: n.name, type: typeName(type) };
    if (type === 1 && rdlength === 4) {
      const ip = new Uint8Array(16);
      ip[10] = 0xff;
      ip[11] = 0xff;
      ip.set(msg.subarray(rdata, rdata + 4), 12);
      out.resolvedIps.push(ip);
      answer.data = Array.from(msg.subarray(rdata, rdata + 4)).join('.');
    } else if (type === 28 && rdlength === 16) {
      out.resolvedIps.push(msg.slice(rdata, rdata + 16));
    } else if (type === 5 || type === 12 || type === 2) {
      answer.data = readName(msg, rdata, msg.length)?.name;
    }
    out.answers.push(answer);
    at = rdata + rdlength;
  }
  return out;
}

// UTF-8 helpers for the record codec. Most ECS strings are short ASCII (names, paths, actions):
// a plain byte loop beats TextEncoder/TextDecoder call overhead for those, so both directions have
// an ASCII fast path and fall back to the platform codec for anything else.

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: false });

/** Worst-case UTF-8 size of a JS string (3 bytes per UTF-16 unit). */
export function maxUtf8Length(s: string): number {
  return s.length * 3;
}

/**
 * Writes `s` as UTF-8 at `out[off]`; the caller guarantees maxUtf8Length(s) bytes of room.
 * Returns the number of bytes written. `s` must be well-formed (no lone surrogates).
 */
export function writeUtf8(out: Uint8Array, off: number, s: string): number {
  const n = s.length;
  if (n < 64) {
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      out[off + i] = c;
    }
    if (i === n) return n;
  }
  return encoder.encodeInto(s, out.subarray(off, off + maxUtf8Length(s))).written;
}

/**
 * Node's native Latin-1 slice, which any Uint8Array accepts as `this` (shared memory included):
 * for ASCII bytes it is the UTF-8 decoding, made as one string with no view object. Join keys and
 * index values decode a few short strings per event; building them a character at a time made a
 * string per character and was the largest source of garbage in a full-corpus replay. Not part of
 * Node's documented API, so a missing one falls back to the loop.
 */
const latin1Slice = (Buffer.prototype as unknown as { latin1Slice?: (this: Uint8Array, start: number, end: number) => string }).latin1Slice;

/**
 * Longest string readUtf8 scans for the ASCII slice: past ~50 bytes TextDecoder's native scan beats
 * this loop even with the view it needs (measured: 36 bytes 68 vs 97 ns, 80 bytes 133 vs 91 ns).
 */
const ASCII_SLICE_MAX = 48;

/**
 * Short ASCII strings decoded lately, by their bytes: the same string object comes back for the
 * same bytes. Join keys and key fields repeat across events (process.entity_id for every event of
 * a process, host.id for all of them, user.id, process.name): a replay of the corpus decoded ~620k
 * such strings per 500k events, mostly values seen just before. A repeat then costs the hash and a
 * compare, allocates nothing, and a Map lookup by the string finds its hash already computed.
 * Direct-mapped, INTERN_ENTRIES entries of up to ASCII_SLICE_MAX bytes, per thread.
 */
const INTERN_ENTRIES = 4096;
const internHashes = new Int32Array(INTERN_ENTRIES);
/** Per entry: the string's byte length, -1 when empty. */
const internLengths = new Int8Array(INTERN_ENTRIES).fill(-1);
const internBytes = new Uint8Array(INTERN_ENTRIES * ASCII_SLICE_MAX);
const internStrings = new Array<string>(INTERN_ENTRIES).fill('');

/** Decodes UTF-8 bytes [start, end) of `bytes` (any backing buffer, shared or not). */
export function readUtf8(bytes: Uint8Array, start: number, end: number): string {
  const len = end - start;
  // Short ASCII (names, actions, ids) is looked up among the strings decoded lately, else made
  // as one Latin-1 slice: no view to allocate.
  if (len <= ASCII_SLICE_MAX) {
    let h = Math.imul(0x811c9dc5 ^ len, 0x01000193);
    for (let i = start; i < end; i++) {
      const b = bytes[i]!;
      if (b >= 0x80) return decoder.decode(bytes.subarray(start, end));
      h = Math.imul(h ^ b, 0x01000193);
    }
    const e = (h ^ (h >>> 17)) & (INTERN_ENTRIES - 1);
    const at = e * ASCII_SLICE_MAX;
    if (internHashes[e] === h && internLengths[e] === len) {
      let i = 0;
      while (i < len && internBytes[at + i] === bytes[start + i]) i++;
      if (i === len) return internStrings[e]!;
    }
    let s: string;
    if (latin1Slice !== undefined) s = latin1Slice.call(bytes, start, end);
    else {
      s = '';
      for (let i = start; i < end; i++) s += String.fromCharCode(bytes[i]!);
    }
    internHashes[e] = h;
    internLengths[e] = len;
    for (let i = 0; i < len; i++) internBytes[at + i] = bytes[start + i]!;
    internStrings[e] = s;
    return s;
  }
  return decoder.decode(bytes.subarray(start, end));
}

/** UTF-8 encoding of a string as a fresh array (for building comparison constants, not per event). */
export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}

/**
 * True when the string has no lone surrogates, i.e. survives a UTF-8 round trip. Node 20 has
 * String.prototype.isWellFormed; the project's TS lib (ES2023) does not declare it yet.
 */
export function isWellFormed(s: string): boolean {
  return (s as unknown as { isWellFormed(): boolean }).isWellFormed();
}

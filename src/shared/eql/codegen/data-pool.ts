// The constant pool of a predicate module: string bytes, IP addresses and open-addressing hash
// sets, laid out from DATA_BASE and emitted as one data segment. Equal constants are stored once.
import { DATA_BASE } from './abi.js';

const utf8 = new TextEncoder();

/** A constant's place in memory. */
export interface Bytes {
  addr: number;
  length: number;
  /** The bytes themselves (short ones are compared inline). */
  value: Uint8Array;
}

/** A hash set of strings: `mask + 1` entries of (u32 addr, u32 length) at `addr`; addr 0 = empty. */
export interface StringSet {
  addr: number;
  mask: number;
}

export class DataPool {
  private readonly chunks: Uint8Array[] = [];
  private end = DATA_BASE;
  private readonly interned = new Map<string, Bytes>();
  /**
   * The same constants by the string they encode: a corpus repeats its literals ("linux",
   * "start", shell names …) across hundreds of filters, and encoding each again, copying it into
   * a Buffer and reading it back as a key was ~10% of generating its module.
   */
  private readonly byString = new Map<string, Bytes>();
  /** wordHash of an interned constant's bytes (BigInt arithmetic: worth doing once). */
  private readonly hashes = new Map<Bytes, number>();

  /** Address just past the last constant. */
  get size(): number {
    return this.end;
  }

  string(s: string): Bytes {
    let entry = this.byString.get(s);
    if (entry === undefined) {
      entry = this.bytes(utf8.encode(s));
      this.byString.set(s, entry);
    }
    return entry;
  }

  bytes(b: Uint8Array): Bytes {
    const key = Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('latin1');
    const found = this.interned.get(key);
    if (found) return found;
    const at = this.append(b, 1);
    const entry = { addr: at, length: b.length, value: b };
    this.interned.set(key, entry);
    return entry;
  }

  /** A set of (already folded, when case-insensitive) strings, hashed with wordHash below. */
  stringSet(members: readonly string[]): StringSet {
    const unique = [...new Set(members)];
    let size = 8;
    while (size < unique.length * 2) size *= 2;
    const table = new Uint8Array(size * 8);
    const dv = new DataView(table.buffer);
    for (const m of unique) {
      const c = this.string(m);
      let h = this.hashes.get(c);
      if (h === undefined) this.hashes.set(c, (h = wordHash(c.value)));
      let i = h & (size - 1);
      while (dv.getUint32(i * 8, true) !== 0) i = (i + 1) & (size - 1);
      dv.setUint32(i * 8, c.addr, true);
      dv.setUint32(i * 8 + 4, c.length, true);
    }
    return { addr: this.append(table, 8), mask: size - 1 };
  }

  /** All constants as one segment starting at DATA_BASE. */
  segment(): Uint8Array {
    const out = new Uint8Array(this.end - DATA_BASE);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    return out;
  }

  private append(b: Uint8Array, align: number): number {
    const pad = (align - (this.end % align)) % align;
    if (pad > 0) this.chunks.push(new Uint8Array(pad));
    this.end += pad;
    const at = this.end;
    this.chunks.push(b);
    this.end += b.length;
    return at;
  }
}

/** The multiplier of wordHash (a 64-bit odd constant with well-mixed bits). */
export const WORD_HASH_K = 0x9e3779b97f4a7c15n;

/**
 * The hash the module's set lookup (byte-lib.ts setHas) computes over the same bytes, 8 at a
 * time rather than FNV's one: h = len; per little-endian 64-bit word w (the last one zero-padded)
 * h = ((h ^ w) · K) ^ ((h ^ w) · K >>> 29); the result is the low 32 bits of h ^ (h >>> 32).
 * BigInt is fine here: it only runs when the module is generated.
 */
export function wordHash(b: Uint8Array): number {
  const M = (1n << 64n) - 1n;
  let h = BigInt(b.length);
  for (let i = 0; i < b.length; i += 8) {
    let w = 0n;
    for (let j = Math.min(7, b.length - i - 1); j >= 0; j--) w = (w << 8n) | BigInt(b[i + j]!);
    h = ((h ^ w) * WORD_HASH_K) & M;
    h ^= h >> 29n;
  }
  return Number((h ^ (h >> 32n)) & 0xffffffffn);
}

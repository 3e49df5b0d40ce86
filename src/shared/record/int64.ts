// Exact 64-bit integer reads and writes from plain JS numbers, split into two 32-bit halves.
// Encoding and the engine's hot paths must not allocate a BigInt per field, so integers travel as
// (hi, lo) pairs or as doubles when the value is a safe integer.

const TWO_32 = 4294967296;
const TWO_21 = 2097152;

/** Writes a safe integer as a little-endian two's-complement i64 without BigInt. */
export function writeSafeInt64(dv: DataView, off: number, n: number): void {
  // ToUint32 (>>> 0) is exact modular reduction for any integral double, negative or not.
  dv.setUint32(off, n >>> 0, true);
  dv.setInt32(off + 4, Math.floor(n / TWO_32) | 0, true);
}

/** Reads an i64 as a double: exact for safe integers, nearest double otherwise. */
export function readInt64AsNumber(dv: DataView, off: number): number {
  return dv.getInt32(off + 4, true) * TWO_32 + dv.getUint32(off, true);
}

/** Reads a u64 as a double: exact below 2^53, nearest double otherwise. */
export function readUint64AsNumber(dv: DataView, off: number): number {
  return dv.getUint32(off + 4, true) * TWO_32 + dv.getUint32(off, true);
}

/**
 * Writes n * scale + add as an exact i64, for |n| < 2^53, 0 < scale < 2^30 and |add| < 2^31.
 * Used to turn seconds or microseconds into nanoseconds without BigInt: n is cut into three
 * 21-bit limbs so that every partial product stays below 2^53 and is exact in a double.
 */
export function writeScaledInt64(dv: DataView, off: number, n: number, scale: number, add: number): void {
  const negative = n < 0 || (n === 0 && add < 0);
  const a = negative ? -n : n;
  const b = negative ? -add : add;
  const n0 = a % TWO_21;
  const n1 = Math.floor(a / TWO_21) % TWO_21;
  const n2 = Math.floor(a / (TWO_21 * TWO_21));
  // value = n2*scale*2^42 + n1*scale*2^21 + n0*scale + b
  const t1 = n1 * scale; // < 2^51, weight 2^21
  const t1Low = t1 % 2048; // the part of t1 * 2^21 that lands in the low word
  const low = n0 * scale + b + t1Low * TWO_21; // may be negative when b < 0
  const carry = Math.floor(low / TWO_32);
  let lo = low - carry * TWO_32;
  let hi = (carry + Math.floor(t1 / 2048) + n2 * scale * 1024) % TWO_32;
  if (negative) {
    // Two's complement negation of the 64-bit magnitude.
    lo = (TWO_32 - lo) % TWO_32;
    hi = (TWO_32 - hi - (lo === 0 ? 0 : 1)) % TWO_32;
  }
  dv.setUint32(off, lo >>> 0, true);
  dv.setUint32(off + 4, hi >>> 0, true);
}

export const I64_MIN = -(1n << 63n);
export const I64_MAX = (1n << 63n) - 1n;
export const U64_MAX = (1n << 64n) - 1n;

// Runtime value semantics of ES EQL, shared by the constant folder, the interpreter and (as the
// reference) the Wasm back end.
//
// Null logic (ES / SQL three-valued): a comparison or arithmetic with a null operand is null;
// `and`/`or`/`not` follow Kleene logic; a where-clause keeps an event only when it is `true`.
// Numbers: integers are `number` when safe and `bigint` beyond 2^53, so 64-bit values never lose
// precision; integer and double operands compare mathematically (exactly), not through a lossy
// conversion to double. Strings compare by code point, which is UTF-8 byte order (what Lucene and
// ES use), not JS's UTF-16 unit order.
import type { Value } from '../engine/compiled.js';

export type { Value };

/** A three-valued truth: true, false or unknown (null). */
export type Tri = boolean | null;

/** Integer arithmetic that ES refuses: Java's Math.*Exact overflow or an integer division by zero. */
export class ArithmeticFault extends Error {}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

// ───────────────────────────── logic ─────────────────────────────

export function and3(a: Tri, b: Tri): Tri {
  if (a === false || b === false) return false;
  return a === null || b === null ? null : true;
}

export function or3(a: Tri, b: Tri): Tri {
  if (a === true || b === true) return true;
  return a === null || b === null ? null : false;
}

export function not3(a: Tri): Tri {
  return a === null ? null : !a;
}

/**
 * The truth of a value in a boolean position. A multi-valued result (e.g. a function applied to
 * every element of an array field) is true if any element is true, false if all are false.
 */
export function truthOf(v: Value | undefined): Tri {
  if (v === true || v === false) return v;
  if (Array.isArray(v)) {
    let sawFalse = false;
    for (const x of v) {
      const t = truthOf(x);
      if (t === true) return true;
      if (t === false) sawFalse = true;
    }
    return sawFalse ? false : null;
  }
  return null;
}

// ───────────────────────────── numbers ─────────────────────────────

export function isNumber(v: unknown): v is number | bigint {
  return typeof v === 'number' || typeof v === 'bigint';
}

/** A bigint back to `number` when it is a safe integer (the canonical runtime form). */
export function normalizeInt(v: bigint): number | bigint {
  return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v;
}

/** Exact comparison of two numbers of any representation; null if either is NaN. */
export function compareNumbers(a: number | bigint, b: number | bigint): number | null {
  if (typeof a === 'number' && typeof b === 'number') {
    if (Number.isNaN(a) || Number.isNaN(b)) return null;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (typeof a === 'bigint' && typeof b === 'bigint') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'bigint') {
    const r = compareNumbers(b, a);
    return r === null || r === 0 ? r : -r;
  }
  // a is a double, b a bigint: compare through the integer part of a, then its fraction.
  const d = a as number;
  const big = b as bigint;
  if (Number.isNaN(d)) return null;
  if (d === Infinity) return 1;
  if (d === -Infinity) return -1;
  const floor = BigInt(Math.floor(d));
  if (floor < big) return -1;
  if (floor > big) return 1;
  return d === Math.floor(d) ? 0 : 1;
}

function toBig(v: number | bigint): bigint {
  if (typeof v === 'bigint') return v;
  // A fractional value in an integer field: Elasticsearch coerces it when indexing a long field
  // (1.5 → 1), so integer arithmetic sees the truncated value; never throw on odd data.
  if (!Number.isFinite(v)) throw new ArithmeticFault('not a finite number');
  return BigInt(Math.trunc(v));
}

function checkedInt(r: bigint): number | bigint {
  if (r < INT64_MIN || r > INT64_MAX) throw new ArithmeticFault('long overflow');
  return normalizeInt(r);
}

export type ArithOp = '+' | '-' | '*' | '/' | '%';

/**
 * `a op b` with ES semantics. `integer` says both operands are integers (static types long/long,
 * or at run time for untyped fields). Integer maths is 64-bit exact: division truncates, overflow
 * and division by zero throw ArithmeticFault (ES fails the query; callers decide). Double maths is
 * IEEE (x/0 is ±Infinity or NaN, as in Java).
 */
export function arithmetic(op: ArithOp, a: number | bigint, b: number | bigint, integer: boolean): number | bigint {
  if (!integer) {
    const x = Number(a);
    const y = Number(b);
    switch (op) {
      case '+': return x + y;
      case '-': return x - y;
      case '*': return x * y;
      case '/': return x / y;
      case '%': return x % y;
    }
  }
  if ((op === '/' || op === '%') && (b === 0 || b === 0n)) throw new ArithmeticFault('/ by zero');
  // Fast path: small safe integers whose result is exact in a double.
  if (typeof a === 'number' && typeof b === 'number' && Math.abs(a) <= 2 ** 31 && Math.abs(b) <= 2 ** 31) {
    switch (op) {
      case '+': return a + b;
      case '-': return a - b;
      case '*': return a * b;
      case '/': return Math.trunc(a / b) + 0; // + 0 turns -0 into 0
      case '%': return (a % b) + 0;
    }
  }
  const x = toBig(a);
  const y = toBig(b);
  switch (op) {
    case '+': return checkedInt(x + y);
    case '-': return checkedInt(x - y);
    case '*': return checkedInt(x * y);
    case '/': return checkedInt(x / y);
    case '%': return checkedInt(x % y);
  }
}

export function negate(a: number | bigint, integer: boolean): number | bigint {
  if (!integer) return -Number(a);
  return typeof a === 'number' && Number.isSafeInteger(a) ? -a + 0 : checkedInt(-toBig(a));
}

/** True for an integral number (used when static types are unknown). */
export function isIntegral(v: number | bigint): boolean {
  return typeof v === 'bigint' || Number.isInteger(v);
}

// ───────────────────────────── strings ─────────────────────────────

/** Code-point (= UTF-8 byte) order. Differs from `<` only when surrogates meet U+E000–U+FFFF. */
export function compareStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointOrderKey(x) < codePointOrderKey(y) ? -1 : 1;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

// Surrogates (halves of code points ≥ U+10000) must sort after U+E000–U+FFFF: shift the two
// ranges past each other. The first differing unit decides, so this is enough.
function codePointOrderKey(u: number): number {
  return u >= 0xe000 ? u - 0x800 : u >= 0xd800 ? u + 0x2000 : u;
}

// ───────────────────────────── scalars ─────────────────────────────

/** Scalar ordering: numbers (exact), strings (code point), booleans; null if not comparable. */
export function compareScalars(a: Value, b: Value): number | null {
  if (a === null || b === null) return null;
  if (isNumber(a) && isNumber(b)) return compareNumbers(a, b);
  if (typeof a === 'string' && typeof b === 'string') return compareStrings(a, b);
  if (typeof a === 'boolean' && typeof b === 'boolean') return a === b ? 0 : a ? 1 : -1;
  return null;
}

/** Scalar equality: null with a null operand, false across different kinds of value. */
export function equalScalars(a: Value, b: Value): Tri {
  if (a === null || b === null) return null;
  if (isNumber(a) && isNumber(b)) return compareNumbers(a, b) === 0;
  return a === b;
}

/**
 * Lifts a scalar predicate over multi-valued operands, ES style: true if any combination of
 * elements is true; otherwise false if some combination is false; otherwise null.
 */
export function anyPair(a: Value, b: Value, f: (x: Value, y: Value) => Tri): Tri {
  const aArr = Array.isArray(a);
  const bArr = Array.isArray(b);
  if (!aArr && !bArr) return f(a, b);
  const xs = aArr ? (a as Value[]) : [a];
  const ys = bArr ? (b as Value[]) : [b];
  let result: Tri = null;
  for (const x of xs) {
    for (const y of ys) {
      const r = Array.isArray(x) || Array.isArray(y) ? anyPair(x, y, f) : f(x, y);
      if (r === true) return true;
      if (r === false) result = false;
    }
  }
  return result;
}

/** Applies `f` to every element of a multi-valued operand; a scalar is passed through once. */
export function mapValues(v: Value, f: (x: Value) => Value): Value {
  if (!Array.isArray(v)) return f(v);
  const out: Value[] = [];
  for (const x of v) out.push(mapValues(x, f));
  return out;
}

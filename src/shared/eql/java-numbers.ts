// Java's number ↔ string conversions, which ES EQL's `string()`, `concat()` and `number()` inherit
// (Double.toString, Long.parseLong, Double.valueOf). Written from the Java API documentation.
import { normalizeInt } from './values.js';

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * Java's Double.toString: plain notation with at least one fraction digit for 1e-3 ≤ |d| < 1e7
 * ("42.0", "0.001"), otherwise computerised scientific notation ("1.0E7", "1.2E-5"). The digits
 * are the shortest that identify the double, as in JS (and Java ≥ 19).
 */
export function javaDoubleToString(d: number): string {
  if (Number.isNaN(d)) return 'NaN';
  if (d === Infinity) return 'Infinity';
  if (d === -Infinity) return '-Infinity';
  if (d === 0) return Object.is(d, -0) ? '-0.0' : '0.0';
  const sign = d < 0 ? '-' : '';
  const abs = Math.abs(d);
  const [mantissa, expText] = abs.toExponential().split('e') as [string, string];
  const digits = mantissa.replace('.', '');
  const exp = Number(expText);
  if (abs >= 1e-3 && abs < 1e7) {
    if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
    const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
    return `${sign}${intPart}.${digits.slice(exp + 1) || '0'}`;
  }
  return `${sign}${digits[0]}.${digits.slice(1) || '0'}E${exp}`;
}

/**
 * Long.parseLong(text, radix): optional sign, digits of the radix, no spaces, 64-bit range.
 * Returns null where Java throws NumberFormatException.
 */
export function parseJavaLong(text: string, radix: number): number | bigint | null {
  if (!Number.isInteger(radix) || radix < 2 || radix > 36) return null;
  let i = 0;
  let negative = false;
  if (text[0] === '+' || text[0] === '-') {
    negative = text[0] === '-';
    i = 1;
  }
  if (i >= text.length) return null;
  const bigRadix = BigInt(radix);
  let value = 0n;
  for (; i < text.length; i++) {
    const digit = digitValue(text.charCodeAt(i));
    if (digit < 0 || digit >= radix) return null;
    value = value * bigRadix + BigInt(digit);
  }
  if (negative) value = -value;
  return value < INT64_MIN || value > INT64_MAX ? null : normalizeInt(value);
}

function digitValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x7a) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x5a) return c - 0x41 + 10;
  return -1;
}

// Double.valueOf's decimal grammar (after String.trim): sign, digits with an optional point,
// optional exponent, optional float/double suffix; or NaN / Infinity. (Java's hexadecimal
// floating-point form "0x1.8p1" is not supported here.)
const JAVA_DOUBLE = /^[+-]?(?:NaN|Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[fFdD]?)$/;

/** Double.valueOf(text); null where Java throws NumberFormatException. */
export function parseJavaDouble(text: string): number | null {
  const trimmed = javaTrim(text);
  if (!JAVA_DOUBLE.test(trimmed)) return null;
  const core = /[fFdD]$/.test(trimmed) ? trimmed.slice(0, -1) : trimmed;
  return Number(core);
}

/** String.trim(): strips code units ≤ U+0020 at both ends (not Unicode whitespace). */
function javaTrim(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && s.charCodeAt(start) <= 0x20) start++;
  while (end > start && s.charCodeAt(end - 1) <= 0x20) end--;
  return s.slice(start, end);
}

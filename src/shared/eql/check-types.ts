// Static type helpers for the checker: schema types → IR types, the ES type names used in error
// messages, which operand types may meet in a comparison, and ES's ordinal words.
import type { FieldType } from '../schema/types.js';
import { typeFamily } from '../schema/types.js';
import type { CompareMode, ExprType, TExpr } from './ir.js';

export function exprTypeOfField(t: FieldType): ExprType {
  switch (typeFamily(t)) {
    case 'string': return 'string';
    case 'integer': return 'long';
    case 'float': return 'double';
    case 'ip': return 'ip';
    case 'date': return 'date';
    case 'boolean': return 'boolean';
    case 'version': return 'version';
    case 'object': return 'object';
    default: return 'any';
  }
}

const INT32_MIN = -(2n ** 31n);
const INT32_MAX = 2n ** 31n - 1n;

/** The type name ES would print for a node ("keyword", "integer", "ip" …). */
export function esTypeName(node: TExpr): string {
  if (node.kind === 'field') return node.def?.type ?? 'unknown';
  if (node.kind === 'const' && node.type === 'long') {
    const v = BigInt(node.value as number | bigint);
    return v >= INT32_MIN && v <= INT32_MAX ? 'integer' : 'long';
  }
  switch (node.type) {
    case 'string': return 'keyword';
    case 'number': return 'numeric';
    case 'date': return 'datetime';
    case 'any': return 'unknown';
    default: return node.type;
  }
}

export function isNumeric(t: ExprType): boolean {
  return t === 'long' || t === 'double' || t === 'number';
}

/** Types that accept anything at check time: untyped fields and the null literal. */
export function isOpen(t: ExprType): boolean {
  return t === 'any' || t === 'null';
}

/**
 * Whether two operand types may be compared. Beyond ES's same-type / both-numeric rule, a string
 * constant may meet an ip, version or date field (it is read as an address, version or instant),
 * and dates also compare with numbers (epoch milliseconds).
 */
export function comparable(a: ExprType, b: ExprType): boolean {
  if (isOpen(a) || isOpen(b) || a === b) return true;
  if (isNumeric(a) && isNumeric(b)) return true;
  const textual = (x: ExprType, y: ExprType) => x === 'string' && (y === 'ip' || y === 'version' || y === 'date');
  if (textual(a, b) || textual(b, a)) return true;
  return (a === 'date' && isNumeric(b)) || (b === 'date' && isNumeric(a));
}

export function compareModeOf(a: ExprType, b: ExprType): CompareMode {
  for (const mode of ['ip', 'version', 'date'] as const) if (a === mode || b === mode) return mode;
  return 'value';
}

export function isBooleanish(t: ExprType): boolean {
  return t === 'boolean' || isOpen(t);
}

const ORDINALS = ['first', 'second', 'third', 'fourth', 'fifth', 'sixth', 'seventh', 'eighth', 'ninth', 'tenth'];

/** ES's ParamOrdinal words: "first", "second" … (index is 0-based). */
export function ordinal(index: number): string {
  return ORDINALS[index] ?? `${index + 1}th`;
}

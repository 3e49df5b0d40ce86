// values.ts and java-numbers.ts: the scalar semantics every back end shares.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ArithmeticFault, and3, arithmetic, compareNumbers, compareStrings, not3, or3, truthOf } from '../src/shared/eql/values.js';
import { javaDoubleToString, parseJavaDouble, parseJavaLong } from '../src/shared/eql/java-numbers.js';
import { checkExpression } from '../src/shared/eql/checker.js';
import { parseExpression } from '../src/shared/eql/parser.js';
import { OPEN_SCHEMA } from './helpers/eql-schema.js';

const fold = (text: string) => {
  const node = checkExpression(parseExpression(text), { schema: OPEN_SCHEMA });
  if (node.kind !== 'const') throw new Error(`did not fold: ${text}`);
  return node.value;
};

describe('three-valued logic', () => {
  const values = [true, false, null] as const;
  it('follows Kleene tables', () => {
    const table = values.flatMap((a) => values.map((b) => [a, b, and3(a, b), or3(a, b)]));
    expect(table).toEqual([
      [true, true, true, true], [true, false, false, true], [true, null, null, true],
      [false, true, false, true], [false, false, false, false], [false, null, false, null],
      [null, true, null, true], [null, false, false, null], [null, null, null, null],
    ]);
    expect(values.map(not3)).toEqual([false, true, null]);
  });
  it('reads a multi-valued boolean as any-true', () => {
    expect(truthOf([false, null, true])).toBe(true);
    expect(truthOf([false, null])).toBe(false);
    expect(truthOf([null])).toBeNull();
    expect(truthOf('x')).toBeNull();
  });
});

describe('numbers', () => {
  it('compares bigint and double exactly', () => {
    expect(compareNumbers(2n ** 53n + 1n, 2 ** 53)).toBe(1);
    expect(compareNumbers(2 ** 53, 2n ** 53n + 1n)).toBe(-1);
    expect(compareNumbers(5n, 5.5)).toBe(-1);
    expect(compareNumbers(-5n, -5.5)).toBe(1);
    expect(compareNumbers(7n, 7)).toBe(0);
    expect(compareNumbers(1n, Number.NaN)).toBeNull();
    expect(compareNumbers(2n ** 70n, Infinity)).toBe(-1);
  });
  it('agrees with BigInt order on integers of either representation', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }), fc.bigInt({ min: -(2n ** 64n), max: 2n ** 64n }), (a, b) => {
        const asNumber = (x: bigint) => (x >= -(2n ** 53n) && x <= 2n ** 53n ? Number(x) : x);
        expect(compareNumbers(asNumber(a), asNumber(b))).toBe(a < b ? -1 : a > b ? 1 : 0);
      }),
    );
  });
  it('does 64-bit integer arithmetic with Java semantics', () => {
    expect(arithmetic('/', -7, 2, true)).toBe(-3);
    expect(arithmetic('%', -7, 2, true)).toBe(-1);
    expect(arithmetic('/', 9223372036854775807n, 2, true)).toBe(4611686018427387903n);
    expect(arithmetic('+', 9007199254740991, 2, true)).toBe(9007199254740993n);
    expect(() => arithmetic('*', 2n ** 62n, 2, true)).toThrow(ArithmeticFault);
    expect(() => arithmetic('%', 1, 0, true)).toThrow('/ by zero');
    expect(arithmetic('/', 1, 0, false)).toBe(Infinity);
  });
  it('folds ES arithmetic', () => {
    expect(fold('4 / 3')).toBe(1);
    expect(fold('4 / 3.0')).toBeCloseTo(1.3333333333);
    expect(fold('modulo(10, -6)')).toBe(4);
    expect(fold('modulo(-10, -6)')).toBe(-4);
    expect(fold('-(9223372036854775807)')).toBe(-9223372036854775807n);
  });
});

describe('strings', () => {
  it('orders by UTF-8 bytes', () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 6 });
    fc.assert(
      fc.property(text, text, (a, b) => {
        const bytes = Math.sign(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
        expect(compareStrings(a, b)).toBe(bytes);
      }),
    );
  });
});

describe('Java number conversions', () => {
  it('formats doubles like Double.toString', () => {
    const cases: [number, string][] = [
      [1, '1.0'], [2.1828, '2.1828'], [-0.5, '-0.5'], [0.001, '0.001'], [0.0001, '1.0E-4'],
      [1e7, '1.0E7'], [1234567.5, '1234567.5'], [1.5e300, '1.5E300'], [0, '0.0'], [-0, '-0.0'], [NaN, 'NaN'],
    ];
    for (const [d, text] of cases) expect(javaDoubleToString(d)).toBe(text);
    expect(fold('string(1.0)')).toBe('1.0');
    expect(fold('concat("x", 42, " ", 42.5, true)')).toBe('x42 42.5true');
  });
  it('parses like Long.parseLong and Double.valueOf', () => {
    expect(parseJavaLong('-9223372036854775808', 10)).toBe(-9223372036854775808n);
    expect(parseJavaLong('9223372036854775808', 10)).toBeNull();
    expect(parseJavaLong('ff', 16)).toBe(255);
    expect(parseJavaLong('8', 8)).toBeNull();
    expect(parseJavaLong(' 1', 10)).toBeNull();
    expect(parseJavaDouble('  1337  ')).toBe(1337);
    expect(parseJavaDouble('1e3d')).toBe(1000);
    expect(parseJavaDouble('.5')).toBe(0.5);
    expect(parseJavaDouble('1.2.3')).toBeNull();
    expect(fold('number("9223372036854775808")')).toBe(9223372036854775808);
    expect(fold('number("deadbeef", 16)')).toBe(3735928559);
    expect(fold('number("  42  ")')).toBe(42);
  });
});

describe('integer arithmetic on odd data', () => {
  it('truncates a fractional value in an integer field, as ES coerces longs, instead of throwing', () => {
    expect(arithmetic('+', 1.5, 1n, true)).toBe(2);
    expect(arithmetic('*', -2.9, 3n, true)).toBe(-6);
  });
});

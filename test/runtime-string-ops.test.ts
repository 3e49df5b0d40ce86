import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import fc from 'fast-check';
import { between, codePointLength, endsWith, indexOf, startsWith, stringContains, substring } from '../src/shared/eql/runtime/string-ops.js';

type Value = string | number | boolean | null;

/** Splits `fn(arg, …)` with string, number, boolean and null literals, as used in the conformance file. */
function parseCall(expression: string): { name: string; args: Value[] } {
  const m = /^(\w+~?)\((.*)\)$/s.exec(expression.trim());
  if (!m) throw new Error(`cannot parse ${expression}`);
  const args: Value[] = [];
  const argPattern = /\s*("(?:[^"\\]|\\.)*"|-?\+?[0-9.]+|null|true|false)\s*(?:,|$)/gy;
  let a: RegExpExecArray | null;
  while (argPattern.lastIndex < m[2]!.length && (a = argPattern.exec(m[2]!)) !== null) {
    const t = a[1]!;
    args.push(t.startsWith('"') ? (JSON.parse(t) as string) : t === 'null' ? null : t === 'true' ? true : t === 'false' ? false : Number(t));
  }
  return { name: m[1]!, args };
}

/** How the function library is expected to wrap the helpers (null in → null out). */
function evaluate(name: string, args: Value[]): Value | undefined {
  const ci = name.endsWith('~');
  const fn = name.replace('~', '').toLowerCase();
  const [s, a, b, c] = args;
  switch (fn) {
    case 'substring':
      if (s === null) return null;
      return substring(s as string, (a as number | null) ?? 0, (b as number | null) ?? undefined);
    case 'indexof': {
      if (s === null || a === null) return null;
      const at = indexOf(s as string, a as string, (b as number | null) ?? 0, ci);
      return at < 0 ? null : at;
    }
    case 'startswith':
      return s === null || a === null ? null : startsWith(s as string, a as string, ci);
    case 'endswith':
      return s === null || a === null ? null : endsWith(s as string, a as string, ci);
    case 'between':
      if (s === null || a === null || b === null) return null;
      return between(s as string, a as string, b as string, (c as boolean | undefined) ?? false, ci);
    case 'length':
      return s === null ? null : codePointLength(s as string);
    default:
      return undefined; // not a helper of this module
  }
}

describe('conformance: test_string_functions.toml', () => {
  const file = path.resolve(process.cwd(), '../shared/conformance/eql/test_string_functions.toml');
  const suite = parseToml(fs.readFileSync(file, 'utf8')) as Record<string, Record<string, unknown>>;
  const cases: { expression: string; expected: Value }[] = [];
  for (const section of Object.values(suite)) {
    const groups = [section['tests'], (section['fold'] as Record<string, unknown> | undefined)?.['tests']];
    for (const g of groups) {
      for (const t of (g as { expression: string; expected?: Value }[] | undefined) ?? []) cases.push({ expression: t.expression, expected: t.expected ?? null });
    }
  }

  it('gives the expected result for every case of the functions built on these helpers', () => {
    let checked = 0;
    for (const { expression, expected } of cases) {
      const { name, args } = parseCall(expression);
      const got = evaluate(name, args);
      if (got === undefined) continue;
      expect(got, expression).toEqual(expected);
      checked++;
    }
    // between 14, endsWith 6, indexOf 11, length 3, startsWith 13, substring 15
    expect(checked).toBe(62);
  });
});

describe('substring', () => {
  it('counts code points, not UTF-16 units', () => {
    expect(substring('a😀b😀c', 1, 4)).toBe('😀b😀');
    expect(substring('a😀b😀c', -2)).toBe('😀c');
    expect(codePointLength('a😀b')).toBe(3);
  });

  it('agrees with Python slicing on ASCII', () => {
    const pySlice = (s: string, start: number, end: number) => {
      const n = s.length;
      const norm = (i: number) => (i < 0 ? Math.max(i + n, 0) : Math.min(i, n));
      const [a, b] = [norm(start), norm(end)];
      return a < b ? s.slice(a, b) : '';
    };
    fc.assert(
      fc.property(fc.string({ maxLength: 10 }), fc.integer({ min: -15, max: 15 }), fc.integer({ min: -15, max: 15 }), (s, a, b) => {
        expect(substring(s.replace(/[\ud800-\udfff]/g, 'x'), a, b)).toBe(pySlice(s.replace(/[\ud800-\udfff]/g, 'x'), a, b));
      }),
    );
  });
});

describe('indexOf / startsWith / endsWith / stringContains / between', () => {
  it('indexOf honours start, case folding and code points', () => {
    expect(indexOf('FooBarBaz', 'bar', 0, true)).toBe(3);
    expect(indexOf('FooBarBaz', 'bar')).toBe(-1);
    expect(indexOf('abc', 'c', -5)).toBe(2);
    expect(indexOf('abc', '', 10)).toBe(3);
    expect(indexOf('😀a😀a', 'a', 2)).toBe(3);
    expect(indexOf('😀A😀a', 'a', 0, true)).toBe(1);
  });

  it('stringContains is false for empty strings, as in ES', () => {
    expect(stringContains('abc', '')).toBe(false);
    expect(stringContains('', '')).toBe(false);
    expect(stringContains('C:\\Windows\\CMD.exe', 'cmd', true)).toBe(true);
    expect(stringContains('C:\\Windows\\CMD.exe', 'cmd')).toBe(false);
  });

  it('startsWith~ / endsWith~ fold non-ASCII case too', () => {
    expect(startsWith('ΣΊΣΥΦΟΣ', 'σίσ', true)).toBe(true);
    expect(endsWith('\u212aelvin', 'KELVIN', true)).toBe(true);
    expect(endsWith('x', 'xx')).toBe(false);
  });

  it('between works case-insensitively and refuses a right bound before the left one', () => {
    expect(between('C:\\DEV\\TestLogs\\something.JSON', 'dev', '.json', false, true)).toBe('\\TestLogs\\something');
    expect(between('abcab', 'c', 'b', true)).toBe('a');
    expect(between('ab', 'b', 'a', true)).toBeNull();
  });
});

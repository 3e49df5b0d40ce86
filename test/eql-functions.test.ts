// ES's own function folding suite (test_string_functions.toml): every fold test must fold to its
// expected value (absent = null) and every verifier failure must be rejected with a message.
// Differences we accept are listed, with a reason, in test/conformance/known-differences.json;
// any other difference (or a listed one that no longer differs) fails.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseToml } from 'smol-toml';
import { parseExpression } from '../src/shared/eql/parser.js';
import { checkExpression } from '../src/shared/eql/checker.js';
import { FUNCTIONS, lookupFunction } from '../src/shared/eql/functions.js';
import { KestrelError } from '../src/shared/errors.js';
import { compareNumbers, isNumber, type Value } from '../src/shared/eql/values.js';
import { CONFORMANCE } from './helpers/shared.js';
import { OPEN_SCHEMA } from './helpers/eql-schema.js';

const FILE = 'test_string_functions.toml';

interface Known { file: string; name: string; reason: string }
const known: Known[] = JSON.parse(readFileSync(join(process.cwd(), 'test/conformance/known-differences.json'), 'utf8'));
const knownHere = new Set(known.filter((k) => k.file === FILE).map((k) => k.name));

type Section = { fold?: { tests?: Case[] }; tests?: Case[]; verifier?: { failures?: Case[] } };
type Case = { expression: string; expected?: unknown };
const doc = parseToml(readFileSync(join(CONFORMANCE, FILE), 'utf8')) as unknown as Record<string, Section>;

const folds: { name: string; expression: string; expected: unknown }[] = [];
const failures: { name: string; expression: string }[] = [];
for (const [section, body] of Object.entries(doc)) {
  [...(body.fold?.tests ?? []), ...(body.tests ?? [])].forEach((c, i) =>
    folds.push({ name: `${section}.fold[${i}]`, expression: c.expression, expected: c.expected ?? null }),
  );
  (body.verifier?.failures ?? []).forEach((c, i) => failures.push({ name: `${section}.verifier[${i}]`, expression: c.expression }));
}

function sameValue(actual: Value, expected: unknown): boolean {
  if (isNumber(actual) && (typeof expected === 'number' || typeof expected === 'bigint')) return compareNumbers(actual, expected) === 0;
  return actual === expected;
}

/** Why a fold case differs, or null when it passes. */
function foldDifference(expression: string, expected: unknown): string | null {
  let node;
  try {
    node = checkExpression(parseExpression(expression), { schema: OPEN_SCHEMA });
  } catch (e) {
    return `rejected: ${(e as Error).message}`;
  }
  if (node.kind !== 'const') return `did not fold (${node.kind})`;
  return sameValue(node.value, expected) ? null : `folded to ${String(node.value)}, expected ${String(expected)}`;
}

function verifierDifference(expression: string): string | null {
  try {
    checkExpression(parseExpression(expression), { schema: OPEN_SCHEMA });
  } catch (e) {
    return e instanceof KestrelError && e.message.length > 0 ? null : `unexpected error ${String(e)}`;
  }
  return 'accepted';
}

describe(`conformance: ${FILE}`, () => {
  it('has cases to run', () => {
    expect(folds.length).toBeGreaterThan(80);
    expect(failures.length).toBeGreaterThan(5);
  });

  for (const c of folds) {
    it(`${c.name}: ${c.expression}`, () => {
      const difference = foldDifference(c.expression, c.expected);
      if (knownHere.has(c.name)) expect(difference, 'listed as a known difference but passes: remove it').not.toBeNull();
      else expect(difference).toBeNull();
    });
  }

  for (const c of failures) {
    it(`${c.name} is rejected: ${c.expression}`, () => {
      const difference = verifierDifference(c.expression);
      if (knownHere.has(c.name)) expect(difference, 'listed as a known difference but passes: remove it').not.toBeNull();
      else expect(difference).toBeNull();
    });
  }
});

describe('function table', () => {
  it('declares every ES EQL function once, looked up case-insensitively', () => {
    const names = FUNCTIONS.map((f) => f.name);
    expect(names).toEqual([
      'add', 'between', 'cidrMatch', 'concat', 'divide', 'endsWith', 'indexOf', 'length', 'modulo', 'multiply', 'number', 'startsWith', 'string',
      'stringContains', 'substring', 'subtract',
    ]);
    expect(lookupFunction('CIDRMATCH')?.name).toBe('cidrMatch');
    expect(lookupFunction('stringcontains')?.name).toBe('stringContains');
    expect(lookupFunction('match')).toBeUndefined();
  });

  it('marks exactly the case-aware functions as having a ~ variant', () => {
    expect(FUNCTIONS.filter((f) => f.caseInsensitive).map((f) => f.name)).toEqual(['between', 'endsWith', 'indexOf', 'startsWith', 'stringContains']);
  });
});

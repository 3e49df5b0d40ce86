import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseExpression, parseQuery, PARSE_LIMITS } from '../src/shared/eql/parser.js';
import { renderExpr, renderQuery } from '../src/shared/eql/render.js';
import { KestrelError, EqlSyntaxError, LimitError } from '../src/shared/errors.js';
import { conformanceQueries, corpusQueries } from './helpers/shared.js';

/** AST without spans, for structural comparison. */
function strip(node: unknown): unknown {
  return JSON.parse(JSON.stringify(node, (k, v) => (k === 'span' || k === 'nameSpan' || k === 'categorySpan' || k === 'bySpan' ? undefined : typeof v === 'bigint' ? `${v}n` : v)));
}

function roundTrips(query: string): void {
  const ast = parseQuery(query);
  const text = renderQuery(ast);
  expect(strip(parseQuery(text)), text).toEqual(strip(ast));
  // Rendering is canonical: a second pass renders identically.
  expect(renderQuery(parseQuery(text))).toBe(text);
}

function syntaxError(query: string): KestrelError {
  try {
    parseQuery(query);
  } catch (e) {
    expect(e).toBeInstanceOf(KestrelError);
    return e as KestrelError;
  }
  throw new Error(`expected a syntax error for ${query}`);
}

describe('parser: shared suites', () => {
  const corpus = corpusQueries();
  it('finds the Elastic corpus', () => expect(corpus.length).toBeGreaterThanOrEqual(400));
  it('parses and round-trips every EQL query of the Elastic Linux corpus', () => {
    for (const { file, query } of corpus) {
      try {
        roundTrips(query);
      } catch (e) {
        throw new Error(`${file}: ${(e as Error).message}`);
      }
    }
  });
  it('parses and round-trips every conformance query', () => {
    const all = conformanceQueries();
    expect(all.length).toBeGreaterThan(200);
    for (const { file, name, query } of all) {
      try {
        roundTrips(query);
      } catch (e) {
        throw new Error(`${file} ${name}: ${(e as Error).message}`);
      }
    }
  });
});

describe('parser: syntax', () => {
  it('builds n-ary and/or with and binding tighter', () => {
    const e = parseExpression('a or b and c or d');
    expect(renderExpr(e)).toBe('a or b and c or d');
    expect(e.kind === 'logical' && e.op === 'or' && e.operands.length).toBe(3);
  });
  it('keeps user grouping and precedence of arithmetic', () => {
    expect(renderExpr(parseExpression('(a or b) and c'))).toBe('(a or b) and c');
    expect(renderExpr(parseExpression('a - (b - c)'))).toBe('a - (b - c)');
    expect(renderExpr(parseExpression('(a - b) - c'))).toBe('a - b - c');
    expect(renderExpr(parseExpression('(a + b) * c == 4'))).toBe('(a + b) * c == 4');
  });
  it('reads literals as Elasticsearch does', () => {
    expect(parseExpression('9223372036854775807')).toMatchObject({ type: 'long', value: 9223372036854775807n });
    expect(parseExpression('-9223372036854775808')).toMatchObject({ type: 'long', value: -9223372036854775808n });
    expect(parseExpression('1.5e3')).toMatchObject({ type: 'double', value: 1500 });
    expect(parseExpression('.5')).toMatchObject({ type: 'double', value: 0.5 });
    expect(parseExpression('"a\\"b\\\\c\\n\\u{1F600}"')).toMatchObject({ type: 'string', value: 'a"b\\c\n😀' });
    expect(parseExpression('"""C:\\Windows\\"""')).toMatchObject({ type: 'string', value: 'C:\\Windows\\' });
    expect(parseExpression('"""say "hi""""')).toMatchObject({ type: 'string', value: 'say "hi"' });
  });
  it('reads fields: optional, back-quoted, keywords after a dot', () => {
    expect(parseExpression('?process.parent.name')).toMatchObject({ kind: 'field', optional: true, path: ['process', 'parent', 'name'] });
    expect(parseExpression('`my field`.`a``b`')).toMatchObject({ kind: 'field', path: ['my field', 'a`b'] });
    expect(parseExpression('event.sequence')).toMatchObject({ kind: 'field', path: ['event', 'sequence'] });
  });
  it('parses predicates: in, not in, in~, :, like~, regex, lists', () => {
    expect(renderExpr(parseExpression('x not in~ ("a", "b")'))).toBe('x not in~ ("a", "b")');
    expect(parseExpression('x : ("a*", "b")')).toMatchObject({ kind: 'match', op: ':', insensitive: true, list: true });
    expect(parseExpression('x like~ "a*"')).toMatchObject({ kind: 'match', op: 'like', insensitive: true, list: false });
    expect(parseExpression('x regex """a.*"""')).toMatchObject({ kind: 'match', op: 'regex', insensitive: false });
    expect(parseExpression('startsWith~(x, "a")')).toMatchObject({ kind: 'call', name: 'startsWith', insensitive: true });
  });
  it('parses sequences with keys, maxspan, runs, missing events, until and pipes', () => {
    const q = parseQuery('sequence with maxspan=2h by user.name [process where true] by process.pid with runs=3 ![file where true] until [process where false] | tail 2');
    expect(q).toMatchObject({ kind: 'sequence', maxspan: { value: 2, unit: 'h', millis: 7_200_000 } });
    if (q.kind !== 'sequence') throw new Error('kind');
    expect(q.steps.map((s) => [s.missing, s.runs?.value])).toEqual([[false, 3], [true, undefined]]);
    expect(q.pipes).toMatchObject([{ name: 'tail' }]);
  });
});

describe('parser: errors point at the bad text', () => {
  const cases: [string, string, number, string?][] = [
    ['process where x = 1', 'unexpected =', 16, 'Compare with == instead of ='],
    ["process where x == 'a'", 'single quotes are not string delimiters in EQL', 19, 'Use double quotes'],
    ['process where x == "abc', 'unterminated string literal', 19],
    ['process where x == "a\\qb"', 'invalid escape sequence \\q', 21],
    ['process where x && y', 'unknown operator &&', 16, 'Use and instead of &&'],
    ['process where x == 1 AND y', 'unexpected AND', 21, 'EQL keywords are lower case'],
    ['process where', 'unexpected end of query', 13],
    ['', 'empty query', 0],
    ['process where x == 99999999999999999999999', 'number 99999999999999999999999 is too large', 19],
    ['process where x == #', 'invalid character "#"', 19],
  ];
  for (const [query, message, offset, hint] of cases) {
    it(query || '(empty)', () => {
      const e = syntaxError(query);
      expect(e.message.startsWith(message), e.message).toBe(true);
      expect(e.span?.start).toBe(offset);
      if (hint) expect(e.hint).toContain(hint);
    });
  }
});

describe('parser: hostile input is refused or bounded', () => {
  it('refuses a 1 MB query with a limit error', () => {
    const q = 'process where ' + Array.from({ length: 60_000 }, (_, i) => `x == ${i}`).join(' or ');
    expect(q.length).toBeGreaterThan(PARSE_LIMITS.maxQueryLength);
    expect(syntaxError(q)).toBeInstanceOf(LimitError);
  });
  it('refuses 10,000 nested parentheses without recursion', () => {
    const q = 'process where ' + '('.repeat(10_000) + 'true' + ')'.repeat(10_000);
    const e = syntaxError(q);
    expect(e).toBeInstanceOf(LimitError);
    expect(e.message).toContain('nesting');
  });
  it('accepts nesting at the limit', () => {
    const n = PARSE_LIMITS.maxNesting;
    expect(parseQuery('process where ' + '('.repeat(n) + 'true' + ')'.repeat(n)).kind).toBe('event');
  });
  it('parses a huge string literal', () => {
    const big = 'a'.repeat(200_000);
    const q = parseQuery(`process where x == "${big}"`);
    expect(q.kind === 'event' && q.filter.where.kind === 'compare' && (q.filter.where.right as { value: string }).value.length).toBe(200_000);
  });
  it('parses a long or-chain (5,000 terms) into one flat node', () => {
    const q = parseQuery('process where ' + Array.from({ length: 5000 }, (_, i) => `x == ${i}`).join(' or '));
    expect(q.kind === 'event' && q.filter.where.kind === 'logical' && q.filter.where.operands.length).toBe(5000);
  });
});

describe('parser: fuzzing', () => {
  const seeds = [...corpusQueries().slice(0, 60).map((c) => c.query), ...conformanceQueries().slice(0, 60).map((c) => c.query)];
  const alphabet = ['(', ')', '[', ']', '"', '`', '~', ':', '==', ' and ', ' not ', 'where', ',', '|', '?', '!', '-', '1', '.', 'sequence', ' by ', '"""', '\\', '/*', '\n'];

  function assertOnlyKestrelErrors(q: string): void {
    try {
      parseQuery(q);
    } catch (e) {
      if (!(e instanceof KestrelError)) throw new Error(`non-Kestrel error for ${JSON.stringify(q)}: ${(e as Error).stack}`);
      if (e.span) {
        expect(e.span.start).toBeGreaterThanOrEqual(0);
        expect(e.span.end).toBeLessThanOrEqual(q.length);
        expect(e.span.start).toBeLessThanOrEqual(e.span.end);
      }
      expect(e instanceof EqlSyntaxError || e instanceof LimitError).toBe(true);
    }
  }

  it('mutated real queries raise only positioned syntax errors', () => {
    fc.assert(
      fc.property(fc.constantFrom(...seeds), fc.nat(), fc.nat(), fc.constantFrom(...alphabet), fc.constantFrom('insert', 'delete', 'replace'), (seed, a, b, piece, op) => {
        const i = a % (seed.length + 1);
        const j = Math.min(seed.length, i + (b % 8));
        const q = op === 'insert' ? seed.slice(0, i) + piece + seed.slice(i) : op === 'delete' ? seed.slice(0, i) + seed.slice(j) : seed.slice(0, i) + piece + seed.slice(j);
        assertOnlyKestrelErrors(q);
      }),
      { numRuns: 3000, seed: 42 },
    );
  });
  it('random token soup raises only positioned syntax errors', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...alphabet, 'x', 'process', '"s"', '*', 'in', 'like~', 'regex'), { maxLength: 40 }), (parts) => {
        assertOnlyKestrelErrors(parts.join(' '));
      }),
      { numRuns: 3000, seed: 7 },
    );
  });
});

// The descent parser (src/shared/eql/descent-parser.ts) is parser.ts's fast path; nearley's Earley
// parse of grammar/eql.ne is the reference. Where nearley parses, the descent parser must give the
// same tree (spans and the parenthesised marks included); where nearley fails, the descent parser
// must give up, so the error a user sees is nearley's.
import { isDeepStrictEqual } from 'node:util';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseEachWay, parseQuery } from '../src/shared/eql/parser.js';
import { isParenthesised } from '../src/shared/eql/build.js';
import type { Expr } from '../src/shared/eql/ast.js';
import { conformanceQueries, corpusQueries, walk } from './helpers/shared.js';

/** Where two trees differ ('' when they agree), parenthesised marks included. */
function difference(a: unknown, b: unknown, at = '$'): string {
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) return Object.is(a, b) || (typeof a === 'bigint' && a === b) ? '' : `${at}: ${String(a)} ≠ ${String(b)}`;
  if (Array.isArray(a) !== Array.isArray(b)) return `${at}: array vs object`;
  if (!Array.isArray(a) && isParenthesised(a as Expr) !== isParenthesised(b as Expr)) return `${at}: parenthesised mark differs`;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    const d = difference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${at}.${k}`);
    if (d !== '') return d;
  }
  return '';
}

/** '' when both readings agree on `text`, else what differs. */
function disagreement(text: string, start: 'main' | 'expr' = 'main'): string {
  const { descent, earley } = parseEachWay(text, start);
  if (earley instanceof Error) return descent === undefined ? '' : `nearley fails (${earley.message}) but the descent parser accepts`;
  if (descent === undefined) return 'nearley parses but the descent parser gives up';
  const d = difference(descent, earley);
  // The structural walk and node's own deep equality must agree that the trees are equal.
  if (d === '' && !isDeepStrictEqual(descent, earley)) return 'isDeepStrictEqual differs';
  return d;
}

const bundledQueries = (): { file: string; query: string }[] =>
  walk(join(process.cwd(), 'rules'), '.eql').map((file) => {
    // A bundled rule is `// key: value` header lines, then the query.
    const text = readFileSync(file, 'utf8');
    return { file, query: text.split('\n').filter((l) => !l.startsWith('//')).join('\n') };
  });

describe('descent parser agrees with the Earley parser', () => {
  it('on every query of the Elastic corpus, the conformance suites and the bundled rules', () => {
    const all = [...corpusQueries(), ...conformanceQueries(), ...bundledQueries()];
    expect(all.length).toBeGreaterThan(650);
    const problems = all.map(({ file, query }) => [file, query, disagreement(query)] as const).filter(([, , d]) => d !== '');
    expect(problems.map(([file, query, d]) => `${file}: ${d}\n${query}`)).toEqual([]);
  });

  it('on queries that exercise every rule of the grammar', () => {
    const queries = [
      'process where a == 1 and b != 2 or not c < 3 and d <= 4 or e > 5 and f >= 6',
      'process where (a or b) or c and (d and e)',
      'process where -(1) == - -2 and +3 == -a and 1 + 2 * 3 - 4 / 5 % 6 == 7',
      'process where a in (1, 2) and b not in~ ("x") and c in~ (?d, e.f) and g : "x*" and h : ("a", "b") and i like~ j and k regex "a.*" and l regex~ ("b")',
      'process where descendant of [process where name == "bash"] and child of [any where true] and event of [file where x]',
      'sequence by a, b with maxspan=5m [process where true] by c [file where false] with runs=3 as e1 ![network where null] until [process where x == 1]',
      'sequence with maxspan=30 by x [process where true] [file where true]',
      'sequence with maxspan=1h [process where true] [file where true] | head 5 | tail',
      'sample by host.id [process where true] [file where x : "a"]',
      'join by a [process where true] [file where true] until [network where true]',
      '`odd field` where `a``b`.c.any.of == """raw""" and ?x.y == null and startsWith~(a, "b") and length() == 0',
      'any where event.sequence == true and process.parent.not == false and a.in == b.where',
      '"quoted category" where true',
    ];
    for (const q of queries) expect(disagreement(q), q).toBe('');
    // And they are all accepted (an error on both sides would agree trivially).
    for (const q of queries) expect(() => parseQuery(q), q).not.toThrow();
  });

  it('on lone expressions (parseExpression)', () => {
    for (const e of ['1 + 2 * 3', 'a : "x" and not b in (1)', '(a)', '-(-1)', 'x', 'a == b == c', 'a in', '']) expect(disagreement(e, 'expr'), e).toBe('');
  });

  it('gives up exactly where nearley fails: invalid queries', () => {
    const bad = [
      'process where', 'process where a == b == c', 'process where a in (1) in (2)', 'process where a not like "x"', 'process where a : (b)c',
      'process where foo of [process where true]', 'sequence [process where true] foo bar', 'sequence [process where true] with maxspan=1m',
      'process where x.in~ == 1', 'process where a : -1', 'process where (a', 'process where a)', 'sequence', 'process where a | ',
      'process where a.', 'process where f(a,)', 'sequence by [process where true]', 'where a', 'process where ?', 'process where a ! b',
      'sequence [process where true] as', 'sample [process where true] until [file where true]',
    ];
    for (const q of bad) {
      expect(disagreement(q), q).toBe('');
      expect(() => parseQuery(q), q).toThrow();
    }
  });

  // Random token strings: most are invalid somewhere, many are valid; both must be read alike.
  const TOKENS = [
    'process', 'file', 'any', 'where', 'sequence', 'sample', 'join', 'by', 'with', 'maxspan', '=', '5', 's', 'runs', 'as', 'until', 'and', 'or',
    'not', 'in', 'in~', 'like', 'like~', 'regex', 'regex~', ':', '==', '!=', '<', '<=', '>', '>=', '+', '-', '*', '/', '%', '(', ')', '[', ']',
    '![', ',', '|', '.', '?', 'head', 'true', 'false', 'null', 'a', 'b.c', '`q`', '"s"', '"""r"""', '1', '2.5', 'f', 'descendant', 'of', 'event',
  ];
  it('on random token strings', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...TOKENS), { maxLength: 30 }), (t) => {
        const q = t.join(' ');
        expect(disagreement(q), q).toBe('');
        expect(disagreement(`process where ${q}`), q).toBe('');
        expect(disagreement(q, 'expr'), q).toBe('');
      }),
      { numRuns: 3000, seed: 13 },
    );
  });

  it('on corpus queries with one token dropped, doubled or swapped with its neighbour', () => {
    const queries = corpusQueries().map((c) => c.query);
    const tokenRuns = (q: string) => q.match(/"(?:\\.|[^"\\])*"|[A-Za-z_@][\w.]*~?|\d+|\S/g) ?? [];
    fc.assert(
      fc.property(fc.nat(queries.length - 1), fc.nat(), fc.constantFrom('drop', 'double', 'swap'), (qi, at, how) => {
        const t = tokenRuns(queries[qi]!);
        const i = at % t.length;
        if (how === 'drop') t.splice(i, 1);
        else if (how === 'double') t.splice(i, 0, t[i]!);
        else if (i + 1 < t.length) [t[i], t[i + 1]] = [t[i + 1]!, t[i]!];
        const q = t.join(' ');
        expect(disagreement(q), q).toBe('');
      }),
      { numRuns: 1500, seed: 7 },
    );
  });
});

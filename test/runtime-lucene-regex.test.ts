import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compileRegex, REGEX_LIMITS } from '../src/shared/eql/runtime/lucene-regex.js';
import { EqlSemanticError, LimitError } from '../src/shared/errors.js';

const re = (p: string, s: string) => compileRegex(p, false)(s);
const rei = (p: string, s: string) => compileRegex(p, true)(s);

function invalidAt(pattern: string): { message: string; offset: unknown } {
  try {
    compileRegex(pattern, false);
  } catch (e) {
    expect(e).toBeInstanceOf(EqlSemanticError);
    const err = e as EqlSemanticError;
    expect(err.code).toBe('eql.regex.invalid');
    return { message: err.message, offset: err.context?.offset };
  }
  throw new Error(`pattern ${JSON.stringify(pattern)} was accepted`);
}

function refusedByLimit(pattern: string): LimitError {
  try {
    compileRegex(pattern, false);
  } catch (e) {
    expect(e).toBeInstanceOf(LimitError);
    expect((e as LimitError).code).toBe('eql.regex.too_complex');
    return e as LimitError;
  }
  throw new Error(`pattern ${JSON.stringify(pattern)} was accepted`);
}

describe('compileRegex: core syntax', () => {
  it('matches the whole string', () => {
    expect(re('abc', 'abc')).toBe(true);
    expect(re('abc', 'xabc')).toBe(false);
    expect(re('b', 'abc')).toBe(false);
    expect(re('', '')).toBe(true);
    expect(re('', 'a')).toBe(false);
  });

  it('supports repetition operators, including stacked ones like .*?', () => {
    expect(re('a*', '')).toBe(true);
    expect(re('a+', '')).toBe(false);
    expect(re('a+', 'aaa')).toBe(true);
    expect(re('ab?c', 'ac')).toBe(true);
    expect(re('a{3}', 'aaa')).toBe(true);
    expect(re('a{3}', 'aa')).toBe(false);
    expect(re('a{2,}', 'aaaaa')).toBe(true);
    expect(re('a{2,}', 'a')).toBe(false);
    expect(re('a{1,3}', 'aaa')).toBe(true);
    expect(re('a{1,3}', 'aaaa')).toBe(false);
    expect(re('a{0,0}b', 'b')).toBe(true);
    expect(re('(ab){2}{2}', 'abababab')).toBe(true);
    expect(re('.*?net1[ ]+localgroup.*?', 'C:\\net1  localgroup administrators')).toBe(true);
    expect(re('.*?net1.*?', 'net')).toBe(false);
  });

  it('supports union, grouping, classes and ranges', () => {
    expect(re('cat|dog', 'dog')).toBe(true);
    expect(re('(cat|dog)s', 'cats')).toBe(true);
    expect(re('()a', 'a')).toBe(true);
    expect(re('[abc]+', 'cab')).toBe(true);
    expect(re('[a-c]+', 'cad')).toBe(false);
    expect(re('[^a-c]', 'd')).toBe(true);
    expect(re('[^a-c]', 'b')).toBe(false);
    expect(re('[^a]', '😀')).toBe(true);
    expect(re('[.*]', '*')).toBe(true);
    expect(re('[]a]+', ']a')).toBe(true);
    expect(re('.*?net[1]?  localgroup.*?', 'net localgroup')).toBe(false);
    expect(re('.*? myappserver.py .*?', 'python myappserver.py --x')).toBe(true);
  });

  it('supports escapes and the ASCII predefined classes', () => {
    expect(re('a\\.b', 'a.b')).toBe(true);
    expect(re('a\\.b', 'axb')).toBe(false);
    expect(re('\\\\', '\\')).toBe(true);
    expect(re('\\d+', '2024')).toBe(true);
    expect(re('\\D', '5')).toBe(false);
    expect(re('\\s', '\t')).toBe(true);
    expect(re('\\S+', 'ab')).toBe(true);
    expect(re('\\w+', 'a_Z9')).toBe(true);
    expect(re('\\W', '-')).toBe(true);
    expect(re('[\\d\\s]+', '1 2')).toBe(true);
    expect(re('[\\.-z]', '-')).toBe(true); // an escaped character cannot start a range
  });

  it('supports the Lucene extras: ~ & @ # "…" <n-m>', () => {
    expect(re('~(abc)', 'abd')).toBe(true);
    expect(re('~(abc)', 'abc')).toBe(false);
    expect(re('~(abc)', '')).toBe(true);
    expect(re('~a*', 'bbb')).toBe(true); // ~ binds tighter than *: (~a)*
    expect(re('@&~(.*secret.*)', 'public')).toBe(true);
    expect(re('@&~(.*secret.*)', 'a secret b')).toBe(false);
    expect(re('.*a.*&.*b.*', 'xbxa')).toBe(true);
    expect(re('.*a.*&.*b.*', 'xxa')).toBe(false);
    expect(re('@', 'anything at all')).toBe(true);
    expect(re('#', '')).toBe(false);
    expect(re('a|#', 'a')).toBe(true);
    expect(re('"a.b*"', 'a.b*')).toBe(true);
    expect(re('"a.b*"', 'axbb')).toBe(false);
    expect(re('""', '')).toBe(true);
  });

  it('treats <n-m> as a decimal interval with Lucene width rules', () => {
    expect(re('port<1-1024>', 'port80')).toBe(true);
    expect(re('port<1-1024>', 'port0080')).toBe(true); // different widths: any leading zeros
    expect(re('port<1-1024>', 'port1025')).toBe(false);
    expect(re('port<1-1024>', 'port0')).toBe(false);
    expect(re('<01-10>', '05')).toBe(true); // same width: exactly two digits
    expect(re('<01-10>', '5')).toBe(false);
    expect(re('<10-01>', '07')).toBe(true); // bounds are swapped
    expect(re('<0-5>', '0')).toBe(true);
    expect(re('<0-5>', '')).toBe(false);
    for (let v = 0; v <= 300; v++) expect(re('<17-255>', String(v))).toBe(v >= 17 && v <= 255);
  });

  it('takes a reserved character literally where no operand is expected (Lucene quirk)', () => {
    expect(re('*a', '*a')).toBe(true);
    expect(re('(|a)', '|a')).toBe(true);
    expect(re('{', '{')).toBe(true);
  });

  it('counts astral characters as one character for .', () => {
    expect(re('.', '😀')).toBe(true);
    expect(re('..', '😀')).toBe(false);
    expect(re('a.c', 'a😀c')).toBe(true);
    expect(re('[😀-😂]', '😁')).toBe(true);
    expect(re('😀+', '😀😀')).toBe(true);
  });
});

describe('compileRegex: case-insensitive (regex~)', () => {
  it('widens single characters, strings and class members but not ranges or \\w', () => {
    expect(rei('.*?NET1.*', 'c:\\net1.exe')).toBe(true);
    expect(rei('"ABC"', 'abc')).toBe(true);
    expect(rei('[XY]z', 'yZ')).toBe(true);
    expect(rei('k', '\u212a')).toBe(true); // Kelvin sign, as Lucene's CASE_INSENSITIVE
    expect(rei('[a-z]+', 'ABC')).toBe(false); // Lucene does not widen ranges
    expect(re('.*?NET1.*', 'c:\\net1.exe')).toBe(false);
  });
});

describe('compileRegex: errors', () => {
  it('reports malformed patterns with the offset of the problem', () => {
    expect(invalidAt('a|')).toEqual({ message: 'invalid regular expression: unexpected end-of-string', offset: 2 });
    expect(invalidAt('(ab')).toMatchObject({ offset: 3 });
    expect(invalidAt('(ab')).toMatchObject({ message: expect.stringContaining("expected ')'") });
    expect(invalidAt('a)b')).toMatchObject({ offset: 1 });
    expect(invalidAt('[ab')).toMatchObject({ offset: 3 });
    expect(invalidAt('a{')).toMatchObject({ offset: 2 });
    expect(invalidAt('a{2')).toMatchObject({ offset: 3 });
    expect(invalidAt('ab{3,2}')).toMatchObject({ offset: 2, message: expect.stringContaining('out of order') });
    expect(invalidAt('x[z-a]')).toMatchObject({ offset: 2, message: expect.stringContaining('invalid range') });
    expect(invalidAt('a\\q')).toMatchObject({ offset: 1, message: expect.stringContaining('invalid character class') });
    expect(invalidAt('[\\n]')).toMatchObject({ offset: 1 });
    expect(invalidAt('a\\')).toMatchObject({ offset: 2 });
    expect(invalidAt('"abc')).toMatchObject({ offset: 4 });
    expect(invalidAt('x<abc>')).toMatchObject({ offset: 1, message: expect.stringContaining('named automaton') });
    expect(invalidAt('<1-2-3>')).toMatchObject({ message: expect.stringContaining('interval syntax error') });
    expect(invalidAt('<1>')).toMatchObject({ message: expect.stringContaining('named automaton') });
    expect(invalidAt('a{99999999999}')).toMatchObject({ offset: 2 });
  });
});

describe('compileRegex: resource limits', () => {
  it('refuses huge counted repetitions', () => {
    const err = refusedByLimit('a{1000}{1000}');
    expect(err.context).toEqual({ limit: REGEX_LIMITS.maxNfaStates });
    refusedByLimit('(a|b){5000}');
  });

  it('refuses overlong patterns', () => {
    refusedByLimit('a'.repeat(REGEX_LIMITS.maxPatternLength + 1));
    expect(compileRegex('a'.repeat(REGEX_LIMITS.maxPatternLength), false)('a'.repeat(1000))).toBe(true);
  });

  it('refuses complements whose determinisation blows up', () => {
    refusedByLimit('~((a|b)*a(a|b){14})');
  });

  it('matches pathological patterns in linear time', () => {
    const as = 'a'.repeat(100_000);
    const t0 = performance.now();
    expect(re('(a*)*b', as)).toBe(false);
    expect(re('(a|aa)*c', as)).toBe(false);
    expect(re('(a|aa)*', as)).toBe(true);
    expect(re('(.*a){20}', as)).toBe(true);
    expect(performance.now() - t0).toBeLessThan(3000);
  });

  it('keeps working when the DFA cache overflows', () => {
    // (a|b)*a(a|b){12} needs ~8k DFA states on random input, far above the cache size.
    const match = compileRegex('(a|b)*a(a|b){12}', false);
    const rnd = fc.sample(fc.array(fc.constantFrom('a', 'b'), { minLength: 5000, maxLength: 5000 }), { numRuns: 1, seed: 7 })[0]!;
    const s = rnd.join('');
    expect(match(s)).toBe(s[s.length - 13] === 'a');
  });
});

// ───────── property test against JS RegExp on a shared, safe subset ─────────

type Gen = { lucene: string; js: string };
const atom: fc.Arbitrary<Gen> = fc.oneof(
  fc.constantFrom('a', 'b', 'c').map((c) => ({ lucene: c, js: c })),
  fc.constant({ lucene: '.', js: '.' }),
  fc.constant({ lucene: '[ab]', js: '[ab]' }),
  fc.constant({ lucene: '[^a]', js: '[^a]' }),
  fc.constant({ lucene: '[b-c]', js: '[b-c]' }),
  fc.constant({ lucene: '\\d', js: '\\d' }),
);
const { expr } = fc.letrec<{ expr: Gen }>((tie) => ({
  expr: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    atom,
    fc.tuple(tie('expr'), tie('expr')).map(([x, y]) => ({ lucene: x.lucene + y.lucene, js: x.js + y.js })),
    fc.tuple(tie('expr'), tie('expr')).map(([x, y]) => ({ lucene: `(${x.lucene}|${y.lucene})`, js: `(?:${x.js}|${y.js})` })),
    fc
      .tuple(tie('expr'), fc.constantFrom('*', '+', '?', '{2}', '{1,3}', '{2,}'))
      .map(([x, op]) => ({ lucene: `(${x.lucene})${op}`, js: `(?:${x.js})${op}` })),
  ),
}));

describe('compileRegex: agrees with JS RegExp on the common subset', () => {
  it('case-sensitive', () => {
    const input = fc.array(fc.constantFrom('a', 'b', 'c', '1', '😀'), { maxLength: 8 }).map((a) => a.join(''));
    fc.assert(
      fc.property(expr, fc.array(input, { minLength: 1, maxLength: 5 }), (g, inputs) => {
        const ours = compileRegex(g.lucene, false);
        const theirs = new RegExp(`^(?:${g.js})$`, 'u');
        for (const s of inputs) expect(ours(s), `${g.lucene} on ${s}`).toBe(theirs.test(s));
      }),
      { numRuns: 400 },
    );
  });

  it('case-insensitive on letters without ranges', () => {
    const letters = fc.oneof(
      fc.constantFrom('a', 'b', 'A', 'B').map((c) => ({ lucene: c, js: c })),
      fc.constant({ lucene: '[aB]', js: '[aB]' }),
      fc.constant({ lucene: '.', js: '.' }),
    );
    const pattern = fc.array(fc.tuple(letters, fc.constantFrom('', '*', '?')), { minLength: 1, maxLength: 5 });
    const input = fc.array(fc.constantFrom('a', 'b', 'A', 'B'), { maxLength: 6 }).map((a) => a.join(''));
    fc.assert(
      fc.property(pattern, input, (parts, s) => {
        const lucene = parts.map(([l, op]) => `(${l.lucene})${op}`).join('');
        const js = parts.map(([l, op]) => `(?:${l.js})${op}`).join('');
        expect(compileRegex(lucene, true)(s)).toBe(new RegExp(`^(?:${js})$`, 'iu').test(s));
      }),
      { numRuns: 500 },
    );
  });
});

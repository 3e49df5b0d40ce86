import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compileWildcard, hasWildcards } from '../src/shared/eql/runtime/wildcard.js';

/** Obviously-correct reference: exponential recursion over code points, fine for tiny inputs. */
function reference(p: string[], s: string[]): boolean {
  if (p.length === 0) return s.length === 0;
  const [head, ...rest] = p;
  if (head === '*') return reference(rest, s) || (s.length > 0 && reference(p, s.slice(1)));
  if (s.length === 0) return false;
  return (head === '?' || head === s[0]) && reference(rest, s.slice(1));
}

const cs = (p: string, s: string) => compileWildcard(p, false)(s);
const ci = (p: string, s: string) => compileWildcard(p, true)(s);

describe('compileWildcard', () => {
  it('matches whole strings in every fast-path shape', () => {
    expect(cs('cmd.exe', 'cmd.exe')).toBe(true);
    expect(cs('cmd.exe', 'cmd.exe ')).toBe(false);
    expect(cs('cmd*', 'cmd.exe')).toBe(true);
    expect(cs('cmd*', 'xcmd')).toBe(false);
    expect(cs('*.exe', 'cmd.exe')).toBe(true);
    expect(cs('*.exe', 'cmd.exe.bak')).toBe(false);
    expect(cs('*md.e*', 'cmd.exe')).toBe(true);
    expect(cs('*x*', 'cmd')).toBe(false);
    expect(cs('c*e', 'ce')).toBe(true);
    expect(cs('ab*ba', 'aba')).toBe(false); // prefix and suffix may not overlap
    expect(cs('**', '')).toBe(true);
    expect(cs('', '')).toBe(true);
    expect(cs('', 'a')).toBe(false);
    expect(cs('a*b*c', 'abc')).toBe(true);
    expect(cs('a*b*c', 'acb')).toBe(false);
    expect(cs('a*bc*bc', 'abcbc')).toBe(true);
    expect(cs('a*bc*bc', 'abc')).toBe(false);
  });

  it('treats ? as exactly one code point', () => {
    expect(cs('1?', '12')).toBe(true);
    expect(cs('1?', '1')).toBe(false);
    expect(cs('1?', '123')).toBe(false);
    expect(cs('?', '😀')).toBe(true);
    expect(cs('??', '😀')).toBe(false);
    expect(cs('*?x', 'a😀x')).toBe(true);
    expect(cs('*??', '😀😀')).toBe(true);
    expect(cs('*???', '😀😀')).toBe(false);
  });

  it('has no escape: backslash is literal (Windows paths)', () => {
    expect(cs('*\\red_ttp\\wininit.*', 'C:\\red_ttp\\wininit.exe')).toBe(true);
    expect(cs('a\\*', 'a\\bc')).toBe(true);
    expect(cs('a\\*', 'a*')).toBe(false);
    expect(cs('a\\?', 'a\\x')).toBe(true);
  });

  it('folds case for like~ and :', () => {
    expect(ci('winIni*.exe', 'WININIT.EXE')).toBe(true);
    expect(ci('lSaSs.*', 'lsass.exe')).toBe(true);
    expect(ci('winINI?.exE', 'wininit.exe')).toBe(true);
    expect(ci('*K', 'o\u212a')).toBe(true);
    expect(ci('\u212aelvin', 'kelvin')).toBe(true);
    expect(cs('winIni*.exe', 'wininit.exe')).toBe(false);
  });

  it('runs in polynomial time on adversarial patterns', () => {
    const s = 'a'.repeat(20_000);
    const p = '*a'.repeat(30) + '?b';
    const t0 = performance.now();
    expect(cs(p, s)).toBe(false);
    expect(cs('*a*a*a*a*a*a*a*a*b', s)).toBe(false);
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('agrees with a reference matcher on random patterns', () => {
    const ch = fc.constantFrom('a', 'b', '😀');
    const pat = fc.array(fc.oneof(ch, fc.constantFrom('*', '?')), { maxLength: 7 });
    const str = fc.array(ch, { maxLength: 8 });
    fc.assert(
      fc.property(pat, str, (p, s) => {
        expect(cs(p.join(''), s.join(''))).toBe(reference(p, s));
      }),
      { numRuns: 5000 },
    );
  });
});

describe('hasWildcards', () => {
  it('detects * and ?', () => {
    expect(hasWildcards('a*')).toBe(true);
    expect(hasWildcards('a?')).toBe(true);
    expect(hasWildcards('C:\\a.exe')).toBe(false);
  });
});

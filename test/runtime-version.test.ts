import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compareVersions, isLegalVersion, versionSortKey } from '../src/shared/eql/runtime/version.js';

/** Asserts that `list` is strictly increasing under compareVersions, pairwise. */
function expectAscending(list: string[]): void {
  for (let i = 0; i < list.length; i++) {
    for (let j = 0; j < list.length; j++) {
      expect(Math.sign(compareVersions(list[i]!, list[j]!)), `${list[i]} vs ${list[j]}`).toBe(Math.sign(i - j));
    }
  }
}

describe('compareVersions', () => {
  it('follows the semver 2.0 precedence example', () => {
    expectAscending(['1.0.0-alpha', '1.0.0-alpha.1', '1.0.0-alpha.beta', '1.0.0-beta', '1.0.0-beta.2', '1.0.0-beta.11', '1.0.0-rc.1', '1.0.0']);
  });

  it('compares main parts numerically, shorter first', () => {
    expect(compareVersions('1.11.3', '1.5.0')).toBeGreaterThan(0);
    expect(compareVersions('10.0.0', '9.9.9')).toBeGreaterThan(0);
    expectAscending(['1', '1.2-rc1', '1.2', '1.2.0', '1.2.0.1', '2']);
    expect(compareVersions('1.2.3', '1.2.3')).toBe(0);
  });

  it('orders numeric pre-release identifiers before alphanumeric ones', () => {
    expectAscending(['1.0.0-2', '1.0.0-10', '1.0.0-10a', '1.0.0-a', '1.0.0-b']);
  });

  it('compares build metadata as a suffix (ES keeps it significant)', () => {
    expectAscending(['1.0.0-rc+z', '1.0.0', '1.0.0+build.1', '1.0.0+build.2']);
  });

  it('sorts illegal versions after all legal ones, bytewise among themselves', () => {
    expectAscending(['999.999.999', '', '1.02', '1.2.3-01', 'latest', 'v1.0.0', 'é']);
    expect(compareVersions('\u{10000}', '\uffff')).toBeGreaterThan(0); // UTF-8 (code point) order, not UTF-16
  });

  it('agrees with a semver reference on strict semver versions', () => {
    const num = fc.oneof(fc.constantFrom(0, 1, 2, 9, 10, 11), fc.nat(1000));
    const ident = fc.oneof(num.map(String), fc.constantFrom('alpha', 'beta', 'rc', 'x-1', 'A', 'a1'));
    const version = fc.tuple(num, num, num, fc.option(fc.array(ident, { minLength: 1, maxLength: 3 }), { nil: undefined }));
    const render = ([a, b, c, pre]: [number, number, number, string[] | undefined]) => `${a}.${b}.${c}${pre ? '-' + pre.join('.') : ''}`;
    const cmpId = (x: string, y: string): number => {
      const xn = /^\d+$/.test(x);
      const yn = /^\d+$/.test(y);
      if (xn && yn) return Number(x) - Number(y);
      if (xn !== yn) return xn ? -1 : 1;
      return x < y ? -1 : x > y ? 1 : 0;
    };
    const reference = (v: [number, number, number, string[] | undefined], w: [number, number, number, string[] | undefined]): number => {
      for (let i = 0; i < 3; i++) if (v[i] !== w[i]) return (v[i] as number) - (w[i] as number);
      if (!v[3] || !w[3]) return (v[3] ? -1 : 0) + (w[3] ? 1 : 0);
      for (let i = 0; i < Math.min(v[3].length, w[3].length); i++) {
        const c = cmpId(v[3][i]!, w[3][i]!);
        if (c !== 0) return c;
      }
      return v[3].length - w[3].length;
    };
    fc.assert(
      fc.property(version, version, (v, w) => {
        expect(isLegalVersion(render(v))).toBe(true);
        expect(Math.sign(compareVersions(render(v), render(w)))).toBe(Math.sign(reference(v, w)));
      }),
      { numRuns: 2000 },
    );
  });

  it('is a total order on arbitrary strings', () => {
    const s = fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('1.0.0', '1.0', '1.0.0-a', '1.0.0+b', '0', ''));
    fc.assert(
      fc.property(s, s, s, (a, b, c) => {
        expect(Math.sign(compareVersions(a, b)) + Math.sign(compareVersions(b, a))).toBe(0);
        if (compareVersions(a, b) <= 0 && compareVersions(b, c) <= 0) expect(compareVersions(a, c)).toBeLessThanOrEqual(0);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('isLegalVersion / versionSortKey', () => {
  it('applies the ES legality rules', () => {
    for (const ok of ['0', '1.2', '1.2.3.4', '1.0.0-0', '1.0.0-x.7.z.92', '1.0.0+20130313144700', '1.0.0-beta+exp.sha.5114f85']) {
      expect(isLegalVersion(ok), ok).toBe(true);
    }
    for (const bad of ['', '01', '1.', '.1', '1..2', '1.0.0-', '1.0.0-01', '1.0.0+', '1.0.0+a..b', 'v1', '1.0.0-a_b', '-1', '1.' + '1.'.repeat(32) + '1', '1'.repeat(128)]) {
      expect(isLegalVersion(bad), bad).toBe(false);
    }
  });

  it('gives keys whose string order is the version order', () => {
    const versions = ['2.0.0', '1.0.0', 'zzz', '1.0.0-rc.1', '1.10.0', '1.9.0'];
    const byKey = [...versions].sort((a, b) => (versionSortKey(a) < versionSortKey(b) ? -1 : 1));
    expect(byKey).toEqual(['1.0.0-rc.1', '1.0.0', '1.9.0', '1.10.0', '2.0.0', 'zzz']);
  });
});

import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { caseVariants, equalsIgnoreCase, foldCase, foldCodePoint } from '../src/shared/eql/runtime/casefold.js';

// Cased letters end below U+1F000 (Adlam, U+1E900–U+1E94B, is the last bicameral script).
const SCAN_END = 0x1ffff;
const isSurrogate = (cp: number) => cp >= 0xd800 && cp <= 0xdfff;

function classesByFold(): Map<number, number[]> {
  const classes = new Map<number, number[]>();
  for (let cp = 0; cp <= SCAN_END; cp++) {
    if (isSurrogate(cp)) continue;
    const f = foldCodePoint(cp);
    const list = classes.get(f);
    if (list) list.push(cp);
    else classes.set(f, [cp]);
  }
  return classes;
}

describe('foldCodePoint', () => {
  it('lower-cases ASCII letters and leaves other ASCII alone', () => {
    expect(foldCase('C:\\Windows\\System32\\CMD.EXE')).toBe('c:\\windows\\system32\\cmd.exe');
    expect(foldCase('[@`{')).toBe('[@`{');
  });

  it('puts Lucene case-folding partners in one class', () => {
    const same = (a: string, b: string) => expect(foldCase(a), `${a} ~ ${b}`).toBe(foldCase(b));
    same('K', '\u212a'); // Kelvin sign
    same('s', '\u017f'); // long s
    same('\u03a3', '\u03c2'); // Σ and final ς
    same('\u03c3', '\u03c2');
    same('\u00b5', '\u03bc'); // micro sign and μ
    same('\u2126', '\u03c9'); // ohm sign and ω
    same('\u212b', '\u00e5'); // angstrom sign and å
    same('\u1e9e', '\u00df'); // capital sharp s
    same('\u01c4', '\u01c5'); // DŽ and the title-case Dž
    same('\u0390', '\u1fd3');
    same('\u1f88', '\u1f80'); // title-case Greek with iota subscript
    same('\u{10400}', '\u{10428}'); // Deseret: astral letters fold too
    same('\u0130', 'i'); // Java's simple mappings join İ and ı with i
    same('\u0131', 'I');
    expect(foldCase('\u00df')).not.toBe(foldCase('ss')); // per code point: no multi-char folding
  });

  it('is idempotent, keeps UTF-16 length, and agrees with Unicode simple folding (JS /iu) except for İ/ı', () => {
    const iuMismatch: number[] = [];
    const badShape: number[] = [];
    for (let cp = 0; cp <= SCAN_END; cp++) {
      if (isSurrogate(cp)) continue;
      const f = foldCodePoint(cp);
      if (foldCodePoint(f) !== f || f > 0xffff !== cp > 0xffff) badShape.push(cp);
      if (f !== cp && !new RegExp(`^\\u{${f.toString(16)}}$`, 'iu').test(String.fromCodePoint(cp))) iuMismatch.push(cp);
    }
    expect(badShape).toEqual([]);
    expect(iuMismatch).toEqual([0x130, 0x131]);
  });
});

describe('caseVariants', () => {
  it('lists the whole class of every cased code point', () => {
    const wrong: string[] = [];
    for (const members of classesByFold().values()) {
      if (members.length === 1) continue;
      const expected = members.join(',');
      for (const cp of members) if (caseVariants(cp).join(',') !== expected) wrong.push(cp.toString(16));
    }
    expect(wrong).toEqual([]);
    expect(caseVariants(0x20ac)).toEqual([0x20ac]);
  });

  it('includes non-ASCII partners of ASCII letters', () => {
    expect(caseVariants(0x6b)).toEqual([0x4b, 0x6b, 0x212a]);
    expect(caseVariants(0x31)).toEqual([0x31]);
  });
});

describe('foldCase', () => {
  it('returns the same string object when nothing changes', () => {
    const s = 'already lower-case ascii';
    expect(foldCase(s)).toBe(s);
    const t = 'ünïcödé';
    expect(foldCase(t)).toBe(t);
  });

  it('folds long non-ASCII strings (beyond one fromCharCode chunk)', () => {
    const long = 'É'.repeat(20000) + '\u{10400}';
    expect(foldCase(long)).toBe('é'.repeat(20000) + '\u{10428}');
  });

  it('equalsIgnoreCase agrees with comparing folded strings', () => {
    const alphabet = fc.constantFrom('a', 'A', 'k', 'K', '\u212a', 'ß', '\u1e9e', 'σ', 'ς', 'Σ', '\u{10400}', '\u{10428}', 'x', 'İ', 'i');
    const str = fc.array(alphabet, { maxLength: 6 }).map((a) => a.join(''));
    fc.assert(
      fc.property(str, str, (a, b) => {
        expect(equalsIgnoreCase(a, b)).toBe(foldCase(a) === foldCase(b));
      }),
      { numRuns: 2000 },
    );
  });
});

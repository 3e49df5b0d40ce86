// One digest of a ruleset's texts and dialects keys both the stored checks and the predicate
// module (src/main/cache/rules-digest.ts): it must change with any text, dialect or order, never
// confuse where one text ends and the next begins, and give the same digest for equal rules.
import { describe, expect, it } from 'vitest';
import { rulesDigest } from '../src/main/cache/rules-digest.js';

describe('rulesDigest', () => {
  it('tells rulesets apart by text, dialect, order and where each text ends', () => {
    const a = { query: 'process where true' };
    const b = { query: 'file where true' };
    const digests = [
      rulesDigest([a, b]),
      rulesDigest([b, a]),
      rulesDigest([a]),
      rulesDigest([{ ...a, dialect: 'endpoint' as const }, b]),
      rulesDigest([{ query: 'process where truefile where true' }]),
      rulesDigest([{ query: 'process where' }, { query: ' truefile where true' }]),
      rulesDigest([]),
    ];
    expect(new Set(digests).size).toBe(digests.length);
  });

  it('gives the same digest for equal rules, whichever objects hold them', () => {
    const rules = [{ query: 'process where process.name == "nc"' }, { query: 'network where true', dialect: 'endpoint' as const }];
    const first = rulesDigest(rules);
    rulesDigest([{ query: 'other where true' }]); // another ruleset in between
    expect(rulesDigest(rules.map((r) => ({ ...r, query: `${r.query}` })))).toBe(first);
    expect(first).toMatch(/^[0-9a-f]{64}$/);
  });
});

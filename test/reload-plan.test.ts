// planReload: a reload never weakens detection. Failing new text keeps the previous version; a file
// that fails as a whole keeps all its previous rules; new rules are added, changed ones replaced,
// deleted ones removed, and every change is named.
import { describe, expect, it } from 'vitest';
import { describeReload, planReload } from '../src/main/pipeline/reload-plan.js';
import type { RuleSpec } from '../src/shared/pipeline/ruleset.js';

function rule(id: string, query: string, file = `${id}.eql`): RuleSpec {
  return { id, name: `rule ${id}`, description: '', severity: 'low', riskScore: 21, version: 1, tags: [], threat: [], language: 'eql', query, file };
}

describe('planReload', () => {
  const previous = [rule('a', 'process where true'), rule('b', 'file where true'), rule('c', 'network where true'), rule('t1', 'process where 1 == 1', 'bundle.toml'), rule('t2', 'process where 2 == 2', 'bundle.toml')];

  it('keeps the old version of a rule whose new text fails, and of every rule of a file that fails whole', () => {
    const plan = planReload(previous, {
      specs: [rule('a', 'process where false'), rule('c', 'network where true'), rule('d', 'any where true')],
      failures: [{ file: 'b.eql', id: 'b' }, { file: 'bundle.toml' }, { file: 'e.eql', id: 'e' }],
    });
    expect(plan.specs.map((r) => [r.id, r.query])).toEqual([
      ['a', 'process where false'],
      ['c', 'network where true'],
      ['d', 'any where true'],
      ['b', 'file where true'],
      ['t1', 'process where 1 == 1'],
      ['t2', 'process where 2 == 2'],
    ]);
    expect(plan).toMatchObject({ added: ['rule d (d)'], changed: ['rule a (a)'], keptOld: ['rule b (b)', 'rule t1 (t1)', 'rule t2 (t2)'], removed: [], unchanged: 1, failedNew: ['e'] });
    const text = describeReload(plan, 7);
    expect(text).toContain('generation 7, 6 rule(s) running (1 added, 1 changed, 3 kept at their previous version, 0 removed, 1 unchanged)');
    expect(text).toContain('not loaded (fails, no previous version) 1: e');
  });

  it('removes rules whose file no longer holds them', () => {
    const plan = planReload(previous, { specs: [rule('a', 'process where true')], failures: [] });
    expect(plan.specs.map((r) => r.id)).toEqual(['a']);
    expect(plan.removed).toEqual(['rule b (b)', 'rule c (c)', 'rule t1 (t1)', 'rule t2 (t2)']);
  });
});

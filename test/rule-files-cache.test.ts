import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadRules } from '../src/shared/rules/index.js';
import { DiskRuleFileMemo } from '../src/main/cache/rule-files.js';
import { loadCheckedRules } from '../src/main/pipeline/load-rules.js';
import { ecsLinuxSchema } from '../src/shared/schema/ecs-linux.js';

const TOML = (name: string, query: string) => `[metadata]\ncreation_date = "2024/01/01"\n\n[rule]\nauthor = ["Kestrel"]\ndescription = "d"\nname = "${name}"\nrisk_score = 47\nrule_id = "${name}-id"\nseverity = "medium"\ntype = "eql"\nlanguage = "eql"\nquery = '''\n${query}\n'''\n`;

const dirs: string[] = [];
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), 'kestrel-rule-memo-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function load(rules: string, cache: string) {
  const memo = DiskRuleFileMemo.open([rules], cache)!;
  const loaded = await loadRules([rules], memo);
  memo.save();
  return { loaded, hits: memo.hits };
}

describe('rule files remembered on disk', () => {
  it('gives the same rules from the cache, and reads an edited file afresh', async () => {
    const rules = temp();
    const cache = temp();
    writeFileSync(join(rules, 'a.toml'), TOML('a', 'process where process.name == "nc"'));
    writeFileSync(join(rules, 'b.toml'), TOML('b', 'file where file.name == "x"'));
    const first = await load(rules, cache);
    expect(first.hits).toBe(0);
    const second = await load(rules, cache);
    expect(second.hits).toBe(2);
    expect(second.loaded.rules).toEqual(first.loaded.rules);

    writeFileSync(join(rules, 'b.toml'), TOML('b', 'file where file.name == "y"'));
    const third = await load(rules, cache);
    expect(third.hits).toBe(1);
    expect(third.loaded.rules.find((r) => r.id === 'b-id')!.query).toContain('"y"');
  });

  it('never remembers a broken file, and survives a damaged entry', async () => {
    const rules = temp();
    const cache = temp();
    writeFileSync(join(rules, 'a.toml'), TOML('a', 'process where process.name == "nc"'));
    writeFileSync(join(rules, 'bad.toml'), '[rule\nname = ');
    expect((await load(rules, cache)).loaded.errors).toHaveLength(1);
    const again = await load(rules, cache);
    expect([again.hits, again.loaded.errors.length, again.loaded.rules.length]).toEqual([1, 1, 1]);

    const ns = join(cache, readdirSync(cache)[0]!);
    for (const f of readdirSync(ns)) writeFileSync(join(ns, f), 'garbage');
    const damaged = await load(rules, cache);
    expect([damaged.hits, damaged.loaded.rules.length]).toEqual([0, 1]);
  });

  it('tells loadCheckedRules a cold start is likely only when nothing is remembered of the rule paths', async () => {
    const rules = temp();
    const cache = temp();
    writeFileSync(join(rules, 'a.toml'), TOML('a', 'process where process.name == "nc"'));
    const previous = process.env.KESTREL_CACHE_DIR;
    process.env.KESTREL_CACHE_DIR = cache;
    try {
      const signals: string[] = [];
      const run = async (): Promise<void> => {
        await loadCheckedRules([rules], ecsLinuxSchema(), { err: { write: () => true } as never }, {
          onLikelyCold: () => signals.push('cold'),
          onLoaded: () => void signals.push('loaded'),
        });
        signals.push('|');
      };
      await run();
      await run();
      // The first run: before the files are read; the second finds them remembered.
      expect(signals).toEqual(['cold', 'loaded', '|', 'loaded', '|']);
    } finally {
      if (previous === undefined) delete process.env.KESTREL_CACHE_DIR;
      else process.env.KESTREL_CACHE_DIR = previous;
    }
  });
});

// A warm start takes the rules' checks from the disk cache (src/main/cache/checked-rules.ts)
// instead of parsing and checking them again: the stored checks are what the pipeline gets, a rule
// that fails is checked and reported again every run, and a damaged entry or another schema makes
// the rules be checked afresh.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCheckedRules } from '../src/main/pipeline/load-rules.js';
import { readStoredChecks, storeChecks, storedChecksKey } from '../src/main/cache/checked-rules.js';
import { checkRule, CheckHandOver } from '../src/shared/rules/compile-rule.js';
import { lookupFunction } from '../src/shared/eql/functions.js';
import { asSource, checkSchemaFor } from '../src/shared/pipeline/ruleset.js';
import { ecsLinuxSchema } from '../src/shared/schema/ecs-linux.js';
import { createSchema } from '../src/shared/schema/schema.js';
import type { TExpr } from '../src/shared/eql/ir.js';

const GOOD = 'sequence by process.entity_id [process where process.name in ("bash", "sh")] [network where cidrmatch(destination.ip, "10.0.0.0/8") == false]';
const BAD = 'process where process.nmae == "nc"';

let dir = '';
let rules = '';
let previous: string | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'kestrel-checked-'));
  rules = join(dir, 'rules');
  rmSync(rules, { recursive: true, force: true });
  mkdirSync(rules);
  writeFileSync(join(rules, 'good.eql'), `// name: good\n${GOOD}\n`);
  writeFileSync(join(rules, 'bad.eql'), `// name: bad\n${BAD}\n`);
  previous = process.env.KESTREL_CACHE_DIR;
  process.env.KESTREL_CACHE_DIR = join(dir, 'cache');
});
afterEach(() => {
  if (previous === undefined) delete process.env.KESTREL_CACHE_DIR;
  else process.env.KESTREL_CACHE_DIR = previous;
  rmSync(dir, { recursive: true, force: true });
});

async function load() {
  let err = '';
  const schema = ecsLinuxSchema();
  const out = await loadCheckedRules([rules], schema, { err: { write: (s: string) => ((err += s), true) } as never });
  const handed = out.specs.map((s) => CheckHandOver.take(checkSchemaFor(schema), s));
  return { out, err, handed };
}

/** Every call node's declaration in a check. */
function calls(v: unknown, out: unknown[] = []): unknown[] {
  if (typeof v !== 'object' || v === null) return out;
  if ((v as TExpr).kind === 'call') out.push((v as { fn: unknown }).fn);
  for (const x of Array.isArray(v) ? v : Object.values(v)) calls(x, out);
  return out;
}

describe('checked rules kept on disk', () => {
  it('a second run gets the same checks from the cache, calls and all, and reports the bad rule again', async () => {
    const cold = await load();
    expect(readdirSync(join(dir, 'cache', 'checked'))).toHaveLength(1);
    const warm = await load();
    for (const run of [cold, warm]) {
      expect(run.out.specs.map((s) => s.name)).toEqual(['good']);
      expect(run.out.failed).toBe(1);
      expect(run.err).toMatch(/bad\.eql:2:\d+/);
      expect(run.err).toContain('^');
    }
    expect(warm.handed[0]).toEqual(cold.handed[0]);
    const fns = calls(warm.handed[0]);
    expect(fns).toHaveLength(1);
    expect(fns[0]).toBe(lookupFunction('cidrMatch'));
  });

  it('hands over exactly what the entry holds', async () => {
    await load();
    // An entry made under the same key with another check: the run must hand that one over.
    const schema = ecsLinuxSchema();
    const src = [{ query: BAD }, { query: GOOD }]; // loaded in file name order
    const key = storedChecksKey(src, schema)!;
    const other = checkRule(asSource({ id: 'x', name: 'x', description: '', severity: 'low', riskScore: 1, version: 1, tags: [], threat: [], language: 'eql', query: 'process where process.name == "other"', file: 'x.eql' }), { schema });
    if (!other.ok) throw other.error;
    storeChecks(key, [null, other.checked]);
    const warm = await load();
    expect(JSON.stringify(warm.handed[0])).toContain('"other"');
    expect(warm.out.failed).toBe(1);
  });

  it('checks afresh when the entry is damaged', async () => {
    const cold = await load();
    const ns = join(dir, 'cache', 'checked');
    for (const f of readdirSync(ns)) writeFileSync(join(ns, f), 'garbage');
    const again = await load();
    expect(again.handed[0]).toEqual(cold.handed[0]);
    expect(again.out.failed).toBe(1);
  });

  it('keys entries by the schema the rules are checked against', () => {
    const src = [{ query: GOOD }];
    const ecs = ecsLinuxSchema();
    const other = checkSchemaFor(createSchema('custom', [{ path: 'x.y', type: 'keyword' }], { strict: false }));
    expect(storedChecksKey(src, ecs)).not.toBe(storedChecksKey(src, other));
    expect(storedChecksKey(src, ecs)).toBe(storedChecksKey([{ query: GOOD }], ecs));
    expect(storedChecksKey(src, ecs)).not.toBe(storedChecksKey([{ query: GOOD, dialect: 'endpoint' }], ecs));
    expect(readStoredChecks(storedChecksKey(src, other)!, 1)).toBeUndefined();
  });

  it('stores nothing and reads nothing with the cache turned off', async () => {
    process.env.KESTREL_CACHE = 'off';
    try {
      expect(storedChecksKey([{ query: GOOD }], ecsLinuxSchema())).toBeUndefined();
      const run = await load();
      expect(run.out.specs).toHaveLength(1);
    } finally {
      delete process.env.KESTREL_CACHE;
    }
  });
});


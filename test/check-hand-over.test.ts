// Main checks every rule to report the bad ones, then the single-thread pipeline needs the same
// checks to compile the good ones: CheckHandOver passes them on instead of checking twice. A check
// is taken at most once (no two pipelines share one rule's IR), only for the same schema, query and
// dialect, and a new hand-over drops what an earlier one left untaken.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CheckHandOver, checkRule } from '../src/shared/rules/compile-rule.js';
import { asSource, checkRuleset, checkSchemaFor } from '../src/shared/pipeline/ruleset.js';
import { loadCheckedRules } from '../src/main/pipeline/load-rules.js';
import { ecsLinuxSchema } from '../src/shared/schema/ecs-linux.js';
import { OPEN_SCHEMA } from './helpers/eql-schema.js';

const dir = mkdtempSync(join(tmpdir(), 'kestrel-handover-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const QUERY = 'process where process.name == "nc"';
const spec = (query: string, dialect?: 'endpoint') => ({
  id: 'r', name: 'r', description: '', severity: 'low', riskScore: 1, version: 1, tags: [], threat: [], language: 'eql', query, file: 'r.eql',
  ...(dialect && { dialect }),
});

describe('checks handed over from load-rules to the pipeline (CheckHandOver)', () => {
  it('gives a check once, for the same schema, query and dialect only', () => {
    const checked = checkRule(asSource(spec(QUERY)), { schema: OPEN_SCHEMA });
    if (!checked.ok) throw checked.error;
    const handOver = CheckHandOver.begin(OPEN_SCHEMA);
    handOver.set(CheckHandOver.key({ query: QUERY }), checked.checked);
    expect(CheckHandOver.take(ecsLinuxSchema(), { query: QUERY })).toBeUndefined();
    expect(CheckHandOver.take(OPEN_SCHEMA, { query: QUERY, dialect: 'endpoint' })).toBeUndefined();
    expect(CheckHandOver.take(OPEN_SCHEMA, { query: QUERY })).toBe(checked.checked);
    expect(CheckHandOver.take(OPEN_SCHEMA, { query: QUERY })).toBeUndefined();
  });

  it('lets a new hand-over replace an untaken one', () => {
    const checked = checkRule(asSource(spec(QUERY)), { schema: OPEN_SCHEMA });
    if (!checked.ok) throw checked.error;
    CheckHandOver.begin(OPEN_SCHEMA).set(CheckHandOver.key({ query: QUERY }), checked.checked);
    CheckHandOver.begin(OPEN_SCHEMA);
    expect(CheckHandOver.take(OPEN_SCHEMA, { query: QUERY })).toBeUndefined();
  });

  it('hands loadCheckedRules’ checks to checkRuleset, which checks anything else itself', async () => {
    const file = join(dir, 'nc.eql');
    writeFileSync(file, `// id: nc-1\n// name: nc\n${QUERY}\n`);
    const schema = checkSchemaFor(ecsLinuxSchema());
    const loaded = await loadCheckedRules([file], ecsLinuxSchema(), { err: { write: () => true } as never });
    expect(loaded.specs.map((s) => s.id)).toEqual(['nc-1']);
    const handed = CheckHandOver.take(schema, loaded.specs[0]!);
    expect(handed).toBeDefined();
    await loadCheckedRules([file], ecsLinuxSchema(), { err: { write: () => true } as never });
    const first = checkRuleset(loaded.specs, schema);
    expect(first[0]).toEqual(handed);
    // checkRuleset took the hand-over: nothing is left for anyone else.
    expect(CheckHandOver.take(schema, loaded.specs[0]!)).toBeUndefined();
    // The second pipeline (a reload, a warm-up copy) checks again: its IR is its own.
    const second = checkRuleset(loaded.specs, schema);
    expect(second[0]).not.toBe(first[0]);
    expect(second[0]).toEqual(first[0]);
  });
});

// Every bundled rule fires on its positive fixture and stays silent on its near-miss fixture,
// evaluated exactly as replay will: strict ECS Linux schema, compiled closures, streaming engine.
import { describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { loadRules } from '../src/shared/rules/index.js';
import { checkRule, compileRule } from '../src/shared/rules/compile-rule.js';
import { ecsLinuxSchema } from '../src/shared/schema/ecs-linux.js';
import { createEngine } from '../src/shared/engine/engine.js';
import { timedEvents } from '../src/shared/input/timed-events.js';
import { DEFAULT_QUERY_OPTIONS } from '../src/shared/query/execute.js';

const loaded = await loadRules(['rules']);
const schema = ecsLinuxSchema();

async function results(rule: (typeof loaded.rules)[number], file: string): Promise<number> {
  const check = checkRule(rule, { schema });
  if (!check.ok) throw check.error;
  const engine = createEngine(compileRule(check), { onResult: () => n++ });
  let n = 0;
  for await (const ev of timedEvents([file], DEFAULT_QUERY_OPTIONS)) engine.push(ev);
  engine.end();
  return n;
}

describe('bundled rules against their fixtures', () => {
  it('loads the bundled rule set', () => {
    expect(loaded.errors).toEqual([]);
    expect(loaded.rules.length).toBeGreaterThanOrEqual(15);
  });
  for (const rule of loaded.rules) {
    const base = rule.file.replace(/\.eql$/, '');
    it(`${rule.name}: fires on its events, not on its near misses`, async () => {
      expect(await results(rule, `${base}.events.ndjson`)).toBeGreaterThan(0);
      if (existsSync(`${base}.negative.ndjson`)) expect(await results(rule, `${base}.negative.ndjson`)).toBe(0);
    });
  }
});

// Elastic Endpoint behaviour rules (#15): their TOML layout is read as EQL in the Endpoint dialect,
// whose typing compares keyword ids with integers and whose missing fields are null (Endpoint
// evaluates on the host; nothing is pushed down as a query). `check` never counts a skipped rule as ok.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkQuery } from '../src/shared/eql/checker.js';
import { WasmPredicateSet } from '../src/shared/eql/codegen/evaluator.js';
import { compileFilter } from '../src/shared/eql/compile.js';
import { jsonFieldAccessor } from '../src/shared/eql/field-access.js';
import { parseQuery } from '../src/shared/eql/parser.js';
import { loadRules } from '../src/shared/rules/index.js';
import { distModule } from './helpers/dist.js';
import { layout, schema } from './helpers/eql-arbitraries.js';
import { packRecords } from './helpers/records.js';

const FIXTURES = 'test/fixtures/endpoint-rules';

function filterOf(where: string, dialect: 'elasticsearch' | 'endpoint') {
  const text = `any where ${where}`;
  return checkQuery(parseQuery(text), { schema, source: text, ...(dialect === 'endpoint' && { dialect, missingFields: 'null' as const }) }).steps[0]!.filter;
}

/** [interpreter, wasm] verdicts on each event; the two must agree. */
async function verdicts(where: string, events: object[], dialect: 'elasticsearch' | 'endpoint' = 'endpoint'): Promise<boolean[]> {
  const filter = filterOf(where, dialect);
  const interp = events.map((e) => compileFilter(filter, jsonFieldAccessor).test(e));
  const set = await WasmPredicateSet.create({ filters: [filter] }, layout);
  const { bytes, offsets } = packRecords(layout, events);
  set.evaluateBatch(bytes, offsets, offsets.length);
  expect(offsets.map((_o, r) => set.matches(r, 0)), `wasm vs interpreter for ${where}`).toEqual(interp);
  return interp;
}

describe('Endpoint behaviour-rule TOML', () => {
  it('is read as an EQL rule in the Endpoint dialect, with its actions, version text, OS list and ATT&CK entries', async () => {
    const { rules, skipped, errors } = await loadRules([FIXTURES]);
    expect(errors).toEqual([]);
    expect(skipped).toEqual([]);
    const [r] = rules;
    expect(r).toMatchObject({
      id: '6f0e6c2a-9d51-4c1e-8a57-2d3b4c5e6f70', name: 'Shell Started by a Hidden Binary in /tmp', dialect: 'endpoint',
      version: 1, versionText: '1.0.3', osList: ['linux'], minEndpointVersion: '8.6.0', severity: 'high', riskScore: 73,
      actions: [{ action: 'kill_process', field: 'process.parent.entity_id', state: 0 }], optionalActions: [],
    });
    expect(r!.threat[0]).toMatchObject({ tactic: { id: 'TA0002' }, technique: [{ id: 'T1059', subtechnique: [{ id: 'T1059.004' }] }] });
  });

  it('a broken action is an error at its place, not a silent default', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kestrel-endpoint-'));
    writeFileSync(join(dir, 'bad.toml'), '[rule]\nid = "x1"\nname = "n"\nos_list = ["linux"]\nquery = \'\'\'process where true\'\'\'\n[[actions]]\naction = "kill_process"\nstate = 0\n');
    const { errors } = await loadRules([dir]);
    expect(errors.map((e) => e.message)).toEqual([expect.stringMatching(/\[\[actions\]\] needs field/)]);
  });
});

describe('Endpoint dialect typing: keyword ids against integers', () => {
  const ids = [{ k: '0' }, { k: '1000' }, { k: '999' }, { k: 'abc' }, {}];
  it('== and != compare with the number as text', async () => {
    expect(await verdicts('k == 0', ids)).toEqual([true, false, false, false, false]);
    expect(await verdicts('k != 0', ids)).toEqual([false, true, true, true, false]);
    expect(await verdicts('0 == k', ids)).toEqual([true, false, false, false, false]);
  });
  it('orders compare numerically (a value that is not a number never matches)', async () => {
    expect(await verdicts('k >= 1000', ids)).toEqual([false, true, false, false, false]);
    expect(await verdicts('k < 1000', ids)).toEqual([true, false, true, false, false]);
  });
  it('in lists take numbers as text', async () => {
    expect(await verdicts('k in (0, 999)', ids)).toEqual([true, false, true, false, false]);
  });
  it('the Elasticsearch dialect still refuses them', () => {
    expect(() => filterOf('k == 0', 'elasticsearch')).toThrow(/so second argument must also be \[keyword\] but was \[integer\]/);
  });
  it('missing fields are null, not Elasticsearch must_not', async () => {
    expect(await verdicts('not k == "abc"', ids, 'endpoint')).toEqual([true, true, true, false, false]);
    expect(await verdicts('not k == "abc"', ids, 'elasticsearch')).toEqual([true, true, true, false, true]);
  });
});

describe('kestrel check and replay with Endpoint rules', () => {
  function kestrel(...args: string[]) {
    distModule('main/cli.js');
    return spawnSync(process.execPath, ['bin/kestrel', ...args], { encoding: 'utf8' });
  }

  it('check: a skipped rule fails the check unless --allow-skipped', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kestrel-skip-'));
    mkdirSync(join(dir, 'r'));
    writeFileSync(join(dir, 'r', 'kql.toml'), '[rule]\nrule_id = "k1"\nname = "kql"\nlanguage = "kuery"\ntype = "query"\nquery = "process.name: x"\nseverity = "low"\nrisk_score = 1\n');
    const strict = kestrel('check', join(dir, 'r'), FIXTURES);
    expect(strict.status).toBe(1);
    expect(strict.stdout).toMatch(/1 rules ok, 0 failed, 1 skipped/);
    expect(strict.stderr).toMatch(/1 rule\(s\) skipped, not checked: the check fails \(pass --allow-skipped/);
    expect(kestrel('check', '--allow-skipped', join(dir, 'r'), FIXTURES).status).toBe(0);
    expect(kestrel('check', FIXTURES).status).toBe(0);
  });

  it('replay runs an Endpoint rule: it fires on the matching start and not on a near miss', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kestrel-endpoint-replay-'));
    const base = { '@timestamp': '2026-12-06T10:00:00.000Z', host: { id: 'h', os: { type: 'linux' } }, event: { category: ['process'], type: ['start'], action: 'exec' } };
    const hit = { ...base, process: { name: 'sh', pid: 20, entity_id: 'e20', parent: { executable: '/tmp/.x', entity_id: 'e10', pid: 10, user: { id: '0' } } }, user: { id: '0' } };
    const nearMiss = { ...hit, '@timestamp': '2026-12-06T10:00:01.000Z', user: { id: '1000' } };
    const userParent = { ...hit, '@timestamp': '2026-12-06T10:00:02.000Z', process: { ...hit.process, parent: { ...hit.process.parent, user: { id: '1000' } } } };
    writeFileSync(join(dir, 'e.ndjson'), [hit, nearMiss, userParent].map((e) => JSON.stringify(e)).join('\n') + '\n');
    expect(kestrel('convert', join(dir, 'e.ndjson'), join(dir, 'e.bin')).status).toBe(0);
    const r = kestrel('replay', join(dir, 'e.bin'), '--rules', FIXTURES);
    expect(r.status).toBe(0);
    const alerts = r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
    // user.id == 0 (a keyword "0") and not parent.user.id >= 1000 (numeric on "0" / "1000").
    expect(alerts.map((a) => a.kestrel.events[0]['@timestamp'])).toEqual(['2026-12-06T10:00:00.000Z']);
    expect(alerts[0].rule).toMatchObject({ name: 'Shell Started by a Hidden Binary in /tmp' });
  });
});

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
import { LineageTracker, lineageNodes } from '../src/shared/pipeline/lineage.js';
import { ecsLinuxSchema } from '../src/shared/schema/ecs-linux.js';
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
    const r = rules.find((x) => x.id === '6f0e6c2a-9d51-4c1e-8a57-2d3b4c5e6f70');
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
    expect(strict.stdout).toMatch(/2 rules ok, 0 failed, 1 skipped/);
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
    expect(alerts[0].rule).toMatchObject({ name: 'Shell Started by a Hidden Binary in /tmp', version: '1.0.3' });
    // Replay never acts: it names the target of the rule's kill_process (the parent, step 0).
    expect(alerts[0].kestrel.response).toEqual([{ action: 'kill_process', mode: 'replay', field: 'process.parent.entity_id', state: 0, target: { pid: 10, entity_id: 'e10', executable: '/tmp/.x' }, result: 'not acted (replay)' }]);
  });
});

describe('Endpoint dialect: named steps and cross-step references', () => {
  const check = (q: string, dialect: 'elasticsearch' | 'endpoint' = 'endpoint') =>
    checkQuery(parseQuery(q), { schema, source: q, ...(dialect === 'endpoint' && { dialect, missingFields: 'null' as const }) });

  it('splits a step: the predicate stage gets the conjuncts about the event alone, the matcher the rest', () => {
    const q = check('sequence [any where k == "a"] as event0 [any where k == "b" and (m == "x" or startsWith(k, event0.k)) and n > 1]');
    const second = q.steps[1]!.filter;
    expect(second.cross).toBeDefined();
    const json = (x: unknown) => JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? String(v) : v));
    const own = json(second.where);
    expect(own).not.toContain('"step"');
    expect(own).toContain('"b"');
    expect(json(second.cross)).toContain('"step":0');
    expect(q.steps[0]!.filter.cross).toBeUndefined();
    // Only cross conditions left: the event part is `true`.
    expect(check('sequence [any where k == "a"] as e0 [any where k == e0.k]').steps[1]!.filter.where).toMatchObject({ kind: 'const', value: true });
  });

  it('refuses names outside the Endpoint dialect, on missing or repeated steps, twice, or shadowing a field', () => {
    expect(() => check('sequence [any where true] as event0 [any where true]', 'elasticsearch')).toThrow(/named steps .* are Elastic Endpoint's EQL/);
    expect(() => check('sequence with maxspan=1m ![any where true] as e0 [any where true]')).toThrow(/missing-event step/);
    expect(() => check('sequence [any where true] as e0 with runs=2 [any where true]')).toThrow();
    expect(() => check('sequence [any where true] as e0 [any where true] as e0 [any where true]')).toThrow(/used twice/);
    expect(() => check('sequence [any where true] as k [any where true]')).toThrow(/also a field name/);
    // With the (strict) ECS schema: an unknown name is an unknown field; a step cannot read itself or a later step.
    const ecs = (q: string) => checkQuery(parseQuery(q), { schema: ecsLinuxSchema(), source: q, dialect: 'endpoint', missingFields: 'null' });
    expect(() => ecs('sequence [any where true] as e0 [any where startsWith(process.name, e1.process.name)]')).toThrow(/Unknown column \[e1\.process\.name\]/);
    expect(() => ecs('sequence [any where startsWith(process.name, e0.process.name)] as e0 [any where true]')).toThrow(/Unknown column \[e0\.process\.name\]/);
    expect(() => ecs('sequence [any where true] as e0 [any where startsWith(process.name, e0.process.nonexistent)]')).toThrow(/Unknown column \[process\.nonexistent\]/);
    expect(ecs('sequence [any where true] as e0 [any where startsWith(process.name, e0.process.name)]').steps[1]!.filter.cross).toBeDefined();
  });

  function query(q: string, events: object[], engine: string) {
    distModule('main/cli.js');
    const dir = mkdtempSync(join(tmpdir(), 'kestrel-named-'));
    writeFileSync(join(dir, 'e.ndjson'), events.map((e) => JSON.stringify(e)).join('\n') + '\n');
    const r = spawnSync(process.execPath, ['bin/kestrel', 'query', '--dialect', 'endpoint', '--engine', engine, '--id-field', 'process.pid', q, join(dir, 'e.ndjson')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    return r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
  }

  it('a partial waits through candidates whose cross-step condition fails, on both engines', () => {
    const at = (s: number) => `2026-12-06T10:00:0${s}Z`;
    const events = [
      { '@timestamp': at(0), host: { id: 'h' }, event: { category: ['file'], action: 'creation' }, file: { path: '/tmp/a.bin' }, process: { pid: 1 } },
      { '@timestamp': at(1), host: { id: 'h' }, event: { category: ['process'], action: 'exec' }, process: { pid: 2, executable: '/usr/bin/true' } },
      { '@timestamp': at(2), host: { id: 'h' }, event: { category: ['process'], action: 'exec' }, process: { pid: 3, executable: '/tmp/a.bin' } },
      { '@timestamp': at(3), host: { id: 'h' }, event: { category: ['file'], action: 'creation' }, file: { path: '/tmp/b.bin' }, process: { pid: 4 } },
      { '@timestamp': at(4), host: { id: 'h' }, event: { category: ['process'], action: 'exec' }, process: { pid: 5, executable: '/TMP/B.BIN' } },
    ];
    const q = 'sequence by host.id with maxspan=1m [file where event.action == "creation"] as event0 [process where process.executable == event0.file.path]';
    const qi = 'sequence by host.id with maxspan=1m [file where event.action == "creation"] as event0 [process where startswith~(process.executable, event0.file.path)]';
    for (const engine of ['interp', 'wasm']) {
      expect(query(q, events, engine)).toEqual([[1, 3]]);
      expect(query(qi, events, engine)).toEqual([[1, 3], [4, 5]]);
    }
  });

  it('replay of an Endpoint rule with a named step: same alerts for 0, 1 and 2 workers and both engines', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kestrel-named-replay-'));
    const ev = (s: number, e: object) => ({ '@timestamp': `2026-12-06T10:00:${String(s).padStart(2, '0')}.000Z`, host: { id: `h${s % 3}`, os: { type: 'linux' } }, user: { id: '0' }, ...e });
    const events: object[] = [];
    for (let i = 0; i < 40; i++) {
      events.push(ev(i, { event: { category: ['file'], type: ['creation'], action: 'creation' }, file: { path: `/tmp/drop${i % 7}`, name: `drop${i % 7}` }, process: { pid: 100 + i, entity_id: `f${i}` } }));
      events.push(ev(i, { event: { category: ['process'], type: ['start'], action: 'exec' }, process: { pid: 200 + i, entity_id: `p${i}`, executable: `/tmp/drop${(i * 3) % 7}` } }));
    }
    writeFileSync(join(dir, 'e.ndjson'), events.map((e) => JSON.stringify(e)).join('\n') + '\n');
    expect(spawnSync(process.execPath, ['bin/kestrel', 'convert', join(dir, 'e.ndjson'), join(dir, 'e.bin')]).status).toBe(0);
    const outputs = new Set<string>();
    let count = 0;
    for (const workers of ['0', '1', '2']) {
      for (const engine of ['wasm', 'interp']) {
        const r = spawnSync(process.execPath, ['bin/kestrel', 'replay', join(dir, 'e.bin'), '--rules', `${FIXTURES}/execution_file_written_then_run_from_tmp.toml`, '--workers', workers, '--engine', engine], { encoding: 'utf8' });
        expect(r.status, r.stderr).toBe(0);
        outputs.add(r.stdout);
        count = r.stdout.trim().split('\n').filter(Boolean).length;
      }
    }
    expect(outputs.size).toBe(1);
    // Every exec whose path was created earlier on its host within 30 s: more than none, fewer than all.
    expect(count).toBeGreaterThan(3);
    expect(count).toBeLessThan(40);
    const first = JSON.parse([...outputs][0]!.split('\n')[0]!);
    expect(first.kestrel.events[1].process.executable).toBe(first.kestrel.events[0].file.path);
  });
});

describe('Endpoint dialect: lineage (descendant of, child of, event of)', () => {
  const at = (s: number) => `2026-12-06T10:00:0${s}Z`;
  const start = (s: number, pid: number, name: string, parent: string, action = 'exec') =>
    ({ '@timestamp': at(s), event: { category: ['process'], type: ['start'], action }, process: { pid, entity_id: `e${pid}`, name, parent: { entity_id: parent } } });
  const events = [
    start(0, 10, 'dnf', 'e1'),
    start(1, 11, 'dnf', 'e10', 'fork'),
    start(2, 11, 'sh', 'e10'),
    start(3, 12, 'curl', 'e11'),
    { '@timestamp': at(4), event: { category: ['network'], type: ['start'], action: 'connection_attempted' }, process: { pid: 12, entity_id: 'e12', name: 'curl', parent: { entity_id: 'e11' } } },
    start(5, 20, 'curl', 'e1'),
    { '@timestamp': at(6), event: { category: ['network'], type: ['start'], action: 'connection_attempted' }, process: { pid: 20, entity_id: 'e20', name: 'curl', parent: { entity_id: 'e1' } } },
  ];
  function query(q: string, engine: string, before: object[] = []) {
    distModule('main/cli.js');
    const dir = mkdtempSync(join(tmpdir(), 'kestrel-lineage-'));
    writeFileSync(join(dir, 'e.ndjson'), [...before, ...events].map((e) => JSON.stringify(e)).join('\n') + '\n');
    const r = spawnSync(process.execPath, ['bin/kestrel', 'query', '--dialect', 'endpoint', '--engine', engine, '--id-field', 'process.pid', q, join(dir, 'e.ndjson')], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    return r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)[0]);
  }

  it('sees every event past the schema head too: no line is skipped unparsed for a lineage term', () => {
    // 10,000 unrelated events first, so the tree's events come after the head that is read in full.
    const before = Array.from({ length: 10_000 }, (_, i) => ({ '@timestamp': '2026-12-06T09:00:00Z', host: { id: 'other' }, event: { category: ['file'], action: 'creation' }, file: { path: `/tmp/f${i}` }, process: { pid: 100_000 + i, entity_id: `o${i}` } }));
    expect(query('network where descendant of [process where event.action == "exec" and process.name == "dnf"]', 'interp', before)).toEqual([12]);
    expect(query('process where event.action == "exec" and child of [process where event.action == "exec" and process.name == "dnf"]', 'interp', before)).toEqual([11]);
  });

  it('answers from the process tree seen so far, the same on both engines', () => {
    for (const engine of ['interp', 'wasm']) {
      expect(query('network where descendant of [process where event.action == "exec" and process.name == "dnf"]', engine)).toEqual([12]);
      expect(query('process where event.action == "exec" and child of [process where event.action == "exec" and process.name == "dnf"]', engine)).toEqual([11]);
      expect(query('any where event of [process where process.name == "curl"]', engine)).toEqual([12, 12, 20, 20]);
      // In an or with a condition on the event alone: the whole term is decided with the lineage.
      expect(query('network where process.pid == 20 or descendant of [process where process.name == "dnf" and event.action == "exec"]', engine)).toEqual([12, 20]);
      expect(query('network where not descendant of [process where process.name == "dnf" and event.action == "exec"]', engine)).toEqual([20]);
    }
  });

  it('is refused outside the Endpoint dialect, nested, or mixed with a named step in one term', () => {
    const check = (q: string, dialect?: 'endpoint') => checkQuery(parseQuery(q), { schema: ecsLinuxSchema(), source: q, ...(dialect && { dialect, missingFields: 'null' as const }) });
    expect(() => check('process where descendant of [process where true]')).toThrow(/lineage \(descendant of \[…\]\) is Elastic Endpoint's EQL/);
    expect(() => check('process where descendant of [process where child of [process where true]]', 'endpoint')).toThrow(/cannot contain another lineage/);
    expect(() => check('sequence [process where true] as e0 [process where descendant of [process where process.name == "x"] or startsWith(process.name, e0.process.name)]', 'endpoint'))
      .toThrow(/lineage expression and a named step's field in one condition/);
    // `dns where` (Endpoint): network events of protocol dns.
    const dns = check('dns where dns.question.name == "x"', 'endpoint').steps[0]!.filter;
    expect(dns.category).toBe('network');
    expect(JSON.stringify(dns.where)).toContain('network.protocol');
    // `event` and `child` stay field names elsewhere.
    expect(check('process where event.type == "start"', 'endpoint').steps[0]!.filter.state).toBeUndefined();
    expect(check('process where event.type == "start" and descendant of [process where true]', 'endpoint').steps[0]!.filter.state).toBeDefined();
  });

  it('the table is bounded (oldest first out, counted) and survives a reload with the same lineage filters', () => {
    const q = checkQuery(parseQuery('process where descendant of [process where process.name == "a"]'), { schema: ecsLinuxSchema(), dialect: 'endpoint', missingFields: 'null' });
    const nodes = lineageNodes(q.steps[0]!.filter.state);
    const t = new LineageTracker(nodes, jsonFieldAccessor, 2);
    const ev = (id: string, parent: string, name: string) => ({ event: { category: ['process'], type: ['start'] }, process: { entity_id: id, name, parent: { entity_id: parent } } });
    t.observe(ev('p1', 'p0', 'a'));
    t.observe(ev('p2', 'p1', 'b'));
    expect(t.answer(nodes[0]!)).toBe(true);
    t.observe(ev('p3', 'p2', 'c'));
    expect(t.answer(nodes[0]!)).toBe(true);
    expect(t.size).toBe(2);
    expect(t.evictions).toBe(1);
    const next = new LineageTracker(nodes, jsonFieldAccessor);
    expect(next.adoptFrom(t)).toBe(true);
    next.observe(ev('p4', 'p3', 'd'));
    expect(next.answer(nodes[0]!)).toBe(true);
    const other = checkQuery(parseQuery('process where descendant of [process where process.name == "z"]'), { schema: ecsLinuxSchema(), dialect: 'endpoint', missingFields: 'null' });
    expect(new LineageTracker(lineageNodes(other.steps[0]!.filter.state), jsonFieldAccessor).adoptFrom(t)).toBe(false);
  });
});

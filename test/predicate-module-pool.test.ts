// The ruleset predicate module built once in a pool thread (main/predicate-module-pool.ts) and
// instantiated elsewhere from the thread's own checked filters must evaluate exactly as a module
// built in place; the pool caches by the queries and schema only. The pool runs compiled JS in a
// piscina worker: it is imported from dist/ (npm test builds it first).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import { distModule } from './helpers/dist.js';
import { loadRules } from '../src/shared/rules/index.js';
import { checkRule } from '../src/shared/rules/compile-rule.js';
import { ecsLinuxSchema } from '../src/shared/schema/ecs-linux.js';
import { buildLayout } from '../src/shared/record/layout.js';
import { describeSchema } from '../src/shared/record/schema-desc.js';
import { synthRecords } from './helpers/records.js';
import { checkRuleset, checkSchemaFor, predicateFilters, ruleSpecOf, type RuleSpec } from '../src/shared/pipeline/ruleset.js';
import { WasmPredicateSet } from '../src/shared/eql/codegen/evaluator.js';
import { describeHosts, rebuildHosts } from '../src/shared/eql/codegen/host-table.js';
import { generatePredicateModule } from '../src/shared/eql/codegen/module.js';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

type PoolModule = typeof import('../src/main/predicate-module-pool.js');
type CacheModule = typeof import('../src/main/cache/disk-cache.js');
let lib: PoolModule;
let cacheLib: CacheModule;
let pool: InstanceType<PoolModule['PredicateModulePool']>;
const schema = ecsLinuxSchema();
const layout = buildLayout(schema);
const desc = describeSchema(schema);
let specs: RuleSpec[];

beforeAll(async () => {
  lib = (await import(distModule('main/predicate-module-pool.js'))) as PoolModule;
  cacheLib = (await import(distModule('main/cache/disk-cache.js'))) as CacheModule;
  pool = new lib.PredicateModulePool({ maxThreads: 1, disk: null });
  const loaded = await loadRules([resolve('rules')]);
  specs = loaded.rules.filter((r) => checkRule(r, { schema }).ok).map(ruleSpecOf);
});
afterAll(() => pool.close());

/**
 * The specs checked by the pool's own build of the checker (dist/), as main checks them in a run:
 * a function declaration crosses to the build thread by identity with dist's table.
 */
async function checkedInDist(rules: readonly RuleSpec[]): Promise<{ checked: import('../src/shared/eql/ir.js').CheckedQuery[]; filters: import('../src/shared/eql/ir.js').CheckedFilter[] }> {
  const rulesLib = (await import(distModule('shared/rules/compile-rule.js'))) as typeof import('../src/shared/rules/compile-rule.js');
  const rulesetLib = (await import(distModule('shared/pipeline/ruleset.js'))) as typeof import('../src/shared/pipeline/ruleset.js');
  const ecsLib = (await import(distModule('shared/schema/ecs-linux.js'))) as typeof import('../src/shared/schema/ecs-linux.js');
  const checkSchema = rulesetLib.checkSchemaFor(ecsLib.ecsLinuxSchema());
  const checked = rules.map((s) => {
    const r = rulesLib.checkRule(s, { schema: checkSchema });
    if (!r.ok) throw r.error;
    return r.checked;
  });
  return { checked, filters: rulesetLib.predicateFilters(checked) };
}

/** The one predicate module entry of a cache directory. */
function entryBytes(dir: string): Buffer {
  return readFileSync(join(dir, 'predicates', readdirSync(join(dir, 'predicates'))[0]!));
}

/** Synthetic records of every kind the generator makes, packed back to back. */
function records(events: number): { bytes: Uint8Array; offsets: number[] } {
  return synthRecords(layout, events, 3);
}

describe('PredicateModulePool', () => {
  it('builds in the pool a module that, instantiated over this thread\'s filters, gives the bits of one built here', async () => {
    const r = await pool.prepare(specs, desc);
    expect(r.source).toBe('built');
    const filters = predicateFilters(checkRuleset(specs, checkSchemaFor(schema)));
    expect(r.prepared.predicateCount).toBe(filters.length);
    expect(r.prepared.hosts.length).toBeGreaterThan(filters.length);
    const shared = WasmPredicateSet.fromPrepared({ filters }, layout, r.prepared);
    const local = await WasmPredicateSet.create({ filters }, layout);
    const { bytes, offsets } = records(3000);
    const a = shared.evaluateBatch(bytes, offsets, offsets.length).slice();
    const b = local.evaluateBatch(bytes, offsets, offsets.length);
    expect(a.some((w) => w !== 0)).toBe(true);
    expect(a).toEqual(b);
    expect(shared.counters.hostCalls).toBe(local.counters.hostCalls);
  });

  it('caches by queries and schema: a hit for the same queries under other metadata, a miss for other queries', async () => {
    const before = { ...pool.counters };
    const first = await pool.prepare(specs, desc);
    const renamed = await pool.prepare(specs.map((s) => ({ ...s, name: `${s.name} (renamed)`, tags: [] })), desc);
    expect([first.source, renamed.source]).toEqual(['memory', 'memory']);
    expect(renamed.key).toBe(first.key);
    expect(renamed.prepared.module).toBe(first.prepared.module);
    const fewer = await pool.prepare(specs.slice(1), desc);
    expect(fewer.source).toBe('built');
    expect(fewer.key).not.toBe(first.key);
    expect(fewer.prepared.predicateCount).toBeLessThan(first.prepared.predicateCount);
    expect(pool.counters).toEqual({ hits: before.hits + 2, misses: before.misses + 1 });
  });

  it('keeps built modules on disk: a new pool compiles the stored one, a damaged entry is rebuilt', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kestrel-cache-'));
    const few = specs.slice(0, 6);
    const first = new lib.PredicateModulePool({ maxThreads: 1, disk: new cacheLib.DiskCache(dir) });
    const built = await first.prepare(few, desc);
    await first.close();
    expect(built.source).toBe('built');
    const [entry] = readdirSync(join(dir, 'predicates'));
    expect(entry).toBe(built.key);
    const disk = new cacheLib.DiskCache(dir);
    const second = new lib.PredicateModulePool({ maxThreads: 1, disk });
    const stored = await second.prepare(few, desc);
    expect(stored.source).toBe('disk');
    expect(stored.key).toBe(built.key);
    expect({ ...stored.prepared, module: null, timings: null }).toEqual({ ...built.prepared, module: null, timings: null });
    const filters = predicateFilters(checkRuleset(few, checkSchemaFor(schema)));
    const { bytes, offsets } = records(2000);
    const a = WasmPredicateSet.fromPrepared({ filters }, layout, stored.prepared).evaluateBatch(bytes, offsets, offsets.length).slice();
    const b = WasmPredicateSet.fromPrepared({ filters }, layout, built.prepared).evaluateBatch(bytes, offsets, offsets.length);
    expect(a).toEqual(b);
    await second.close();
    // One flipped byte: the checksum no longer matches; the entry is dropped and built again.
    const file = join(dir, 'predicates', entry!);
    const data = readFileSync(file);
    data[data.length - 10] = data[data.length - 10]! ^ 0xff;
    writeFileSync(file, data);
    const third = new lib.PredicateModulePool({ maxThreads: 1, disk: new cacheLib.DiskCache(dir) });
    const rebuilt = await third.prepare(few, desc);
    await third.close();
    expect(rebuilt.source).toBe('built');
    expect(third.disk!.counters.corrupt).toBe(1);
    const fourth = new lib.PredicateModulePool({ maxThreads: 1, disk: new cacheLib.DiskCache(dir) });
    expect((await fourth.prepare(few, desc)).source).toBe('disk');
    await fourth.close();
  });

  it('builds from the filters main hands over the very module it builds by checking the rules itself', async () => {
    const dirs = [mkdtempSync(join(tmpdir(), 'kestrel-cache-')), mkdtempSync(join(tmpdir(), 'kestrel-cache-'))];
    const { filters } = await checkedInDist(specs);
    const checkedThere = new lib.PredicateModulePool({ maxThreads: 1, disk: new cacheLib.DiskCache(dirs[0]!) });
    const handedOver = new lib.PredicateModulePool({ maxThreads: 1, disk: new cacheLib.DiskCache(dirs[1]!) });
    const a = await checkedThere.prepare(specs, desc);
    const b = await handedOver.prepare(specs, desc, filters);
    await Promise.all([checkedThere.close(), handedOver.close()]);
    expect([a.handedOver, b.handedOver]).toEqual([false, true]);
    expect(b.key).toBe(a.key);
    expect(entryBytes(dirs[1]!).equals(entryBytes(dirs[0]!))).toBe(true);
    // Host sub-expressions (regexes, functions) are rebuilt by name on the other side.
    expect(b.prepared.hosts).toEqual(a.prepared.hosts);
    expect(b.prepared.hosts.length).toBeGreaterThan(0);
  });

  it('streams a cold build as the rules are checked, to the very module one task builds', async () => {
    const { checked, filters } = await checkedInDist(specs);
    const dirs = [mkdtempSync(join(tmpdir(), 'kestrel-cache-')), mkdtempSync(join(tmpdir(), 'kestrel-cache-'))];
    const whole = new lib.PredicateModulePool({ maxThreads: 1, disk: new cacheLib.DiskCache(dirs[0]!) });
    const streamed = new lib.PredicateModulePool({ maxThreads: 1, disk: new cacheLib.DiskCache(dirs[1]!) });
    const a = await whole.prepare(specs, desc, filters);
    const feed = streamed.stream(specs, desc);
    for (const c of checked) feed.checked(c);
    feed.end();
    // Finished and stored without waiting for prepare(), which then takes it.
    const b = await streamed.prepare(specs, desc, filters);
    await Promise.all([whole.close(), streamed.close()]);
    expect([a.streamed, b.streamed]).toEqual([false, true]);
    expect(b.key).toBe(a.key);
    expect(b.prepared.predicateCount).toBe(filters.length);
    expect(entryBytes(dirs[1]!).equals(entryBytes(dirs[0]!))).toBe(true);
    expect(b.prepared.hosts).toEqual(a.prepared.hosts);
  });

  it('drops a streamed build when a rule fails its check or other rules are prepared, and builds those in one task', async () => {
    const { checked, filters } = await checkedInDist(specs);
    const dir = mkdtempSync(join(tmpdir(), 'kestrel-cache-'));
    const p = new lib.PredicateModulePool({ maxThreads: 1, disk: new cacheLib.DiskCache(dir) });
    // The third rule fails: what is prepared is the others, built in one task.
    const feed = p.stream(specs, desc);
    checked.forEach((c, i) => feed.checked(i === 2 ? null : c));
    feed.end();
    const others = specs.filter((_, i) => i !== 2);
    const { filters: otherFilters } = await checkedInDist(others);
    const r = await p.prepare(others, desc, otherFilters);
    expect(r.prepared.predicateCount).toBe(otherFilters.length);
    expect(r.streamed).toBe(false);
    // Ended before every rule was fed: dropped too.
    const feed2 = p.stream(specs, desc);
    for (const c of checked.slice(0, 3)) feed2.checked(c);
    feed2.end();
    const fewer = await p.prepare(specs.slice(0, 5), desc);
    expect(fewer.prepared.predicateCount).toBeLessThan(filters.length);
    expect(fewer.streamed).toBe(false);
    // A stream still fed after it was dropped changes nothing; a new one completes.
    feed2.checked(checked[0]!);
    feed2.end();
    const feed3 = p.stream(specs, desc);
    for (const c of checked) feed3.checked(c);
    feed3.end();
    const full = await p.prepare(specs, desc, filters);
    await p.close();
    expect(full.source).toBe('built');
    expect(full.streamed).toBe(true);
    const one = new lib.PredicateModulePool({ maxThreads: 1, disk: null });
    const reference = await one.prepare(specs, desc, filters);
    await one.close();
    expect(full.prepared.instrumentedBytes).toBe(reference.prepared.instrumentedBytes);
    expect(full.prepared.hosts).toEqual(reference.prepared.hosts);
  });

  it('prefetches a stored module from the rules\' queries before they are checked', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kestrel-cache-'));
    const few = specs.slice(0, 5);
    const first = new lib.PredicateModulePool({ maxThreads: 1, disk: new cacheLib.DiskCache(dir) });
    const built = await first.prepare(few, desc);
    await first.close();
    const second = new lib.PredicateModulePool({ maxThreads: 1, disk: new cacheLib.DiskCache(dir) });
    // Nothing stored for other queries: the caller starts the build thread instead.
    expect(second.prefetch(specs.slice(0, 4), desc)).toBe(false);
    // The same query texts checked in Elastic Endpoint's dialect compile to other predicates.
    expect(second.prefetch(few.map((r) => ({ query: r.query, dialect: 'endpoint' as const })), desc)).toBe(false);
    expect(second.prefetch(few, desc)).toBe(true);
    const got = await second.prepare(few, desc);
    expect([got.source, got.key, got.prepared.predicateCount]).toEqual(['disk', built.key, built.prepared.predicateCount]);
    // A rule that failed its check changes the key: prepare misses the prefetch and builds.
    const fewer = await second.prepare(few.slice(1), desc);
    expect(fewer.source).toBe('built');
    await second.close();
  });

  it('keys a module by each rule\'s dialect as well as its query', () => {
    const few = specs.slice(0, 3);
    const key = lib.predicateModuleKey(few, desc);
    expect(lib.predicateModuleKey(few.map((r) => ({ query: r.query, dialect: r.dialect })), desc)).toBe(key);
    expect(lib.predicateModuleKey([{ ...few[0]!, dialect: 'endpoint' as const }, ...few.slice(1)], desc)).not.toBe(key);
  });

  it('refuses a prepared module for other filters', async () => {
    const r = await pool.prepare(specs, desc);
    const filters = predicateFilters(checkRuleset(specs.slice(1), checkSchemaFor(schema)));
    expect(() => WasmPredicateSet.fromPrepared({ filters }, layout, r.prepared)).toThrow(/a predicate module for \d+ filters was given \d+/);
  });
});

describe('host table', () => {
  it('rebuilds every host id over equal filters checked again, node for node', () => {
    const check = () => predicateFilters(checkRuleset(specs, checkSchemaFor(schema)));
    const original = check();
    const hosts = generatePredicateModule(original, layout).hosts;
    const refs = describeHosts(hosts, original);
    const again = rebuildHosts(refs, check());
    expect(again.count).toBe(hosts.count);
    for (let id = 0; id < hosts.count; id++) {
      const [a, b] = [hosts.entry(id), again.entry(id)];
      expect({ kind: b.node.kind, span: b.node.span, custom: b.custom, hostOnly: b.hostOnly }).toEqual({ kind: a.node.kind, span: a.node.span, custom: a.custom, hostOnly: a.hostOnly });
    }
  });
});

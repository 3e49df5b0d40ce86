// A predicate helper gets the step filters main checked (eql/filter-transfer.ts) instead of
// checking the ruleset again. Structured clone cannot carry a function call's declaration, so it
// travels by name: the filters must come back equal to the originals, with the very same
// declarations, shared sub-trees still shared, and the hand-over left for main to take.
import { describe, expect, it } from 'vitest';
import { exportFilters, importFilters, withCallsByName } from '../src/shared/eql/filter-transfer.js';
import { lookupFunction } from '../src/shared/eql/functions.js';
import type { CheckedFilter } from '../src/shared/eql/ir.js';
import { CheckHandOver, checkRule } from '../src/shared/rules/compile-rule.js';
import { asSource, handedOverFilters, predicateFilters } from '../src/shared/pipeline/ruleset.js';
import { OPEN_SCHEMA } from './helpers/eql-schema.js';

const spec = (query: string) => ({
  id: 'r', name: 'r', description: '', severity: 'low', riskScore: 1, version: 1, tags: [], threat: [], language: 'eql', query, file: 'r.eql',
});

const QUERIES = [
  'sequence by process.entity_id [process where process.name in ("bash", "sh") and startsWith~(process.args, "-c")] [network where cidrmatch(destination.ip, "10.0.0.0/8", "192.168.0.0/16") == false] until [process where event.type == "end"]',
  'process where length(process.command_line) > 200 and process.command_line regex~ ".*base64 +-d.*" and not process.parent.name : "*sshd*"',
  'file where file.path like~ ("/etc/cron*", "/var/spool/cron/*") and stringContains(file.path, concat("cr", "on"))',
];

function filtersOf(queries: string[]): CheckedFilter[] {
  return predicateFilters(
    queries.map((q) => {
      const c = checkRule(asSource(spec(q)), { schema: OPEN_SCHEMA });
      if (!c.ok) throw c.error;
      return c.checked;
    }),
  );
}

/** Every call node's declaration, in tree order. */
function calls(v: unknown, out: unknown[] = [], seen = new Set<unknown>()): unknown[] {
  if (typeof v !== 'object' || v === null || seen.has(v)) return out;
  seen.add(v);
  const node = v as { kind?: string; fn?: unknown };
  if (node.kind === 'call') out.push(node.fn);
  for (const x of Array.isArray(v) ? v : Object.values(v)) calls(x, out, seen);
  return out;
}

describe('checked filters across a thread boundary', () => {
  it('come back equal to the originals, with the same function declarations', () => {
    const filters = filtersOf(QUERIES);
    // What the transfer is for: the IR itself does not survive a structured clone.
    expect(() => structuredClone(filters)).toThrow(/could not be cloned/);
    const back = importFilters(structuredClone(exportFilters(filters)));
    expect(back).toEqual(filters);
    const declared = calls(filters);
    expect(declared.length).toBeGreaterThanOrEqual(4);
    expect(calls(back)).toEqual(declared);
    for (const fn of calls(back)) expect(fn).toBe(lookupFunction((fn as { name: string }).name));
    // The export is a copy: the originals keep their declarations.
    expect(calls(filters).every((fn) => typeof (fn as { impl?: unknown }).impl === 'function')).toBe(true);
  });

  it('keeps a shared sub-tree shared', () => {
    const [filter] = filtersOf(['process where process.name == "nc"']);
    const pair = [filter!, filter!];
    const back = importFilters(structuredClone(exportFilters(pair)));
    expect(back[0]).toBe(back[1]);
    expect(back[0]).toEqual(filter);
  });

  it('clones without a copy inside withCallsByName, and leaves the originals as they were', () => {
    const filters = filtersOf(QUERIES);
    const shared = [...filters, filters[0]!]; // a sub-tree reached twice is swapped once
    const declared = calls(filters);
    const cloned = withCallsByName(shared, (t) => {
      expect(t.tree).toBe(shared);
      expect(t.calls).toHaveLength(declared.length);
      return structuredClone(t);
    });
    expect(calls(filters)).toEqual(declared);
    expect(calls(filters).every((fn) => typeof (fn as { impl?: unknown }).impl === 'function')).toBe(true);
    const back = importFilters(cloned);
    expect(back).toEqual(shared);
    expect(back[0]).toBe(back[filters.length]);
    // Put back even when the use throws.
    expect(() => withCallsByName(filters, () => { throw new Error('boom'); })).toThrow('boom');
    expect(calls(filters)).toEqual(declared);
  });

  it('refuses a declaration it does not know', () => {
    const call = { kind: 'call', fn: { $function: 'noSuchFunction' } };
    expect(() => importFilters({ tree: [call], calls: [call] })).toThrow(/unknown function noSuchFunction/);
    expect(() => importFilters([call] as never)).toThrow(/no list of its calls/);
  });

  it('puts declarations back through the list of calls alone, once each', () => {
    const filters = filtersOf(QUERIES);
    const sent = exportFilters(filters);
    expect(sent.calls).toHaveLength(calls(filters).length);
    const received = structuredClone(sent);
    const back = importFilters(received);
    expect(back).toEqual(filters);
    // Importing the same message again (a worker given the same config twice) changes nothing.
    expect(importFilters(received)).toEqual(filters);
  });

  it('handedOverFilters reads the hand-over without taking it, and needs every rule in it', () => {
    const query = QUERIES[0]!;
    const checked = checkRule(asSource(spec(query)), { schema: OPEN_SCHEMA });
    if (!checked.ok) throw checked.error;
    CheckHandOver.begin(OPEN_SCHEMA).set(CheckHandOver.key({ query }), checked.checked);
    expect(handedOverFilters([spec(query)], OPEN_SCHEMA)).toEqual(predicateFilters([checked.checked]));
    expect(handedOverFilters([spec(query), spec('process where true')], OPEN_SCHEMA)).toBeUndefined();
    expect(CheckHandOver.take(OPEN_SCHEMA, { query })).toBe(checked.checked);
  });
});

// Reference interpreter semantics: ES null logic, multi-valued fields, exact 64-bit numbers,
// code-point string order, ip/version/date comparisons, categories, null_value, join keys.
import { describe, expect, it } from 'vitest';
import { parseQuery } from '../src/shared/eql/parser.js';
import { checkQuery, type CheckOptions } from '../src/shared/eql/checker.js';
import { compileQuery } from '../src/shared/eql/compile.js';
import { getField } from '../src/shared/eql/field-access.js';
import { ECS_SCHEMA, OPEN_SCHEMA } from './helpers/eql-schema.js';

function compile(query: string, opts: Partial<CheckOptions> = {}) {
  return compileQuery(checkQuery(parseQuery(query), { schema: ECS_SCHEMA, source: query, ...opts }));
}

/** Whether `where` selects the process event `fields`. */
function selects(where: string, fields: Record<string, unknown>, opts: Partial<CheckOptions> = {}): boolean {
  const event = { event: { category: 'process' }, ...fields };
  return compile(`process where ${where}`, opts).steps[0]!.filter.test(event);
}

describe('null logic', () => {
  const none = {};
  const threeValued: Partial<CheckOptions> = { missingFields: 'null' };
  it('three-valued (missingFields "null", as Endgame): a comparison with a missing field is null, and so is its negation', () => {
    expect(selects('process.name == "a"', none, threeValued)).toBe(false);
    expect(selects('process.name != "a"', none, threeValued)).toBe(false);
    expect(selects('not (process.name == "a")', none, threeValued)).toBe(false);
    expect(selects('process.pid < 1 or process.pid >= 1', none, threeValued)).toBe(false);
  });
  it('three-valued: and / or are three-valued', () => {
    expect(selects('process.name == "a" or true', none, threeValued)).toBe(true);
    expect(selects('process.name == "a" and false', none, threeValued)).toBe(false);
    expect(selects('not (process.name == "a" and false)', none, threeValued)).toBe(true);
    expect(selects('not (process.name == "a" or false)', none, threeValued)).toBe(false);
  });
  it('three-valued: in with a null in the list is null on a miss', () => {
    expect(selects('process.name not in ("a", null)', { process: { name: 'b' } }, threeValued)).toBe(false);
    expect(selects('process.name in ("b", null)', { process: { name: 'b' } }, threeValued)).toBe(true);
  });
  it('Elasticsearch (default): a negated query on a missing field matches; the positive one does not', () => {
    expect(selects('process.name == "a"', none)).toBe(false);
    expect(selects('process.name != "a"', none)).toBe(true);
    expect(selects('not (process.name == "a")', none)).toBe(true);
    expect(selects('process.pid < 1 or process.pid >= 1', none)).toBe(false);
    expect(selects('not (process.pid < 1)', none)).toBe(true);
  });
  it('Elasticsearch: a bool query is two-valued, so not (missing or false) matches', () => {
    expect(selects('process.name == "a" or true', none)).toBe(true);
    expect(selects('not (process.name == "a" and false)', none)).toBe(true);
    expect(selects('not (process.name == "a" or false)', none)).toBe(true);
  });
  it('Elasticsearch: a null in an in-list is dropped from the terms query', () => {
    expect(selects('process.name not in ("a", null)', { process: { name: 'b' } })).toBe(true);
    expect(selects('process.name in ("b", null)', { process: { name: 'b' } })).toBe(true);
  });
  it('== null / != null test for a value', () => {
    expect(selects('process.name == null', none)).toBe(true);
    expect(selects('process.name != null', { process: { name: 'x' } })).toBe(true);
    expect(selects('process.name == null', { process: { name: null } })).toBe(true);
    expect(selects('process.args == null', { process: { args: [] } })).toBe(true);
  });
  it('a mapping null_value replaces explicit nulls only', () => {
    expect(selects('file.size == -1', { file: { size: null } })).toBe(true);
    expect(selects('file.size == -1', {})).toBe(false);
  });
});

describe('multi-valued fields', () => {
  const ev = { process: { args: ['-c', 'curl http://x', 'EXTRA'] } };
  it('a comparison is true when any element matches; != when none equals', () => {
    expect(selects('process.args == "-c"', ev)).toBe(true);
    expect(selects('process.args != "-c"', ev)).toBe(false);
    expect(selects('process.args != "-x"', ev)).toBe(true);
    expect(selects('process.args > "curl"', ev)).toBe(true);
  });
  it('in, :, like, regex and functions try every element', () => {
    expect(selects('process.args in ("EXTRA")', ev)).toBe(true);
    expect(selects('process.args not in ("EXTRA")', ev)).toBe(false);
    expect(selects('process.args : "extra"', ev)).toBe(true);
    expect(selects('process.args like "curl *"', ev)).toBe(true);
    expect(selects('process.args regex "-[a-z]"', ev)).toBe(true);
    expect(selects('startsWith(process.args, "curl")', ev)).toBe(true);
    expect(selects('length(process.args) == 5', ev)).toBe(true);
    expect(selects('length(process.args) > 100', ev)).toBe(false);
  });
  it('an array of objects yields the sub-field of each', () => {
    const nested = { a: [{ b: 1 }, { b: [2, 3] }, { c: 4 }] };
    expect(getField(nested, ['a', 'b'])).toEqual([1, 2, 3]);
    expect(getField(nested, ['a', 'x'])).toBeUndefined();
    expect(getField({ a: null }, ['a'])).toBeNull();
    expect(getField({ a: null }, ['a', 'b'])).toBeUndefined();
  });
});

describe('numbers', () => {
  it('keeps 64-bit integers exact and compares mixed int/double mathematically', () => {
    const big = { process: { pid: 9007199254740993n } };
    expect(selects('process.pid == 9007199254740993', big)).toBe(true);
    expect(selects('process.pid == 9007199254740992', big)).toBe(false);
    expect(selects('process.pid > 9007199254740992.0', big)).toBe(true);
    expect(selects('process.pid == 9223372036854775807', { process: { pid: 9223372036854775807n } })).toBe(true);
    expect(selects('process.pid == 3.0', { process: { pid: 3 } })).toBe(true);
    expect(selects('process.pid < 2.5', { process: { pid: 2 } })).toBe(true);
  });
  it('divides integers with truncation and doubles exactly', () => {
    expect(selects('process.pid / 2 == 1', { process: { pid: 3 } })).toBe(true);
    expect(selects('process.pid / 2.0 == 1.5', { process: { pid: 3 } })).toBe(true);
    expect(selects('-7 / process.pid == -3', { process: { pid: 2 } })).toBe(true);
    expect(selects('-7 % process.pid == -1', { process: { pid: 2 } })).toBe(true);
  });
  it('makes overflow and integer division by zero null for that event', () => {
    const max = { process: { pid: 9223372036854775807n } };
    expect(selects('process.pid + 1 > 0', max)).toBe(false);
    expect(selects('not (process.pid + 1 > 0)', max)).toBe(false);
    expect(selects('10 / process.pid == 0', { process: { pid: 0 } })).toBe(false);
    expect(selects('number(process.name) == 1', { process: { name: 'abc' } })).toBe(false);
  });
});

describe('strings', () => {
  it('== is case-sensitive, : and ~ forms are not', () => {
    const ev = { process: { name: 'CMD.exe' } };
    expect(selects('process.name == "cmd.exe"', ev)).toBe(false);
    expect(selects('process.name : "cmd.exe"', ev)).toBe(true);
    expect(selects('process.name in~ ("cmd.EXE")', ev)).toBe(true);
    expect(selects('process.name like "cmd*"', ev)).toBe(false);
    expect(selects('process.name like~ "cmd*"', ev)).toBe(true);
    expect(selects('process.name : "ÉCOLE"', { process: { name: 'école' } })).toBe(true);
  });
  it('orders by code point (UTF-8 byte order), not UTF-16 units', () => {
    // U+1F600 is a surrogate pair (0xD83D …) in UTF-16 but sorts after U+FFFD by code point.
    expect(selects('process.name > "\uFFFD"', { process: { name: '\u{1F600}' } })).toBe(true);
    expect(selects('process.name < "\uFFFD"', { process: { name: '\u{1F600}' } })).toBe(false);
  });
});

describe('ip, version and date fields', () => {
  it('compares addresses, not text', () => {
    expect(selects('destination.ip == "10.0.0.1"', { destination: { ip: '::ffff:10.0.0.1' } })).toBe(true);
    expect(selects('destination.ip < "10.0.0.10"', { destination: { ip: '10.0.0.9' } })).toBe(true);
    expect(selects('cidrMatch(destination.ip, "10.0.0.0/8")', { destination: { ip: ['192.168.0.1', '10.2.3.4'] } })).toBe(true);
    expect(selects('cidrMatch(destination.ip, "10.0.0.0/8")', { destination: { ip: 'not an ip' } })).toBe(false);
  });
  it('orders versions semantically and dates by instant', () => {
    expect(selects('package.version >= "1.10.0"', { package: { version: '1.9.0' } })).toBe(false);
    expect(selects('package.version >= "1.10.0"', { package: { version: '1.10.1' } })).toBe(true);
    expect(selects('event.ingested > "2024-01-01T00:00:00Z"', { event: { category: 'process', ingested: '2024-01-01T00:00:01+00:00' } })).toBe(true);
  });
});

describe('categories and compiled queries', () => {
  it('matches the category exactly, any element of an array category, and `any` everything', () => {
    const filter = compile('process where true').steps[0]!.filter;
    expect(filter.category).toBe('process');
    expect(filter.test({ event: { category: 'process' } })).toBe(true);
    expect(filter.test({ event: { category: 'Process' } })).toBe(false);
    expect(filter.test({ event: { category: ['network', 'process'] } })).toBe(true);
    expect(compile('any where true').steps[0]!.filter.test({})).toBe(true);
    const custom = compile('process where true', { schema: OPEN_SCHEMA, categoryField: 'event_type' }).steps[0]!.filter;
    expect(custom.test({ event_type: 'process' })).toBe(true);
  });

  it('extracts join keys per step: shared first, arrays expanded, null as []', () => {
    const q = compile(`sequence by host.name with maxspan=5s
      [process where true] by process.entity_id
      [process where true] by ?process.parent.entity_id with runs=2`);
    expect(q).toMatchObject({ kind: 'sequence', maxspanMs: 5000, keyCount: 2, pipes: [] });
    expect(q.steps.map((s) => [s.runs, s.missing, s.keyNullable])).toEqual([
      [1, false, [false, false]],
      [2, false, [false, true]],
    ]);
    const ev = { host: { name: ['a', 'b', null] }, process: { entity_id: 'p1' } };
    expect(q.steps[0]!.keys(ev)).toEqual([['a', 'b'], ['p1']]);
    expect(q.steps[1]!.keys(ev)).toEqual([['a', 'b'], []]);
  });

  it('plugs in another field accessor', () => {
    const checked = checkQuery(parseQuery('process where process.name == "x"'), { schema: ECS_SCHEMA });
    const seen: string[] = [];
    const q = compileQuery(checked, {
      accessor: (f) => {
        seen.push(f.path);
        return () => (f.path === 'event.category' ? 'process' : 'x');
      },
    });
    expect(q.steps[0]!.filter.test(null)).toBe(true);
    expect(seen.sort()).toEqual(['event.category', 'process.name']);
  });
});

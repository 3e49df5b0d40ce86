// Checker errors: exact messages, error classes and the exact source text each error points at.
import { describe, expect, it } from 'vitest';
import { parseQuery } from '../src/shared/eql/parser.js';
import { checkQuery, type CheckOptions } from '../src/shared/eql/checker.js';
import { EqlSemanticError, EqlTypeError, KestrelError, LimitError, SchemaError } from '../src/shared/errors.js';
import { ECS_SCHEMA, OPEN_SCHEMA } from './helpers/eql-schema.js';

function rejection(query: string, opts: Partial<CheckOptions> = {}): { error: KestrelError; at: string } {
  try {
    checkQuery(parseQuery(query), { schema: ECS_SCHEMA, source: query, ...opts });
  } catch (e) {
    if (!(e instanceof KestrelError)) throw e;
    expect(e.span, `no span on: ${e.message}`).toBeDefined();
    return { error: e, at: query.slice(e.span!.start, e.span!.end) };
  }
  throw new Error(`accepted: ${query}`);
}

type Row = [query: string, cls: new (...a: never[]) => KestrelError, message: string, at: string];

const P = 'process where ';
const rows: Row[] = [
  // fields
  [`${P}process.nmae == "x"`, SchemaError, 'Unknown column [process.nmae], did you mean [process.name]?', 'process.nmae'],
  [`${P}zzz_unrelated_thing == "x"`, SchemaError, 'Unknown column [zzz_unrelated_thing]', 'zzz_unrelated_thing'],
  // comparisons
  [`${P}process.name == 1`, EqlTypeError, 'first argument of [process.name == 1] is [keyword] so second argument must also be [keyword] but was [integer]', 'process.name == 1'],
  [`${P}process.pid == "1"`, EqlTypeError, 'first argument of [process.pid == "1"] is [numeric] so second argument must also be [numeric] but was [keyword]', 'process.pid == "1"'],
  [`${P}process.name == process.parent.name`, EqlSemanticError, 'Comparisons against fields are not (currently) supported; offender [process.parent.name] in [==]', 'process.parent.name'],
  [`${P}destination.ip == "10.0.0.300"`, EqlTypeError, '["10.0.0.300"] is not a valid IP address', '"10.0.0.300"'],
  [`${P}process.parent < 3`, EqlTypeError, 'first argument of [process.parent < 3] is [object] so second argument must also be [object] but was [integer]', 'process.parent < 3'],
  // in
  [`${P}process.name in ("a", process.parent.name)`, EqlSemanticError, 'Comparisons against fields are not (currently) supported; offender [process.parent.name] in [process.name in ("a", process.parent.name)]', 'process.parent.name'],
  [`${P}process.name in ("a", 2)`, EqlTypeError, 'third argument of [process.name in ("a", 2)] must be [keyword], found value [2] type [integer]', '2'],
  // match
  [`${P}process.pid : "1*"`, EqlTypeError, 'first argument of [process.pid : "1*"] must be [string], found value [process.pid] type [long]', 'process.pid'],
  [`${P}process.name like~ process.parent.name`, EqlSemanticError, 'Comparisons against fields are not (currently) supported; offender [process.parent.name] in [process.name like~ process.parent.name]', 'process.parent.name'],
  [`${P}process.name : ("a*", 5)`, EqlTypeError, 'third argument of [process.name : ("a*", 5)] must be [string], found value [5] type [integer]', '5'],
  [`${P}process.name regex "a(b"`, EqlSemanticError, '', '"a(b"'],
  // boolean positions and arithmetic
  [`${P}process.name`, EqlTypeError, 'Condition expression needs to be boolean, found [keyword]', 'process.name'],
  [`${P}not process.pid`, EqlTypeError, 'argument of [not process.pid] must be [boolean], found value [process.pid] type [long]', 'process.pid'],
  [`${P}true and process.name`, EqlTypeError, 'second argument of [true and process.name] must be [boolean], found value [process.name] type [keyword]', 'process.name'],
  [`${P}process.name + 1 == 2`, EqlTypeError, 'first argument of [process.name + 1] must be [numeric], found value [process.name] type [keyword]', 'process.name'],
  [`${P}process.pid / 0 == 1 and 5 / 0 == 1`, EqlSemanticError, '/ by zero', '5 / 0'],
  [`${P}9223372036854775807 + 1 == process.pid`, EqlSemanticError, 'long overflow', '9223372036854775807 + 1'],
  // functions
  [`${P}startswith(process.name)`, EqlSemanticError, 'error building [startswith]: expects exactly two arguments', 'startswith(process.name)'],
  [`${P}between(process.name, "a")`, EqlSemanticError, 'error building [between]: expects three or four arguments', 'between(process.name, "a")'],
  [`${P}concat() == "a"`, EqlSemanticError, 'error building [concat]: expects at least one argument', 'concat()'],
  [`${P}startsWith(1, "FOO")`, EqlTypeError, 'first argument of [startsWith(1, "FOO")] must be [string], found value [1] type [integer]', '1'],
  [`${P}length(process.pid) == 1`, EqlTypeError, 'argument of [length(process.pid)] must be [string], found value [process.pid] type [long]', 'process.pid'],
  [`${P}strtswith(process.name, "a")`, EqlSemanticError, 'Unknown function [strtswith], did you mean [startsWith]?', 'strtswith'],
  [`${P}length~(process.name) == 1`, EqlSemanticError, 'Function [length] does not support case-insensitive matching', 'length~'],
  [`${P}cidrMatch(destination.ip, "10.0.0.0/33")`, EqlSemanticError, 'invalid CIDR block "10.0.0.0/33": prefix length 33 is out of range (0-32 for IPv4, 0-128 for IPv6)', '"10.0.0.0/33"'],
  [`${P}cidrMatch(destination.ip, process.name)`, EqlSemanticError, 'second argument of [cidrMatch(destination.ip, process.name)] must be a constant, received [process.name]', 'process.name'],
  [`${P}number("abc") == 1`, EqlSemanticError, 'Unable to convert [abc] to number of base [10]', 'number("abc")'],
  // sequences
  ['sequence [process where true]', EqlSemanticError, 'A sequence requires a minimum of 2 queries, found [1]', 'sequence [process where true]'],
  ['sequence [process where true] by process.pid [process where true]', EqlSemanticError, 'Inconsistent number of join keys specified; expected [1] but found [0]', '[process where true]'],
  ['sequence [process where true] by process.pid [process where true] by process.name', EqlTypeError, 'sequence key [process.name] type [keyword] is incompatible with key [process.pid] type [long]', 'process.name'],
  ['sequence with maxspan=10 [process where true] [process where true]', EqlSemanticError, 'No time unit specified, did you mean [s] as in [10s]?', 'with maxspan=10'],
  ['sequence with maxspan=10w [process where true] [process where true]', EqlSemanticError, 'Unrecognized time unit [w] in [10w], please specify one of [ms, s, m, h, d]', 'with maxspan=10w'],
  ['sequence with maxspan=0s [process where true] [process where true]', EqlSemanticError, 'A positive maxspan value is required; found [0]', 'with maxspan=0s'],
  ['sequence [process where true] with runs=0 [process where true]', EqlSemanticError, 'A positive runs value is required; found [0]', 'with runs=0'],
  ['sequence [process where true] with runs=101 [process where true]', EqlSemanticError, 'A query cannot be repeated more than 100 times; found [101]', 'with runs=101'],
  ['sequence [process where true] with foo=2 [process where true]', EqlSemanticError, 'Unrecognized parameter [foo], expected [runs]', 'foo'],
  ['sequence with maxspan=1m ![process where true] ![process where true]', EqlSemanticError, 'A sequence requires at least one positive event query; found none', 'sequence with maxspan=1m ![process where true] ![process where true]'],
  ['sequence [process where true] ![process where true]', EqlSemanticError, 'A sequence with missing events requires [with maxspan]', '![process where true]'],
  ['sequence by process.pid [process where true] [process where true] until [process where true] by process.name', EqlSemanticError, 'Inconsistent number of join keys specified; expected [0] but found [1]', 'process.name'],
  // samples, joins, pipes
  ['sample by host.name [process where true]', EqlSemanticError, 'A sample requires a minimum of 2 queries, found [1]', 'sample by host.name [process where true]'],
  ['sample by host.name [process where true] [process where true] with runs=2', EqlSemanticError, '[with runs] is not supported in samples', 'with runs=2'],
  ['join [process where true] [process where true]', EqlSemanticError, 'join queries are not supported in the Elasticsearch EQL dialect', 'join [process where true] [process where true]'],
  [`${P}true | head 1, 2`, EqlSemanticError, 'Pipe [head] expects exactly one argument but found [2]', '| head 1, 2'],
  [`${P}true | tail -1`, EqlSemanticError, 'Pipe [tail] expects a positive integer but found [-1]', '-1'],
  [`${P}true | head 1.5`, EqlSemanticError, 'Pipe [head] expects a positive integer but found [1.5]', '1.5'],
  [`${P}true | sort process.name`, EqlSemanticError, 'Pipe [sort] is not supported', 'sort'],
  [`${P}true | haed 3`, EqlSemanticError, 'Unrecognized pipe [haed], did you mean [head]?', 'haed'],
];

describe('checker errors', () => {
  for (const [query, cls, message, at] of rows) {
    it(query, () => {
      const { error, at: actualAt } = rejection(query);
      expect(error).toBeInstanceOf(cls);
      if (message !== '') expect(error.message).toBe(message);
      expect(actualAt).toBe(at);
    });
  }

  it('explains the ?field escape hatch for unknown fields', () => {
    expect(rejection(`${P}user.nmae == "x"`).error.hint).toBe('use ?user.nmae to allow a field the schema does not know');
  });

  it('reports regex problems with the pattern span and the regex code', () => {
    const { error } = rejection(`${P}process.name regex "a{1000}{1000}"`);
    expect(error).toBeInstanceOf(LimitError);
    expect(error.code).toBe('eql.regex.too_complex');
  });

  it('needs the category field in a strict schema unless the query is `any`', () => {
    expect(rejection(`${P}true`, { categoryField: 'nope' }).error.message).toBe('Unknown column [nope] (the event category field)');
    expect(() => checkQuery(parseQuery('any where true'), { schema: ECS_SCHEMA, categoryField: 'nope' })).not.toThrow();
  });
});

describe('checker results', () => {
  const check = (q: string, opts: Partial<CheckOptions> = {}) => checkQuery(parseQuery(q), { schema: ECS_SCHEMA, source: q, ...opts });

  it('resolves aliases to their target and keeps the written name', () => {
    const where = check('process where pname == "bash"').steps[0]!.filter.where;
    expect(where.kind).toBe('compare');
    if (where.kind !== 'compare') return;
    expect(where.left).toMatchObject({ kind: 'field', path: 'process.name', written: 'pname', segments: ['process', 'name'] });
    expect(check('process where true', { categoryField: 'event_type' }).steps[0]!.filter.categoryField.path).toBe('event.category');
  });

  it('turns an unknown ?field into null in a strict schema and keeps it in an open one', () => {
    const strict = check('process where ?nope == "x"').steps[0]!.filter.where;
    expect(strict).toMatchObject({ kind: 'const', value: false });
    const open = check('process where ?nope == "x"', { schema: OPEN_SCHEMA }).steps[0]!.filter.where;
    expect(open).toMatchObject({ kind: 'compare', left: { kind: 'field', type: 'any', optional: true } });
  });

  it('folds constant subtrees and binds function calls', () => {
    const where = check('process where process.pid == 2 * 3 + length("abc") and startsWith~(process.name, "BA")').steps[0]!.filter.where;
    expect(where).toMatchObject({
      kind: 'logical',
      operands: [
        { kind: 'compare', right: { kind: 'const', value: 9, type: 'long' } },
        { kind: 'call', fn: { name: 'startsWith' }, insensitive: true, type: 'boolean' },
      ],
    });
  });

  it('accepts fields compared with null, with each other under ?field in open schemas, and ip/version/date constants', () => {
    for (const q of [
      'process where process.name != null and null == process.pid',
      'process where destination.ip == "10.1.2.3" and package.version >= "1.2.0" and event.ingested > "2024-01-01T00:00:00Z"',
      'network where cidrmatch(destination.ip, "10.0.0.0/8", "::1")',
      'process where process.pid in (1, 2.5, null) and process.name in~ ("BASH", "sh")',
    ]) {
      expect(() => check(q)).not.toThrow();
    }
  });

  it('builds sequences with shared and per-step keys, runs, missing steps and maxspan', () => {
    const q = check(`sequence by host.name with maxspan=2m
      [process where true] by process.pid with runs=3
      ![process where true] by ?process.parent.pid
      [process where true] by process.parent.pid
      until [process where true] by process.pid
      | tail 2`);
    expect(q.kind).toBe('sequence');
    expect(q.maxspanMs).toBe(120_000);
    expect(q.keyCount).toBe(2);
    expect(q.steps.map((s) => [s.runs, s.missing, s.keyNullable])).toEqual([
      [3, false, [false, false]],
      [1, true, [false, true]],
      [1, false, [false, false]],
    ]);
    expect(q.until?.keys.length).toBe(2);
    expect(q.pipes).toMatchObject([{ name: 'tail', count: 2 }]);
  });

  it('counts runs towards the two-query minimum', () => {
    expect(check('sequence [process where true] with runs=2').steps[0]!.runs).toBe(2);
  });
});

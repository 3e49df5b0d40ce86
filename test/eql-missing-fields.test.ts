// Elasticsearch's semantics for fields an event lacks (es-semantics.ts), checked three ways:
// 1. a table of cases per operator, each on the interpreter and the Wasm back end, under the
//    default (Elasticsearch) semantics and under three-valued ('null') semantics;
// 2. the rules that motivated it (issue #17): Elastic's exclusions by a sometimes-absent field;
// 3. differential: generated where-clauses and events, the interpreter against an independent
//    model of ES's planner (test/helpers/es-query-oracle.ts: Query DSL translation, then Lucene
//    matching), and the Wasm back end against the interpreter.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseQuery } from '../src/shared/eql/parser.js';
import { checkQuery } from '../src/shared/eql/checker.js';
import { compileFilter } from '../src/shared/eql/compile.js';
import { jsonFieldAccessor } from '../src/shared/eql/field-access.js';
import type { CheckedFilter } from '../src/shared/eql/ir.js';
import type { MissingFieldSemantics } from '../src/shared/eql/es-semantics.js';
import { WasmPredicateSet } from '../src/shared/eql/codegen/evaluator.js';
import { esMatches, toEsQuery } from './helpers/es-query-oracle.js';
import { event, expr, layout, schema } from './helpers/eql-arbitraries.js';
import { packRecords } from './helpers/records.js';

function filterOf(where: string, missingFields: MissingFieldSemantics): CheckedFilter {
  const text = `any where ${where}`;
  return checkQuery(parseQuery(text), { schema, source: text, missingFields }).steps[0]!.filter;
}

/** The clause checked under both semantics, or null when the checker rejects it. */
function bothSemantics(where: string): { es: CheckedFilter; raw: CheckedFilter } | null {
  try {
    return { es: filterOf(where, 'elasticsearch'), raw: filterOf(where, 'null') };
  } catch {
    return null;
  }
}

/** [interpreter, wasm] verdicts of `where` on each event. */
async function verdicts(where: string, events: object[], missingFields: MissingFieldSemantics): Promise<boolean[][]> {
  const filter = filterOf(where, missingFields);
  const interp = events.map((e) => compileFilter(filter, jsonFieldAccessor).test(e));
  const set = await WasmPredicateSet.create({ filters: [filter] }, layout);
  const { bytes, offsets } = packRecords(layout, events);
  set.evaluateBatch(bytes, offsets, offsets.length);
  const wasm = offsets.map((_o, r) => set.matches(r, 0));
  return [interp, wasm];
}

const MISSING = {};
const NULL = { k: null, n: null, ip: null };
const OTHER = { k: 'zsh', n: 7, ip: '192.168.1.1' };
const SAME = { k: 'bash', n: 3, ip: '10.1.2.3' };
const EVENTS = [MISSING, NULL, OTHER, SAME];

// where → expected verdicts on [missing, explicit null, other value, matching value], under
// Elasticsearch semantics and under three-valued semantics.
const TABLE: Array<{ where: string; es: boolean[]; nullSem: boolean[]; why: string }> = [
  { where: 'k == "bash"', es: [false, false, false, true], nullSem: [false, false, false, true], why: 'term query' },
  { where: 'k != "bash"', es: [true, true, true, false], nullSem: [false, false, true, false], why: '!= is must_not(term)' },
  { where: 'not k == "bash"', es: [true, true, true, false], nullSem: [false, false, true, false], why: 'not of a term query' },
  { where: 'k in ("bash", "sh")', es: [false, false, false, true], nullSem: [false, false, false, true], why: 'terms query' },
  { where: 'k not in ("bash", "sh")', es: [true, true, true, false], nullSem: [false, false, true, false], why: 'must_not(terms)' },
  { where: 'not (k in ("bash", "sh"))', es: [true, true, true, false], nullSem: [false, false, true, false], why: 'not of a terms query' },
  { where: 'k : "ba*"', es: [false, false, false, true], nullSem: [false, false, false, true], why: 'wildcard query' },
  { where: 'not k : "ba*"', es: [true, true, true, false], nullSem: [false, false, true, false], why: 'must_not(wildcard)' },
  { where: 'k like "ba*"', es: [false, false, false, true], nullSem: [false, false, false, true], why: 'wildcard query' },
  { where: 'not k like "ba*"', es: [true, true, true, false], nullSem: [false, false, true, false], why: 'must_not(wildcard)' },
  { where: 'not k regex "ba.*"', es: [true, true, true, false], nullSem: [false, false, true, false], why: 'must_not(regexp)' },
  { where: 'not startsWith(k, "ba")', es: [true, true, true, false], nullSem: [false, false, true, false], why: 'must_not(prefix)' },
  { where: 'not endsWith~(k, "SH")', es: [true, true, false, false], nullSem: [false, false, false, false], why: 'must_not(wildcard *x)' },
  { where: 'startsWith(k, "ba") == false', es: [true, true, true, false], nullSem: [false, false, true, false], why: 'f == false is not f (ES BooleanFunctionEqualsElimination)' },
  { where: 'not cidrMatch(ip, "10.0.0.0/8")', es: [true, true, true, false], nullSem: [false, false, true, false], why: 'must_not(terms on an ip field)' },
  { where: 'not n < 5', es: [true, true, true, false], nullSem: [false, false, true, false], why: 'must_not(range); ES keeps not (x < 5) as written' },
  { where: 'n >= 5', es: [false, false, true, false], nullSem: [false, false, true, false], why: 'range query' },
  { where: 'not length(k) > 3', es: [false, false, true, false], nullSem: [false, false, true, false], why: 'a negated script stays three-valued' },
  { where: 'not k : "ba*" and not n < 5', es: [true, true, true, false], nullSem: [false, false, true, false], why: 'bool of must_nots' },
  { where: 'not (k == "bash" and length(k) > 3)', es: [true, true, true, false], nullSem: [false, false, true, false], why: 'must_not of a bool that holds a script: the script is a non-hit' },
  { where: 'not (k == "bash" or n < 5)', es: [true, true, true, false], nullSem: [false, false, true, false], why: 'must_not(bool should)' },
  { where: 'k == null', es: [true, true, false, false], nullSem: [true, true, false, false], why: 'exists is two-valued already' },
  { where: 'not k != "bash"', es: [false, false, false, true], nullSem: [false, false, false, true], why: 'must_not(must_not(term))' },
];

describe('missing fields: Elasticsearch semantics, per operator, interpreter and Wasm', () => {
  for (const c of TABLE) {
    it(`${c.where}  (${c.why})`, async () => {
      const [interp, wasm] = await verdicts(c.where, EVENTS, 'elasticsearch');
      expect(interp, 'interpreter, elasticsearch').toEqual(c.es);
      expect(wasm, 'wasm, elasticsearch').toEqual(c.es);
      const [interpNull, wasmNull] = await verdicts(c.where, EVENTS, 'null');
      expect(interpNull, 'interpreter, three-valued').toEqual(c.nullSem);
      expect(wasmNull, 'wasm, three-valued').toEqual(c.nullSem);
    });
  }

  it('a multi-valued field: != and not in hold only when no element matches', async () => {
    const events = [{ m: ['bash', 'sh'] }, { m: ['zsh'] }, { m: [] }];
    const [interp, wasm] = await verdicts('m != "bash"', events, 'elasticsearch');
    expect(interp).toEqual([false, true, true]);
    expect(wasm).toEqual(interp);
    const [interpIn, wasmIn] = await verdicts('m not in ("sh")', events, 'elasticsearch');
    expect(interpIn).toEqual([false, true, true]);
    expect(wasmIn).toEqual(interpIn);
  });
});

describe('the Elastic exclusions that never fired under three-valued logic', () => {
  it('file where not (file.extension in ("swp")) selects a file without an extension', async () => {
    const events = [{ file: { name: 'x' } }, { file: { extension: 'swp' } }, { file: { extension: 'sh' } }];
    const filter = (m: MissingFieldSemantics) => filterOf('not (file.extension in ("swp"))', m);
    // file.extension is not in the arbitraries' schema, which is non-strict: it reads as a field.
    expect(events.map((e) => compileFilter(filter('elasticsearch'), jsonFieldAccessor).test(e))).toEqual([true, false, true]);
    expect(events.map((e) => compileFilter(filter('null'), jsonFieldAccessor).test(e))).toEqual([false, false, true]);
  });
  it('SUID enumeration: not (user.Ext.real.id == "0") selects an event without the real id', () => {
    const f = filterOf('process.name == "find" and not (user.Ext.real.id == "0")', 'elasticsearch');
    const test = compileFilter(f, jsonFieldAccessor).test;
    expect(test({ process: { name: 'find' } })).toBe(true);
    expect(test({ process: { name: 'find' }, user: { Ext: { real: { id: '0' } } } })).toBe(false);
    expect(test({ process: { name: 'find' }, user: { Ext: { real: { id: '1000' } } } })).toBe(true);
  });
});

describe('differential: generated where-clauses and events', () => {
  it('the interpreter selects exactly what the model of ES planning selects', () => {
    let compared = 0;
    fc.assert(
      fc.property(expr, fc.array(event, { minLength: 1, maxLength: 8 }), (where, events) => {
        const both = bothSemantics(where);
        if (!both) return; // a generated clause the checker rejects (types): nothing to compare
        const { es, raw } = both;
        const test = compileFilter(es, jsonFieldAccessor).test;
        const model = toEsQuery(raw.where);
        for (const ev of events) {
          compared++;
          const want = esMatches(model, ev);
          if (test(ev) !== want) throw new Error(`${where} on ${JSON.stringify(ev, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))}: kestrel ${!want}, ES model ${want}`);
        }
      }),
      { numRuns: Number(process.env.KESTREL_PROPERTY_RUNS ?? 400) },
    );
    expect(compared).toBeGreaterThan(500);
  });

  it('the two semantics differ on generated input (the comparison above is not vacuous)', () => {
    let differ = 0;
    fc.assert(
      fc.property(expr, fc.array(event, { minLength: 1, maxLength: 8 }), (where, events) => {
        const both = bothSemantics(where);
        if (!both) return;
        const { es, raw } = both;
        const a = compileFilter(es, jsonFieldAccessor).test;
        const b = compileFilter(raw, jsonFieldAccessor).test;
        for (const ev of events) if (a(ev) !== b(ev)) differ++;
      }),
      { numRuns: 200, seed: 17 },
    );
    expect(differ).toBeGreaterThan(20);
  });
});

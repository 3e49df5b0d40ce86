// ES's function suite (test_string_functions.toml) through the real query path, `executeQuery`,
// on both predicate engines (interpreter and Wasm). test/eql-functions.test.ts checks the
// constant folder alone; this file checks what a query selects, with the function's arguments:
//   folded        as written (all constants: the checker folds the call),
//   lift-first    the first string literal read from an event field instead,
//   lift-strings  every string literal read from fields,
//   lift-all      every literal that may be a field (strings, numbers, booleans, nulls) read from fields,
//   lift-missing  as lift-all, but a null argument reads a field the event lacks (records tell
//                 missing from null, so the Wasm back end meets both),
// so the lifted forms run the function at run time (interpreter, Wasm natively or through its host
// helper). Each form is asked several yes/no questions ("probes") whose answers follow from the
// expected value and ES's null rules (below); each probe is one event of one query per form, so
// the whole suite is a handful of query runs. The test fails on any answer that differs from ES
// and is not listed in string-functions-known-differences.json, on a stale entry there, and on
// any difference between the engines. Verifier failures (type errors by design) must be rejected
// by the checker, identically on both engines.
//
// ES's null rules used by the probes: `x == null` / `x != null` are null checks (ES's optimizer
// rewrites them to IsNull / not IsNull), so they are true or false, never null; any other comparison
// with a null operand is null, a where clause that is null selects nothing, and `not null` is null.
// One quirk: that rewrite (ReplaceNullChecks) runs before constant folding and takes any operand
// that *folds* to null for the null literal, so with a constant call that folds to null,
// `E == "x"` is `"x" == null` (false) and `E != "x"` is `"x" != null` (true).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { parse as parseToml } from 'smol-toml';
import { describe, expect, it } from 'vitest';
import type * as A from '../../src/shared/eql/ast.js';
import type { PredicateEngine } from '../../src/shared/eql/codegen/ruleset.js';
import { lookupFunction, type ParamType } from '../../src/shared/eql/functions.js';
import { parseExpression } from '../../src/shared/eql/parser.js';
import { renderExpr, renderString } from '../../src/shared/eql/render.js';
import { EqlSemanticError, EqlTypeError } from '../../src/shared/errors.js';
import { readPath } from '../../src/shared/input/field-path.js';
import { DEFAULT_QUERY_OPTIONS, executeQuery } from '../../src/shared/query/execute.js';
import type { QueryPredicateCounters } from '../../src/shared/query/wasm-filters.js';
import { CONFORMANCE } from '../helpers/shared.js';

const FILE = 'test_string_functions.toml';
const ENGINES: PredicateEngine[] = ['interp', 'wasm'];

type Expected = string | number | boolean | null;
type ResultType = 'string' | 'number' | 'boolean';

interface FoldCase {
  /** `section.fold[i]`, numbered as in test/eql-functions.test.ts. */
  name: string;
  call: A.CallExpr;
  expected: Expected;
}

interface FailureCase {
  name: string;
  call: A.CallExpr;
}

interface KnownDifference {
  name: string;
  reason: string;
}

// ── the suite ──

type Section = { fold?: { tests?: TomlCase[] }; tests?: TomlCase[]; verifier?: { failures?: TomlCase[] } };
type TomlCase = { expression: string; expected?: Expected };

function parseCall(expression: string): A.CallExpr {
  const e = parseExpression(expression);
  if (e.kind !== 'call') throw new Error(`${expression}: not a function call`);
  return e;
}

const doc = parseToml(readFileSync(path.join(CONFORMANCE, FILE), 'utf8')) as unknown as Record<string, Section>;
const folds: FoldCase[] = [];
const failures: FailureCase[] = [];
for (const [section, body] of Object.entries(doc)) {
  [...(body.fold?.tests ?? []), ...(body.tests ?? [])].forEach((c, i) =>
    folds.push({ name: `${section}.fold[${i}]`, call: parseCall(c.expression), expected: c.expected ?? null }),
  );
  (body.verifier?.failures ?? []).forEach((c, i) => failures.push({ name: `${section}.verifier[${i}]`, call: parseCall(c.expression) }));
}

const known: KnownDifference[] = JSON.parse(readFileSync(path.join(import.meta.dirname, 'string-functions-known-differences.json'), 'utf8'));

/** What each function returns, from ES's documentation (needed to probe a null result with a typed value). */
const RESULT_TYPES: Record<string, ResultType> = {
  between: 'string', concat: 'string', string: 'string', substring: 'string',
  indexof: 'number', length: 'number', number: 'number',
  startswith: 'boolean', endswith: 'boolean',
};

// ── argument placements ──

type Placement = 'folded' | 'lift-first' | 'lift-strings' | 'lift-all' | 'lift-missing';
const PLACEMENTS: Placement[] = ['folded', 'lift-first', 'lift-strings', 'lift-all', 'lift-missing'];

interface Placed {
  /** The call as EQL text. */
  text: string;
  /** Event fields the lifted arguments are read from. */
  fields: Record<string, unknown>;
  /** Some argument reads a field (the call is not constant). */
  lifted: boolean;
}

/**
 * Field for a lifted literal. Names carry the JSON kind so every field has one type over all
 * events (a long and a double in one field would make it a double, and string(1) would say "1.0");
 * a null goes to the field of its parameter's type, typed by the other events that fill it.
 */
function fieldFor(lit: A.LiteralExpr, param: ParamType | undefined, position: number): string {
  const kind = lit.type === 'null' ? (param === 'integer' || param === 'numeric' ? 'long' : param === 'boolean' ? 'boolean' : 'string') : lit.type;
  return `${kind}${position}`;
}

function lifts(placement: Placement, call: A.CallExpr): boolean[] {
  const fn = lookupFunction(call.name);
  const literal = call.args.map((a) => a.kind === 'literal');
  const isString = call.args.map((a) => a.kind === 'literal' && a.type === 'string');
  switch (placement) {
    case 'folded':
      return call.args.map(() => false);
    case 'lift-first': {
      const first = isString.indexOf(true);
      return call.args.map((_a, i) => i === first);
    }
    case 'lift-strings':
      return isString;
    case 'lift-all':
    case 'lift-missing':
      // Only where ES allows a field: number's base must be a constant.
      return literal.map((l, i) => l && !(fn?.params[i] ?? fn?.variadic)?.constant);
  }
}

function place(call: A.CallExpr, lifted: boolean[], nulls: 'null' | 'missing'): Placed {
  const fn = lookupFunction(call.name);
  const fields: Record<string, unknown> = {};
  const args = call.args.map((a, i): A.Expr => {
    if (!lifted[i] || a.kind !== 'literal') return a;
    const name = fieldFor(a, (fn?.params[i] ?? fn?.variadic)?.type, i);
    if (a.value !== null || nulls === 'null') fields[name] = typeof a.value === 'bigint' ? Number(a.value) : a.value;
    return { kind: 'field', path: [name], optional: false, span: a.span };
  });
  return { text: renderExpr({ ...call, args }), fields, lifted: lifted.includes(true) };
}

/** The call in each placement; a lifted placement that lifts nothing new is left out. */
function placements(call: A.CallExpr): Map<Placement, Placed> {
  const out = new Map<Placement, Placed>();
  const seen = new Set<string>();
  for (const p of PLACEMENTS) {
    const lifted = lifts(p, call);
    const nullLifted = call.args.some((a, i) => lifted[i] && a.kind === 'literal' && a.type === 'null');
    const key = p === 'lift-missing' ? 'missing' : lifted.join();
    if (p !== 'folded' && (!lifted.includes(true) || seen.has(key) || (p === 'lift-missing' && !nullLifted))) continue;
    seen.add(key);
    out.set(p, place(call, lifted, p === 'lift-missing' ? 'missing' : 'null'));
  }
  return out;
}

// ── probes ──

interface Probe {
  /** The question with E for the call and v / w for values, e.g. `E != v` (stable names for the known list). */
  name: string;
  /** The where clause. */
  where: string;
  /** Whether ES selects the event. */
  selects: boolean;
}

function literal(v: Exclude<Expected, null>): string {
  if (typeof v === 'string') return renderString(v);
  return String(v);
}

/** A non-null value of the type other than v. */
function other(v: Exclude<Expected, null>): Exclude<Expected, null> {
  if (typeof v === 'string') return `${v}~`;
  if (typeof v === 'number') return v + 1;
  return !v;
}

const SAMPLE: Record<ResultType, Exclude<Expected, null>> = { string: 'x', number: 0, boolean: true };

/** The questions for a call; `constant`: its arguments are all constants (ES folds it). */
function probes(call: string, constant: boolean, expected: Expected, type: ResultType): Probe[] {
  const E = call;
  if (expected === null) {
    const w = literal(SAMPLE[type]);
    const list: Probe[] = [
      { name: 'E == null', where: `${E} == null`, selects: true },
      { name: 'E != null', where: `${E} != null`, selects: false },
      { name: 'E == w', where: `${E} == ${w}`, selects: false },
      // The ReplaceNullChecks quirk (above): a constant E that folds to null makes this `w != null`.
      { name: 'E != w', where: `${E} != ${w}`, selects: constant },
    ];
    if (type === 'boolean') list.push({ name: 'E', where: E, selects: false }, { name: 'not E', where: `not ${E}`, selects: false });
    return list;
  }
  const v = literal(expected);
  const w = literal(other(expected));
  const list: Probe[] = [
    { name: 'E == v', where: `${E} == ${v}`, selects: true },
    { name: 'E != v', where: `${E} != ${v}`, selects: false },
    { name: 'E == w', where: `${E} == ${w}`, selects: false },
    { name: 'E != w', where: `${E} != ${w}`, selects: true },
    { name: 'E == null', where: `${E} == null`, selects: false },
    { name: 'E != null', where: `${E} != null`, selects: true },
  ];
  if (typeof expected === 'boolean') list.push({ name: 'E', where: E, selects: expected }, { name: 'not E', where: `not ${E}`, selects: !expected });
  return list;
}

// ── running ──

interface Question {
  /** `case placement: probe`, the name used in the known-differences list. */
  name: string;
  caseName: string;
  where: string;
  selects: boolean;
  fields: Record<string, unknown>;
}

interface Run {
  /** Ids of the selected events, or the error. */
  selected?: number[];
  error?: Error;
  predicates?: QueryPredicateCounters;
}

/** One query over one event per question: `any where (id == 0 and (…)) or (id == 1 and (…)) …`. */
async function runQuestions(questions: readonly Question[], engine: PredicateEngine): Promise<Run> {
  const where = questions.map((q, id) => `(id == ${id} and (${q.where}))`).join(' or ');
  const events = questions.map((q, id) => JSON.stringify({ id, ...q.fields })).join('\n');
  const selected: number[] = [];
  try {
    const stats = await executeQuery(`any where ${where}`, ['-'], { ...DEFAULT_QUERY_OPTIONS, engine }, (r) => {
      for (const e of r.events) selected.push(Number(readPath(e!.view, 'id')));
    }, Readable.from([events]));
    return { selected, predicates: stats.predicates };
  } catch (error) {
    return { error: error as Error };
  }
}

interface Answer {
  /** Why the answer differs from ES, or null. */
  difference: string | null;
  /** The answer per engine, as text, to compare the engines. */
  observed: Map<PredicateEngine, string>;
}

const describeRun = (r: Run, id: number): string => (r.error ? `error ${r.error.constructor.name}: ${r.error.message}` : r.selected!.includes(id) ? 'selected' : 'not selected');

/**
 * Answers every question on both engines. A query the checker refuses as a whole is split into
 * one query per case, so one refused case does not hide the answers of the others.
 */
async function answer(questions: readonly Question[], wasmCounters: QueryPredicateCounters[]): Promise<Map<Question, Answer>> {
  const out = new Map<Question, Answer>();
  const runs = new Map<PredicateEngine, Run>();
  for (const engine of ENGINES) runs.set(engine, await runQuestions(questions, engine));
  const caseNames = new Set(questions.map((q) => q.caseName));
  if ([...runs.values()].some((r) => r.error) && caseNames.size > 1) {
    for (const name of caseNames) {
      for (const [q, a] of await answer(questions.filter((q) => q.caseName === name), wasmCounters)) out.set(q, a);
    }
    return out;
  }
  const wasmPredicates = runs.get('wasm')!.predicates;
  if (wasmPredicates) wasmCounters.push(wasmPredicates);
  questions.forEach((q, id) => {
    const observed = new Map(ENGINES.map((e) => [e, describeRun(runs.get(e)!, id)]));
    const want = q.selects ? 'selected' : 'not selected';
    const wrong = ENGINES.filter((e) => observed.get(e) !== want);
    const difference = wrong.length ? wrong.map((e) => `${e}: ${observed.get(e)}`).join('; ') + `; ES: ${want}` : null;
    out.set(q, { difference, observed });
  });
  return out;
}

function questionsFor(placement: Placement): Question[] {
  return folds.flatMap((c) => {
    const placed = placements(c.call).get(placement);
    if (!placed) return [];
    const type = RESULT_TYPES[c.call.name.toLowerCase()];
    if (!type) throw new Error(`${c.name}: no result type listed for ${c.call.name}`);
    return probes(placed.text, !placed.lifted, c.expected, type).map((p) => ({
      name: `${c.name} ${placement}: ${p.name}`,
      caseName: c.name,
      where: p.where,
      selects: p.selects,
      fields: placed.fields,
    }));
  });
}

// ── the tests ──

describe(`conformance: ${FILE} through executeQuery, interpreter and Wasm`, () => {
  it('selects what ES selects for every fold case, in every argument placement, on both engines', async () => {
    expect(folds.length).toBeGreaterThan(80);
    const differences: { name: string; why: string }[] = [];
    const engineDiffs: string[] = [];
    const wasmCounters: QueryPredicateCounters[] = [];
    const perPlacement: string[] = [];
    let total = 0;
    for (const placement of PLACEMENTS) {
      const questions = questionsFor(placement);
      const answers = await answer(questions, wasmCounters);
      let failed = 0;
      for (const q of questions) {
        const a = answers.get(q)!;
        const [first, ...rest] = ENGINES.map((e) => a.observed.get(e));
        if (rest.some((o) => o !== first)) engineDiffs.push(`${q.name} [${q.where}]: ${ENGINES.map((e) => `${e} ${a.observed.get(e)}`).join(' / ')}`);
        if (a.difference) {
          failed++;
          differences.push({ name: q.name, why: `[${q.where}] ${a.difference}` });
        }
      }
      total += questions.length;
      perPlacement.push(`${placement}: ${new Set(questions.map((q) => q.caseName)).size} cases, ${questions.length} probes, ${questions.length - failed} as ES`);
    }
    const listed = new Set(known.map((k) => k.name));
    const unlisted = differences.filter((d) => !listed.has(d.name));
    const stale = [...listed].filter((n) => !differences.some((d) => d.name === n));
    console.log(`${FILE}: ${folds.length} cases, ${total} probes; ${perPlacement.join('; ')}`);
    const sum = (k: keyof QueryPredicateCounters) => wasmCounters.reduce((n, c) => n + (c[k] as number), 0);
    const fallbacks = sum('jsonFallbacks') + sum('fuelFallbacks') + sum('trapFallbacks');
    console.log(`${FILE} [wasm]: ${wasmCounters.length} query runs, ${sum('records')} records, ${sum('hostCalls')} host calls, ${fallbacks} fallbacks`);
    for (const d of unlisted) console.log(`  ${d.name}: ${d.why}`);
    expect(unlisted, 'differences from ES not in string-functions-known-differences.json').toEqual([]);
    expect(stale, 'known differences that now pass').toEqual([]);
    expect(engineDiffs, 'answers that differ between the engines').toEqual([]);
    // The Wasm runs really evaluated every event in the module (none fell back to the interpreter).
    expect(sum('records')).toBeGreaterThanOrEqual(total);
    expect(fallbacks).toBe(0);
  });

  it('rejects every verifier failure in the checker, identically on both engines', async () => {
    expect(failures.length).toBeGreaterThan(4);
    const problems: string[] = [];
    for (const c of failures) {
      for (const [placement, placed] of placements(c.call)) {
        const question: Question = { name: `${c.name} ${placement}`, caseName: c.name, where: `${placed.text} != null`, selects: false, fields: placed.fields };
        const runs = await Promise.all(ENGINES.map((e) => runQuestions([question], e)));
        const messages = runs.map((r) => (r.error ? `${r.error.constructor.name}: ${r.error.message}` : `accepted, selected ${JSON.stringify(r.selected)}`));
        if (!runs.every((r) => r.error instanceof EqlTypeError || r.error instanceof EqlSemanticError)) problems.push(`${question.name} [${question.where}]: ${messages.join(' / ')}`);
        if (messages.some((m) => m !== messages[0])) problems.push(`${question.name}: engines differ: ${messages.join(' / ')}`);
      }
    }
    expect(problems).toEqual([]);
  });
});

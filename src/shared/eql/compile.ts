// CheckedQuery → CompiledQuery (the engine contract in engine/compiled.ts): every filter becomes
// a predicate closure and every step's join keys value extractors, built by the interpreter.
import type { CompiledFilter, CompiledQuery, CompiledStep, EventView, Value } from '../engine/compiled.js';
import type { CheckedFilter, CheckedQuery, CheckedStep, FieldNode, TExpr } from './ir.js';
import { dateMillis } from './date-format.js';
import { jsonFieldAccessor, type FieldAccessorFactory } from './field-access.js';
import { compileExpr, compilePredicate, type EarlierEvents } from './interp.js';
import { ENCODED_ID, KEY_SEPARATOR, encodeKeyValue, isOwnId } from '../engine/join-key.js';

export interface CompileOptions {
  /** How fields are read; defaults to the normalised-JSON accessor. */
  accessor?: FieldAccessorFactory;
}

export function compileQuery(checked: CheckedQuery, opts: CompileOptions = {}): CompiledQuery {
  const accessor = opts.accessor ?? jsonFieldAccessor;
  return {
    kind: checked.kind,
    steps: checked.steps.map((s) => compileStep(s, accessor)),
    until: checked.until && compileStep(checked.until, accessor),
    maxspanMs: checked.maxspanMs,
    pipes: checked.pipes.map((p) => ({ name: p.name, count: p.count })),
    keyCount: checked.keyCount,
  };
}

function compileStep(step: CheckedStep, accessor: FieldAccessorFactory): CompiledStep {
  const extractors = step.keys.map((k) => keyExtractor(k, accessor));
  return {
    filter: lazyFilter(step.filter, accessor),
    // One inner array per key: the values of a multi-valued key, [] for null/missing.
    keys: (ev) => extractors.map((extract) => keyValues(extract(ev))),
    keyId: (ev) => singleKeyId(extractors, step.keyNullable, ev),
    keyNullable: step.keyNullable,
    runs: step.runs,
    missing: step.missing,
    ...(step.filter.cross && { cross: compileCross(step.filter.cross, accessor) }),
  };
}

/** A step's cross-step condition: the partial's events are handed over per call, nothing is kept. */
function compileCross(cross: TExpr, accessor: FieldAccessorFactory): NonNullable<CompiledStep['cross']> {
  const earlier: EarlierEvents = { events: [] };
  const test = compilePredicate(cross, { accessor, earlier });
  return (ev, events) => {
    earlier.events = events;
    return test(ev);
  };
}

/**
 * Join keys compare like ES term lookups: a date field joins by its instant, written as epoch
 * millis text so it also meets a keyword field holding the same millis ("1671235200000").
 */
function keyExtractor(key: TExpr, accessor: FieldAccessorFactory): (ev: EventView) => Value {
  const extract = compileExpr(key, { accessor });
  if (key.type !== 'date') return extract;
  const format = key.kind === 'field' ? key.def?.format : undefined;
  const toKey = (v: Value): Value => {
    if (Array.isArray(v)) return v.map(toKey);
    const t = dateMillis(v, format);
    return t === null ? v : String(t);
  };
  return (ev) => toKey(extract(ev));
}

/**
 * expandJoinKeys(keys(ev)).id for an event with one join key, without the intermediate arrays:
 * the continuing steps of a sequence only look a key up, and most events are offered to some.
 */
function singleKeyId(extractors: readonly ((ev: EventView) => Value)[], nullable: readonly boolean[], ev: EventView): string | null | undefined {
  let id = ENCODED_ID;
  for (let i = 0; i < extractors.length; i++) {
    let v = extractors[i]!(ev);
    if (Array.isArray(v)) {
      let only: Value = null;
      for (const x of v) {
        if (x === null) continue;
        if (only !== null) return undefined;
        only = x;
      }
      v = only;
    }
    if (v === null && !nullable[i]) return null;
    // The common key, one string, is its own id (join-key.ts ENCODED_ID): no new string.
    if (extractors.length === 1 && isOwnId(v)) return v;
    id += (i === 0 ? '' : KEY_SEPARATOR) + encodeKeyValue(v);
  }
  return id;
}

function keyValues(v: Value): Value[] {
  if (v === null) return [];
  if (!Array.isArray(v)) return [v];
  return v.filter((x) => x !== null);
}

/**
 * compileFilter, done on the first test: the state stage replaces every step's filter by its
 * predicate bit and never tests one, and compiling the Elastic corpus's filters was ~30 ms of each
 * start-up. The first call puts the compiled test in place, so later calls go straight to it.
 */
function lazyFilter(filter: CheckedFilter, accessor: FieldAccessorFactory): CompiledFilter {
  let real: CompiledFilter['test'] | undefined;
  const lazy: CompiledFilter = {
    category: filter.category,
    test: (ev) => {
      real ??= compileFilter(filter, accessor).test;
      lazy.test = real;
      return real(ev);
    },
  };
  return lazy;
}

export function compileFilter(filter: CheckedFilter, accessor: FieldAccessorFactory = jsonFieldAccessor): CompiledFilter {
  const where = compilePredicate(filter.where, { accessor });
  const category = filter.category;
  if (category === null) return { category, test: where };
  const inCategory = categoryTest(filter.categoryField, category, accessor);
  return { category, test: (ev) => inCategory(ev) && where(ev) };
}

/** Exact match of the category field; an array-valued category matches if any element does. */
export function categoryTest(field: FieldNode, category: string, accessor: FieldAccessorFactory): (ev: EventView) => boolean {
  const read = accessor(field);
  return (ev) => {
    const v = read(ev);
    return v === category || (Array.isArray(v) && v.includes(category));
  };
}

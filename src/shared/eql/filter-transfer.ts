// Checked IR across a thread boundary or onto disk. A predicate helper (workers/predicate-stage/
// predicate-helper.ts) needs only the step filters of the ruleset main has already checked, a
// partition worker the checked queries, and a warm start the checks of an earlier run
// (main/cache/checked-rules.ts): checking the Elastic corpus again was ~230 ms of each helper's
// start-up. The IR is plain data that structured clone (and v8.serialize) copies, except a
// function call's declaration (FunctionDecl: its type rule and implementation are functions).
// Those are global and found by name, so they travel as their name and are looked up again.
import type { CheckedFilter, CheckedQuery } from './ir.js';
import { FUNCTIONS, lookupFunction } from './functions.js';

/** A FunctionDecl's stand-in in exported IR. */
interface FunctionRef {
  $function: string;
}

/**
 * Exported IR: the tree, and the call nodes in it whose declaration became a FunctionRef. A clone
 * keeps the identity of objects within one message, so `calls` are still nodes of the cloned
 * `tree`, and the import puts each declaration back without walking the tree (walking the
 * corpus's IR was ~30 ms, as long as deserializing it).
 */
export interface CheckedTransfer {
  tree: unknown;
  calls: { fn: FunctionRef }[];
}

const DECLS: ReadonlySet<unknown> = new Set(FUNCTIONS);
/** Properties whose values are never IR (a field's schema entry, a span): not entered. */
const HOLDS_NO_CALLS: ReadonlySet<string> = new Set(['def', 'span']);

/**
 * `value` (checked IR) as structured-clonable data. Only what leads to a call is copied; every
 * other sub-tree is the original object (a clone copies it anyway), and a shared sub-tree stays
 * shared. This runs on main while it starts, so it allocates as little as it can.
 */
export function exportChecked(value: object): CheckedTransfer {
  const done = new Map<object, unknown>();
  const calls: { fn: FunctionRef }[] = [];
  const copy = (v: object): unknown => {
    if (DECLS.has(v)) return { $function: (v as { name: string }).name } satisfies FunctionRef;
    const seen = done.get(v);
    if (seen !== undefined) return seen;
    let out: unknown = v;
    if (Array.isArray(v)) {
      let changed: unknown[] | undefined;
      for (let i = 0; i < v.length; i++) {
        const x: unknown = v[i];
        if (typeof x !== 'object' || x === null) continue;
        const c = copy(x);
        if (c !== x) (changed ??= v.slice())[i] = c;
      }
      out = changed ?? v;
    } else if (Object.getPrototypeOf(v) === Object.prototype) {
      // Maps, sets, regexes and typed arrays hold no declarations: taken as they are.
      let changed: Record<string, unknown> | undefined;
      const record = v as Record<string, unknown>;
      for (const k in record) {
        const x = record[k];
        if (typeof x !== 'object' || x === null || HOLDS_NO_CALLS.has(k)) continue;
        const c = copy(x);
        if (c !== x) (changed ??= { ...record })[k] = c;
      }
      out = changed ?? v;
      if (changed !== undefined && DECLS.has(record.fn)) calls.push(changed as { fn: FunctionRef });
    }
    done.set(v, out);
    return out;
  };
  return { tree: copy(value), calls };
}

/**
 * Calls `use` with `value` (checked IR) as structured-clonable data without copying it: each call
 * node's declaration is swapped for its name for the duration of the call and put back after.
 * Only for a clone made synchronously within `use` (v8.serialize, postMessage): exportChecked's
 * copy of the corpus's IR was ~25–60 ms of a cold start, the read-only walk here is ~5 ms.
 */
export function withCallsByName<R>(value: object, use: (transfer: CheckedTransfer) => R): R {
  const found = new Set<{ fn: unknown }>();
  collectCalls(value, found);
  const calls = [...found];
  const decls = calls.map((c) => c.fn as { name: string });
  for (const c of calls) c.fn = { $function: (c.fn as { name: string }).name } satisfies FunctionRef;
  try {
    return use({ tree: value, calls: calls as { fn: FunctionRef }[] });
  } finally {
    calls.forEach((c, i) => (c.fn = decls[i]));
  }
}

/** The call nodes under `v`. */
function collectCalls(v: object, out: Set<{ fn: unknown }>): void {
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x: unknown = v[i];
      if (typeof x === 'object' && x !== null) collectCalls(x, out);
    }
    return;
  }
  const record = v as Record<string, unknown>;
  if (record.kind === 'call' && DECLS.has(record.fn)) out.add(record as { fn: unknown });
  for (const k in record) {
    if (k === 'fn' || HOLDS_NO_CALLS.has(k)) continue;
    const x = record[k];
    if (typeof x === 'object' && x !== null) collectCalls(x, out);
  }
}

/** exportChecked's result after a clone, with each declaration put back (in place). */
export function importChecked<T>(data: CheckedTransfer): T {
  if (typeof data !== 'object' || data === null || !Array.isArray(data.calls)) throw new Error('internal: transferred IR has no list of its calls');
  for (const call of data.calls) {
    const name = (call.fn as Partial<FunctionRef>).$function;
    // A node listed twice (never made so) already has its declaration back.
    if (DECLS.has(call.fn)) continue;
    const decl = typeof name === 'string' ? lookupFunction(name) : undefined;
    if (decl === undefined) throw new Error(`internal: transferred IR calls an unknown function ${String(name)}`);
    (call as { fn: unknown }).fn = decl;
  }
  return data.tree as T;
}

export function exportFilters(filters: readonly CheckedFilter[]): CheckedTransfer {
  return exportChecked(filters);
}

export function importFilters(data: CheckedTransfer): CheckedFilter[] {
  return importChecked<CheckedFilter[]>(data);
}

export function exportQueries(queries: readonly CheckedQuery[]): CheckedTransfer {
  return exportChecked(queries);
}

export function importQueries(data: CheckedTransfer): CheckedQuery[] {
  return importChecked<CheckedQuery[]>(data);
}

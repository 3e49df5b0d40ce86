// Checked filters across a thread boundary. A predicate helper (workers/predicate-stage/
// predicate-helper.ts) needs only the step filters of the ruleset main has already checked;
// checking the Elastic corpus again was ~230 ms of each helper's start-up, during which main
// evaluates the predicate jobs itself. The IR is plain data that structured clone copies, except
// a function call's declaration (FunctionDecl: its type rule and implementation are functions).
// Those are global and found by name, so they travel as their name and are looked up again.
import type { CheckedFilter } from './ir.js';
import { FUNCTIONS, lookupFunction } from './functions.js';

/** A FunctionDecl's stand-in in exported filters. */
interface FunctionRef {
  $function: string;
}

const DECLS: ReadonlySet<unknown> = new Set(FUNCTIONS);

/**
 * The filters as structured-clonable data. Only what leads to a call is copied; every other
 * sub-tree is the original object (structured clone copies it anyway), and a shared sub-tree stays
 * shared. This runs on main while it starts, so it allocates as little as it can.
 */
export function exportFilters(filters: readonly CheckedFilter[]): unknown {
  const done = new Map<object, unknown>();
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
        if (typeof x !== 'object' || x === null) continue;
        const c = copy(x);
        if (c !== x) (changed ??= { ...record })[k] = c;
      }
      out = changed ?? v;
    }
    done.set(v, out);
    return out;
  };
  return copy(filters);
}

/** exportFilters' result after a structured clone, with each declaration put back (in place). */
export function importFilters(data: unknown): CheckedFilter[] {
  const seen = new Set<object>();
  const revive = (v: unknown): unknown => {
    if (typeof v !== 'object' || v === null) return v;
    const name = (v as Partial<FunctionRef>).$function;
    if (typeof name === 'string') {
      const decl = lookupFunction(name);
      if (decl === undefined) throw new Error(`internal: transferred filters call an unknown function ${name}`);
      return decl;
    }
    if (seen.has(v) || (!Array.isArray(v) && Object.getPrototypeOf(v) !== Object.prototype)) return v;
    seen.add(v);
    if (Array.isArray(v)) for (let i = 0; i < v.length; i++) v[i] = revive(v[i]);
    else for (const [k, x] of Object.entries(v)) (v as Record<string, unknown>)[k] = revive(x);
    return v;
  };
  return revive(data) as CheckedFilter[];
}

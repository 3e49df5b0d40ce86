// Reading a field out of an event. The JSON input layer hands us plain objects with dotted keys
// already expanded (`{"process": {"name": …}}`) and integers beyond 2^53 as bigint. A binary
// record view will plug in its own accessor through FieldAccessorFactory; compiled closures only
// ever call the reader they were given.
import type { EventView } from '../engine/compiled.js';
import type { FieldDef } from '../schema/types.js';
import type { Value } from './values.js';

/** A field as the compiler knows it: resolved path and schema entry (if any). */
export interface FieldRef {
  path: string;
  segments: readonly string[];
  def?: FieldDef;
}

/** Reads one field: undefined when missing, null for an explicit null, an array if multi-valued. */
export type FieldReader = (ev: EventView) => Value | undefined;

export type FieldAccessorFactory = (field: FieldRef) => FieldReader;

/**
 * Follows `path` through nested objects. Crossing an array of objects yields the array of the
 * sub-field's values (flattened, missing ones skipped), as ES does for object arrays.
 * Missing (undefined) and explicit null are kept apart.
 */
export function getField(event: unknown, path: readonly string[]): Value | undefined {
  let current: unknown = event;
  for (let i = 0; i < path.length; i++) {
    if (Array.isArray(current)) return collect(current, path, i);
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[path[i]!];
    if (current === undefined) return undefined;
  }
  return current as Value;
}

function collect(items: unknown[], path: readonly string[], from: number): Value | undefined {
  const out: Value[] = [];
  const rest = path.slice(from);
  for (const item of items) {
    const v = getField(item, rest);
    if (v === undefined) continue;
    if (Array.isArray(v)) out.push(...v);
    else out.push(v);
  }
  return out.length === 0 ? undefined : out;
}

/** Mapping `null_value`: what an explicit null (also inside an array) stands for. */
export function applyNullValue(v: Value | undefined, nullValue: Value): Value | undefined {
  if (v === null) return nullValue;
  if (Array.isArray(v) && v.includes(null)) return v.map((x) => (x === null ? nullValue : x));
  return v;
}

/** The accessor for normalised JSON events. */
export const jsonFieldAccessor: FieldAccessorFactory = (field) => {
  const segments = field.segments;
  const nullValue = field.def?.nullValue as Value | undefined;
  if (nullValue === undefined) return (ev) => getField(ev, segments);
  return (ev) => applyNullValue(getField(ev, segments), nullValue);
};

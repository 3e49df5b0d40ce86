// Join keys: turning the per-position key values of one event into the concrete keys it joins on.
// Keys are compared exactly and type-sensitively, as Elasticsearch compares its SequenceKey
// objects: the string "1" and the number 1 are different keys; 1 and 1n (a 64-bit integer that
// happens to be small) are the same.
import type { Value } from './compiled.js';

export interface JoinKey {
  values: Value[];
  /** Canonical, unambiguous encoding of `values`: the Map key for per-key state. */
  id: string;
}

export const EMPTY_KEY: JoinKey = { values: [], id: '' };
const NO_KEYS: JoinKey[] = [];
/** Between the encoded values of a multi-position key. */
export const KEY_SEPARATOR = '\u0001';
const ONLY_EMPTY: JoinKey[] = [EMPTY_KEY];

/** Encodes one scalar key value. Strings carry their length so no separator can be forged. */
export function encodeKeyValue(v: Value): string {
  switch (typeof v) {
    case 'string':
      return `s${v.length}:${v}`;
    case 'number':
      return Number.isInteger(v) ? `i${v}` : `f${v}`;
    case 'bigint':
      return `i${v}`;
    case 'boolean':
      return v ? 'b1' : 'b0';
    default:
      return v === null ? 'n' : `o${JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x))}`;
  }
}

/**
 * Expands raw per-position values (one array per key position, empty = null) into join keys:
 * the cross product of multi-valued positions. A null at a position that is not nullable means
 * the event cannot join and yields no key at all.
 */
export function expandJoinKeys(raw: Value[][], nullable: readonly boolean[]): JoinKey[] {
  const n = raw.length;
  if (n === 0) return ONLY_EMPTY;
  // Fast path: every position single-valued (the overwhelmingly common case).
  let single = true;
  for (let i = 0; i < n; i++) {
    const len = raw[i].length;
    if (len === 0 && !nullable[i]) return NO_KEYS;
    if (len > 1) single = false;
  }
  if (single) {
    const values = new Array<Value>(n);
    let id = '';
    for (let i = 0; i < n; i++) {
      const v = raw[i].length === 0 ? null : raw[i][0];
      values[i] = v;
      id += (i ? KEY_SEPARATOR : '') + encodeKeyValue(v);
    }
    return [{ values, id }];
  }
  let acc: JoinKey[] = [{ values: [], id: '' }];
  for (let i = 0; i < n; i++) {
    const options: Value[] = raw[i].length === 0 ? [null] : dedupe(raw[i]);
    const next: JoinKey[] = [];
    for (const k of acc) {
      for (const v of options) next.push({ values: [...k.values, v], id: k.id + (i ? KEY_SEPARATOR : '') + encodeKeyValue(v) });
    }
    acc = next;
  }
  return acc;
}

/** A multi-valued field listing the same value twice still joins once on it. */
function dedupe(values: Value[]): Value[] {
  const seen = new Set<string>();
  const out: Value[] = [];
  for (const v of values) {
    const id = encodeKeyValue(v);
    if (!seen.has(id)) {
      seen.add(id);
      out.push(v);
    }
  }
  return out;
}

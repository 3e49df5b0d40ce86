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

/**
 * Starts every id that is not a lone plain string. Ids are Map keys for per-key state, made for
 * nearly every event an engine is offered: the common key, one string (`process.entity_id`), is
 * its own id, so making it allocates nothing and V8 hashes the string once for every rule that
 * looks it up. Any other key (several positions, a number, null, a string starting with this
 * character) is this character and then the type-tagged encoding below; the two forms never meet.
 */
export const ENCODED_ID = '\uFFFF';

export const EMPTY_KEY: JoinKey = { values: [], id: ENCODED_ID };
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
    for (let i = 0; i < n; i++) values[i] = raw[i].length === 0 ? null : raw[i][0];
    return [{ values, id: joinKeyId(values) }];
  }
  let acc: Value[][] = [[]];
  for (let i = 0; i < n; i++) {
    const options: Value[] = raw[i].length === 0 ? [null] : dedupe(raw[i]);
    const next: Value[][] = [];
    for (const k of acc) for (const v of options) next.push([...k, v]);
    acc = next;
  }
  return acc.map((values) => ({ values, id: joinKeyId(values) }));
}

/** Whether a key of the one value `v` is its own id (a plain string: see ENCODED_ID). */
export function isOwnId(v: Value): v is string {
  return typeof v === 'string' && v.charCodeAt(0) !== 0xffff;
}

/** The id of a key with these values, one per position (see ENCODED_ID). */
export function joinKeyId(values: readonly Value[]): string {
  if (values.length === 1 && isOwnId(values[0]!)) return values[0];
  let id = ENCODED_ID;
  for (let i = 0; i < values.length; i++) id += (i ? KEY_SEPARATOR : '') + encodeKeyValue(values[i]!);
  return id;
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

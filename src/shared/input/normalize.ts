// Event normalisation: `{"process.pid": 1}` and `{"process": {"pid": 1}}` must address the same
// field, as they do in Elasticsearch. Dotted keys are expanded into nested objects and merged with
// objects already there; when a dotted path runs into a non-object value, the later key wins.

import { LimitError } from '../errors.js';
import { MAX_JSON_DEPTH } from './json-exact.js';

export type JsonObject = Record<string, unknown>;

/**
 * Deepest nesting of objects and arrays an event may have. ECS events are a few levels deep
 * (Elasticsearch's own mapping depth limit is 20 objects); every stage after this one (schema
 * inference, encoding, output) walks events recursively, so deeper input is refused here with a
 * clear error instead of overflowing the stack somewhere later.
 */
export const MAX_EVENT_DEPTH = MAX_JSON_DEPTH;

function isPlainObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Expands dotted keys in place where possible; returns the normalised object. Throws LimitError
 * for an event nested deeper than MAX_EVENT_DEPTH.
 */
export function normalizeEvent(obj: JsonObject, depth = 1): JsonObject {
  if (depth > MAX_EVENT_DEPTH) throw new LimitError('input.depth', `event nested deeper than ${MAX_EVENT_DEPTH} levels`);
  let dotted = false;
  for (const k in obj) {
    const v = obj[k];
    if (k.includes('.')) dotted = true;
    if (typeof v === 'object' && v !== null) {
      const nv = normalizeValue(v, depth + 1);
      if (nv !== v) define(obj, k, nv);
    }
  }
  if (!dotted) return obj;
  const out: JsonObject = {};
  for (const k of Object.keys(obj)) setPath(out, k.split('.'), obj[k]);
  return out;
}

function normalizeValue(v: object, depth: number): unknown {
  if (Array.isArray(v)) {
    if (depth > MAX_EVENT_DEPTH) throw new LimitError('input.depth', `event nested deeper than ${MAX_EVENT_DEPTH} levels`);
    for (let i = 0; i < v.length; i++) if (typeof v[i] === 'object' && v[i] !== null) v[i] = normalizeValue(v[i], depth + 1);
    return v;
  }
  return normalizeEvent(v as JsonObject, depth);
}

function setPath(target: JsonObject, parts: string[], value: unknown): void {
  let node = target;
  for (let i = 0; i < parts.length - 1; i++) {
    const p = parts[i];
    const existing = Object.prototype.hasOwnProperty.call(node, p) ? node[p] : undefined;
    if (isPlainObject(existing)) node = existing;
    else {
      const fresh: JsonObject = {};
      define(node, p, fresh);
      node = fresh;
    }
  }
  const last = parts[parts.length - 1];
  const existing = Object.prototype.hasOwnProperty.call(node, last) ? node[last] : undefined;
  if (isPlainObject(existing) && isPlainObject(value)) mergeInto(existing, value);
  else define(node, last, value);
}

function mergeInto(target: JsonObject, source: JsonObject): void {
  for (const k of Object.keys(source)) setPath(target, [k], source[k]);
}

function define(o: JsonObject, k: string, v: unknown): void {
  if (k === '__proto__') Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

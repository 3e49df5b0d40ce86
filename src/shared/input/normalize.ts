// Event normalisation: `{"process.pid": 1}` and `{"process": {"pid": 1}}` must address the same
// field, as they do in Elasticsearch. Dotted keys are expanded into nested objects and merged with
// objects already there; when a dotted path runs into a non-object value, the later key wins.

export type JsonObject = Record<string, unknown>;

function isPlainObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Expands dotted keys in place where possible; returns the normalised object. */
export function normalizeEvent(obj: JsonObject): JsonObject {
  let dotted = false;
  for (const k in obj) {
    const v = obj[k];
    if (k.includes('.')) dotted = true;
    if (typeof v === 'object' && v !== null) {
      const nv = normalizeValue(v);
      if (nv !== v) define(obj, k, nv);
    }
  }
  if (!dotted) return obj;
  const out: JsonObject = {};
  for (const k of Object.keys(obj)) setPath(out, k.split('.'), obj[k]);
  return out;
}

function normalizeValue(v: object): unknown {
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (typeof v[i] === 'object' && v[i] !== null) v[i] = normalizeValue(v[i]);
    return v;
  }
  return normalizeEvent(v as JsonObject);
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

// Reads an Elasticsearch index mapping (as used by the ES EQL test suites) into a Schema.
//
// Strictness: a mapping schema is strict by default, because in Elasticsearch a field the index
// does not map is an unknown column. Test data usually carries more fields than its mapping lists;
// ES maps those dynamically when the data is indexed. Reproduce that with
// combineSchemas(schemaFromMapping(m, …), inferSchema(events, …)): mapped fields keep their mapped
// types, the rest take inferred ones, and the result is still strict.
import { SchemaError } from '../errors.js';
import { createSchema, type BuiltSchema } from './schema.js';
import type { FieldDef, FieldType } from './types.js';

export interface MappingOptions {
  /** Default true (see above). */
  strict?: boolean;
}

/** Mapping types that are Kestrel FieldTypes under the same name. */
const SAME_NAME = new Set<string>([
  'keyword', 'constant_keyword', 'wildcard', 'text', 'match_only_text', 'long', 'integer', 'short', 'byte',
  'unsigned_long', 'double', 'float', 'half_float', 'scaled_float', 'ip', 'date', 'date_nanos', 'boolean',
  'version', 'geo_point', 'flattened', 'object', 'nested',
]);

/** Mapping types stored under a close Kestrel type: they index the same kind of value. */
const RENAMED: Readonly<Record<string, FieldType>> = {
  token_count: 'integer',
  search_as_you_type: 'text',
  annotated_text: 'text',
};

/**
 * The ES test framework writes placeholders such as "[runtime_random_keyword_type]" and fills in a
 * random member of the keyword family per run; Kestrel treats them all as keyword.
 */
const PLACEHOLDER = /^\[[^\]]*\]$/;

function mappingType(raw: string): FieldType | undefined {
  if (SAME_NAME.has(raw)) return raw as FieldType;
  if (PLACEHOLDER.test(raw)) return 'keyword';
  return RENAMED[raw];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function bad(name: string, message: string): SchemaError {
  return new SchemaError('schema.bad-mapping', `mapping ${name}: ${message}`);
}

/**
 * Finds the `properties` object in any of the accepted shapes: `{properties}`, `{mappings:
 * {properties}}`, and the `GET <index>/_mapping` answer `{<index>: {mappings: {properties}}}`.
 */
function rootProperties(json: unknown, name: string): Record<string, unknown> {
  if (!isObject(json)) throw bad(name, 'expected a JSON object');
  let root: Record<string, unknown> = json;
  const keys = Object.keys(root);
  const only = keys.length === 1 ? root[keys[0]!] : undefined;
  if (keys[0] !== 'properties' && keys[0] !== 'mappings' && isObject(only) && 'mappings' in only) root = only;
  if ('mappings' in root) {
    if (!isObject(root.mappings)) throw bad(name, '"mappings" must be an object');
    root = root.mappings;
  }
  if (root.properties === undefined) {
    // `{}` and `{"mappings": {}}` are valid, empty mappings.
    if (Object.keys(root).length === 0) return {};
    throw bad(name, 'no "properties" object found');
  }
  if (!isObject(root.properties)) throw bad(name, '"properties" must be an object');
  return root.properties;
}

class MappingReader {
  readonly fields: FieldDef[] = [];
  readonly aliases = new Map<string, string>();
  readonly #name: string;

  constructor(name: string) {
    this.#name = name;
  }

  readProperties(props: Record<string, unknown>, prefix: string, multi: boolean): void {
    for (const [key, def] of Object.entries(props)) {
      const path = prefix === '' ? key : `${prefix}.${key}`;
      if (!isObject(def)) throw bad(this.#name, `field "${path}" must be an object`);
      this.#readField(path, def, multi);
    }
  }

  #readField(path: string, def: Record<string, unknown>, multi: boolean): void {
    const rawType = def.type;
    if (rawType !== undefined && typeof rawType !== 'string') throw bad(this.#name, `field "${path}": "type" must be a string`);

    if (rawType === 'alias') {
      if (typeof def.path !== 'string') throw bad(this.#name, `alias "${path}" has no "path"`);
      // ES alias paths are full paths from the root; createSchema checks the target exists.
      this.aliases.set(path, def.path);
      return;
    }
    if (def.properties !== undefined) {
      if (!isObject(def.properties)) throw bad(this.#name, `field "${path}": "properties" must be an object`);
      // A nested field is an array of objects: each sub-field can hold many values per document.
      this.readProperties(def.properties, path, multi || rawType === 'nested');
      return;
    }
    // An object with no sub-fields (`{}`, `{"type": "object", "enabled": false}`) is kept as one
    // opaque field so a query naming it is not an unknown-field error.
    const type = rawType === undefined ? 'object' : mappingType(rawType);
    // Other mapping types (binary, geo_shape, dense_vector, ranges, …) hold nothing EQL can
    // compare, so they are left out and a query using them gets the unknown-field error.
    if (type === undefined) return;

    const field: FieldDef = { path, type };
    if (multi) field.multi = true;
    if (def.null_value !== undefined) field.nullValue = def.null_value;
    if (typeof def.format === 'string') field.format = def.format;
    this.fields.push(field);

    // Multi-fields ("name.keyword", "name.text") index the same source value another way; for an
    // engine that reads the source they are that value, so they become aliases of the field.
    if (def.fields !== undefined) {
      if (!isObject(def.fields)) throw bad(this.#name, `field "${path}": "fields" must be an object`);
      for (const sub of Object.keys(def.fields)) this.aliases.set(`${path}.${sub}`, path);
    }
  }
}

/** A schema from an Elasticsearch index mapping; strict unless `opts.strict` is false. */
export function schemaFromMapping(json: unknown, name: string, opts: MappingOptions = {}): BuiltSchema {
  const reader = new MappingReader(name);
  reader.readProperties(rootProperties(json, name), '', false);
  return createSchema(name, reader.fields, { strict: opts.strict ?? true, aliases: reader.aliases });
}

// A schema as plain data, and back. Captures store the schema they were recorded with in this
// form (no descriptions: they do not affect records and would bloat every capture header).
import type { FieldDef, FieldType, Schema } from '../schema/types.js';
import { SchemaError } from '../errors.js';

export interface SchemaDescription {
  name: string;
  strict: boolean;
  fields: { path: string; type: FieldType; multi?: boolean; nullValue?: unknown }[];
}

export function describeSchema(schema: Schema): SchemaDescription {
  return {
    name: schema.name,
    strict: schema.strict,
    fields: schema.fields().map((f) => ({
      path: f.path,
      type: f.type,
      ...(f.multi ? { multi: true } : {}),
      ...(f.nullValue !== undefined ? { nullValue: f.nullValue } : {}),
    })),
  };
}

/** A Schema over a fixed field list (no aliases). Used for captured schemas and tests. */
export function schemaFromFields(name: string, fields: readonly FieldDef[], strict = true): Schema {
  const byPath = new Map<string, FieldDef>();
  for (const f of fields) {
    if (typeof f.path !== 'string' || typeof f.type !== 'string') throw new SchemaError('schema.bad-field', `schema '${name}': bad field entry ${JSON.stringify(f)}`);
    byPath.set(f.path, f);
  }
  const list = Object.freeze([...fields]);
  return {
    name,
    strict,
    lookup: (path) => byPath.get(path),
    aliasOf: () => undefined,
    fields: () => list,
  };
}

export function schemaFromDescription(desc: SchemaDescription): Schema {
  if (!desc || typeof desc.name !== 'string' || !Array.isArray(desc.fields)) {
    throw new SchemaError('schema.bad-description', 'schema description must have a name and a field list');
  }
  return schemaFromFields(desc.name, desc.fields, desc.strict !== false);
}

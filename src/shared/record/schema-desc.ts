// A schema as plain data, and back. Captures store the schema they were recorded with in this
// form (no descriptions: they do not affect records and would bloat every capture header).
import type { FieldType, Schema } from '../schema/types.js';
import { createSchema, type BuiltSchema } from '../schema/schema.js';
import { SchemaError } from '../errors.js';

export interface SchemaDescription {
  name: string;
  strict: boolean;
  fields: { path: string; type: FieldType; multi?: boolean; nullValue?: unknown }[];
  /** alias path → concrete path. */
  aliases?: Record<string, string>;
}

export function describeSchema(schema: Schema): SchemaDescription {
  const aliases = 'aliases' in schema && typeof schema.aliases === 'function' ? (schema as BuiltSchema).aliases() : undefined;
  return {
    name: schema.name,
    strict: schema.strict,
    fields: schema.fields().map((f) => ({
      path: f.path,
      type: f.type,
      ...(f.multi ? { multi: true } : {}),
      ...(f.nullValue !== undefined ? { nullValue: f.nullValue } : {}),
    })),
    ...(aliases && aliases.size > 0 ? { aliases: Object.fromEntries(aliases) } : {}),
  };
}

export function schemaFromDescription(desc: SchemaDescription): BuiltSchema {
  if (!desc || typeof desc.name !== 'string' || !Array.isArray(desc.fields)) {
    throw new SchemaError('schema.bad-description', 'schema description must have a name and a field list');
  }
  return createSchema(desc.name, desc.fields, { strict: desc.strict !== false, aliases: desc.aliases ?? {} });
}

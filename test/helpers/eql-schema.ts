// A small in-test Schema (the real implementations live in src/shared/schema/): a map of paths to
// types, with optional aliases.
import type { FieldDef, FieldType, Schema } from '../../src/shared/schema/types.js';

export function testSchema(
  types: Record<string, FieldType | Omit<FieldDef, 'path'>>,
  opts: { strict?: boolean; aliases?: Record<string, string> } = {},
): Schema {
  const defs = new Map<string, FieldDef>();
  for (const [path, t] of Object.entries(types)) defs.set(path, typeof t === 'string' ? { path, type: t } : { path, ...t });
  const aliases = opts.aliases ?? {};
  return {
    name: 'test',
    strict: opts.strict ?? true,
    lookup: (path) => defs.get(aliases[path] ?? path),
    aliasOf: (path) => aliases[path],
    fields: () => [...defs.values()],
  };
}

/** No known fields, everything allowed (schema-less NDJSON). */
export const OPEN_SCHEMA = testSchema({}, { strict: false });

/** The ECS-ish fields the unit tests use. */
export const ECS_SCHEMA = testSchema(
  {
    'event.category': 'keyword',
    'event.type': { type: 'keyword', multi: true },
    'process.name': 'keyword',
    'process.executable': 'keyword',
    'process.command_line': 'wildcard',
    'process.args': { type: 'keyword', multi: true },
    'process.pid': 'long',
    'process.parent.name': 'keyword',
    'process.parent.pid': 'long',
    'process.entity_id': 'keyword',
    'process.parent.entity_id': 'keyword',
    'process.exit_code': 'long',
    'process.args_count': 'long',
    'host.name': 'keyword',
    'user.name': 'keyword',
    'user.id': 'keyword',
    'destination.ip': 'ip',
    'source.ip': 'ip',
    'destination.port': 'long',
    'file.path': 'keyword',
    'file.size': { type: 'long', nullValue: -1 },
    'network.bytes': 'double',
    'event.ingested': 'date',
    'package.version': 'version',
    'process.interactive': 'boolean',
    'process.parent': 'object',
  },
  { aliases: { 'event_type': 'event.category', 'pname': 'process.name' } },
);

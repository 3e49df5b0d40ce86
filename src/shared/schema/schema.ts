// Builds Schema objects from a list of field definitions and an alias table. Every other schema
// source (built-in ECS table, Elasticsearch mapping, inference from events) ends up here, so the
// validation rules live in one place.
import { SchemaError } from '../errors.js';
import type { FieldDef, Schema } from './types.js';

export interface SchemaOptions {
  strict: boolean;
  /** alias path → concrete target path (ES `type: "alias"`). Targets must be concrete fields. */
  aliases?: Record<string, string> | ReadonlyMap<string, string>;
}

/** A schema also knows its alias table, so it can be combined, listed or serialised. */
export interface BuiltSchema extends Schema {
  aliases(): ReadonlyMap<string, string>;
}

class MapSchema implements BuiltSchema {
  readonly name: string;
  readonly strict: boolean;
  // Lookups happen once per field reference at check time and once per field per record layout;
  // a Map keyed by the full dotted path keeps both O(1) without walking path segments.
  readonly #byPath: ReadonlyMap<string, FieldDef>;
  readonly #aliases: ReadonlyMap<string, string>;
  readonly #ordered: readonly FieldDef[];

  constructor(name: string, strict: boolean, ordered: readonly FieldDef[], byPath: Map<string, FieldDef>, aliases: Map<string, string>) {
    this.name = name;
    this.strict = strict;
    this.#ordered = ordered;
    this.#byPath = byPath;
    this.#aliases = aliases;
  }

  lookup(path: string): FieldDef | undefined {
    const direct = this.#byPath.get(path);
    if (direct !== undefined) return direct;
    const target = this.#aliases.get(path);
    return target === undefined ? undefined : this.#byPath.get(target);
  }

  aliasOf(path: string): string | undefined {
    return this.#aliases.get(path);
  }

  fields(): readonly FieldDef[] {
    return this.#ordered;
  }

  aliases(): ReadonlyMap<string, string> {
    return this.#aliases;
  }
}

/** A dotted path with no empty segment ("a..b", ".a", "a." and "" are rejected). */
export function isValidPath(path: string): boolean {
  if (path.length === 0 || path.startsWith('.') || path.endsWith('.')) return false;
  return !path.includes('..');
}

/**
 * Builds a schema. Fields keep the order given (it is the record layout order). Throws SchemaError
 * for an empty or malformed path, a path defined twice, an alias that shadows a concrete field, or
 * an alias whose target is not a concrete field (aliases of aliases are refused, as in ES).
 */
export function createSchema(name: string, fields: readonly FieldDef[], opts: SchemaOptions): BuiltSchema {
  const byPath = new Map<string, FieldDef>();
  const ordered: FieldDef[] = [];
  for (const def of fields) {
    if (!isValidPath(def.path)) {
      throw new SchemaError('schema.bad-path', `schema ${name}: invalid field path "${def.path}"`);
    }
    if (byPath.has(def.path)) {
      throw new SchemaError('schema.duplicate-field', `schema ${name}: field "${def.path}" is defined twice`);
    }
    // Freeze a copy so a caller mutating its input cannot change a schema already in use.
    const frozen = Object.freeze({ ...def });
    byPath.set(def.path, frozen);
    ordered.push(frozen);
  }

  const aliases = new Map<string, string>();
  const entries = opts.aliases instanceof Map ? opts.aliases.entries() : Object.entries(opts.aliases ?? {});
  for (const [alias, target] of entries) {
    if (!isValidPath(alias)) {
      throw new SchemaError('schema.bad-path', `schema ${name}: invalid alias path "${alias}"`);
    }
    if (byPath.has(alias)) {
      throw new SchemaError('schema.alias-shadows-field', `schema ${name}: alias "${alias}" has the same path as a field`);
    }
    if (!byPath.has(target)) {
      throw new SchemaError('schema.alias-unknown-target', `schema ${name}: alias "${alias}" points to unknown field "${target}"`, {
        hint: 'An alias must point to a concrete field of the same schema.',
      });
    }
    aliases.set(alias, target);
  }

  return Object.freeze(new MapSchema(name, opts.strict, Object.freeze(ordered), byPath, aliases));
}

export interface CombineOptions {
  name?: string;
  /** Defaults to the primary schema's strictness. */
  strict?: boolean;
}

/**
 * One schema from two: every path the primary knows (field or alias) comes from the primary; the
 * fallback only adds paths the primary does not know. Typical use: an index mapping (primary) over
 * a schema inferred from the data (fallback), which is what Elasticsearch's dynamic mapping does
 * with fields the explicit mapping leaves out. Primary fields come first in the field order.
 */
export function combineSchemas(primary: BuiltSchema, fallback: BuiltSchema, opts: CombineOptions = {}): BuiltSchema {
  const known = (path: string): boolean => primary.lookup(path) !== undefined || primary.aliasOf(path) !== undefined;
  const fields = [...primary.fields(), ...fallback.fields().filter((f) => !known(f.path))];
  const concrete = new Set(fields.map((f) => f.path));
  const aliases = new Map(primary.aliases());
  for (const [alias, target] of fallback.aliases()) {
    // A fallback alias is kept unless the primary claims its path or its target is no longer a field.
    if (!known(alias) && concrete.has(target)) aliases.set(alias, target);
  }
  return createSchema(opts.name ?? `${primary.name} + ${fallback.name}`, fields, {
    strict: opts.strict ?? primary.strict,
    aliases,
  });
}

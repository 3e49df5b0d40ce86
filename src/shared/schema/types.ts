// What Kestrel knows about fields: their names, types and how to read them. The checker uses a
// Schema to resolve field references; the record codec lays records out from one.

/** Elasticsearch field types Kestrel understands (the subset EQL can query). */
export type FieldType =
  | 'keyword'
  | 'constant_keyword'
  | 'wildcard'
  | 'text'
  | 'match_only_text'
  | 'long'
  | 'integer'
  | 'short'
  | 'byte'
  | 'unsigned_long'
  | 'double'
  | 'float'
  | 'half_float'
  | 'scaled_float'
  | 'ip'
  | 'date'
  | 'date_nanos'
  | 'boolean'
  | 'version'
  | 'geo_point'
  | 'flattened'
  | 'object'
  | 'nested';

/** The coarse type families the checker reasons with. */
export type TypeFamily = 'string' | 'integer' | 'float' | 'ip' | 'date' | 'boolean' | 'version' | 'object' | 'other';

export function typeFamily(t: FieldType): TypeFamily {
  switch (t) {
    case 'keyword':
    case 'constant_keyword':
    case 'wildcard':
    case 'text':
    case 'match_only_text':
      return 'string';
    case 'long':
    case 'integer':
    case 'short':
    case 'byte':
    case 'unsigned_long':
      return 'integer';
    case 'double':
    case 'float':
    case 'half_float':
    case 'scaled_float':
      return 'float';
    case 'ip':
      return 'ip';
    case 'date':
    case 'date_nanos':
      return 'date';
    case 'boolean':
      return 'boolean';
    case 'version':
      return 'version';
    case 'object':
    case 'nested':
    case 'flattened':
      return 'object';
    default:
      return 'other';
  }
}

export interface FieldDef {
  /** Full dotted path, e.g. "process.parent.name". */
  path: string;
  type: FieldType;
  /** The field usually holds an array (process.args, event.type …). Any field may hold one at run time. */
  multi?: boolean;
  /** Mapping `null_value`: substituted when the source holds an explicit null. */
  nullValue?: unknown;
  /** Mapping `format` of a date field ("dd-MM-yyyy", "epoch_millis" …); readers parse values with it. */
  format?: string;
  /** One line of documentation (ECS description, or where the sensor fills it from). */
  description?: string;
}

export interface Schema {
  /** Human name ("ecs-linux", "inferred from events.ndjson", "mapping sample1.mapping"). */
  readonly name: string;
  /**
   * When false, unknown fields are allowed everywhere (schema-less data such as ad-hoc NDJSON);
   * when true, an unknown field is an error unless written `?field`.
   */
  readonly strict: boolean;
  /** Resolves aliases: returns the concrete field for a path, or undefined. */
  lookup(path: string): FieldDef | undefined;
  /** Alias target for a path, if it is an alias (event.category → event_type). */
  aliasOf(path: string): string | undefined;
  /** All concrete fields, in a stable order (the record layout order). */
  fields(): readonly FieldDef[];
}

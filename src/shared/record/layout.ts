// From a Schema to a RecordLayout: the numbering of fields (field id = position in
// schema.fields()), how each one is stored, where its presence bit lives, and a path trie the
// encoder walks JSON objects with. The layout hash identifies the layout in captures.
import { createHash } from 'node:crypto';
import type { FieldDef, FieldType, Schema } from '../schema/types.js';
import { SchemaError } from '../errors.js';
import { MAX_FIELDS, RecordHeader, Storage, type StorageKind } from './frame.js';

/** Bumped whenever the record frame changes incompatibly; part of the layout hash. */
export const RECORD_FORMAT_VERSION = 1;

export interface FieldLayout {
  readonly id: number;
  readonly path: string;
  /** path split on dots: where decode puts the value in the nested object. */
  readonly segments: readonly string[];
  readonly type: FieldType;
  readonly storage: StorageKind;
  readonly multi: boolean;
  /** Index of the u32 presence word, and the bit inside it. */
  readonly word: number;
  readonly bit: number;
}

/** A node of the path trie: a field, intermediate object, or both. */
export interface PathNode {
  field: FieldLayout | undefined;
  children: Map<string, PathNode> | undefined;
}

export interface RecordLayout {
  readonly schema: Schema;
  readonly fields: readonly FieldLayout[];
  /** Number of u32 words in the presence bitmap. */
  readonly presenceWords: number;
  readonly bitmapOffset: number;
  readonly rankOffset: number;
  readonly tagsOffset: number;
  /** Field id of the event time (its value also goes to the header timestamp), or -1. */
  readonly timestampFieldId: number;
  /** Root of the path trie. */
  readonly root: PathNode;
  /** SHA-256 (hex) of the canonical layout description. */
  readonly hash: string;
  /** Field id for a dotted path, or -1. */
  fieldId(path: string): number;
}

export function storageOf(type: FieldType): StorageKind {
  switch (type) {
    case 'long':
    case 'integer':
    case 'short':
    case 'byte':
      return Storage.int;
    case 'unsigned_long':
      return Storage.uint;
    case 'date':
    case 'date_nanos':
      return Storage.date;
    case 'double':
    case 'float':
    case 'half_float':
    case 'scaled_float':
      return Storage.float;
    case 'boolean':
      return Storage.bool;
    case 'ip':
      return Storage.ip;
    case 'object':
    case 'nested':
    case 'flattened':
    case 'geo_point':
      return Storage.json;
    default:
      return Storage.string;
  }
}

export interface LayoutOptions {
  /** Event-time field (default "@timestamp"); ignored when the schema lacks it. */
  timestampField?: string;
}

export function buildLayout(schema: Schema, options: LayoutOptions = {}): RecordLayout {
  const defs = schema.fields();
  if (defs.length > MAX_FIELDS) {
    throw new SchemaError('schema.too-many-fields', `schema '${schema.name}' has ${defs.length} fields; records hold at most ${MAX_FIELDS}`);
  }
  const byPath = new Map<string, FieldLayout>();
  const root: PathNode = { field: undefined, children: undefined };
  const fields = defs.map((def, id) => {
    const f = fieldLayout(def, id);
    if (byPath.has(f.path)) throw new SchemaError('schema.duplicate-field', `schema '${schema.name}' lists field '${f.path}' twice`);
    byPath.set(f.path, f);
    insertPath(root, f);
    return f;
  });
  const presenceWords = Math.max(1, Math.ceil(fields.length / 32));
  const tsPath = options.timestampField ?? '@timestamp';
  const ts = byPath.get(tsPath);
  const timestampFieldId = ts && ts.storage === Storage.date ? ts.id : -1;
  return {
    schema,
    fields,
    presenceWords,
    bitmapOffset: RecordHeader.size,
    rankOffset: RecordHeader.size + 4 * presenceWords,
    tagsOffset: RecordHeader.size + 6 * presenceWords,
    timestampFieldId,
    root,
    hash: layoutHash(fields, timestampFieldId),
    fieldId: (path) => byPath.get(path)?.id ?? -1,
  };
}

function fieldLayout(def: FieldDef, id: number): FieldLayout {
  return {
    id,
    path: def.path,
    segments: def.path.split('.'),
    type: def.type,
    storage: storageOf(def.type),
    multi: def.multi === true,
    word: id >>> 5,
    bit: 1 << (id & 31),
  };
}

function insertPath(root: PathNode, f: FieldLayout): void {
  let node = root;
  for (const seg of f.segments) {
    node.children ??= new Map();
    let next = node.children.get(seg);
    if (!next) {
      next = { field: undefined, children: undefined };
      node.children.set(seg, next);
    }
    node = next;
  }
  node.field = f;
}

/**
 * The hash covers exactly what decides the bytes of a record: the frame version, the field order,
 * each field's path and type, and the timestamp field. Names, descriptions and null_value do not
 * change the bytes, so they stay out and renaming a schema keeps old captures readable.
 */
function layoutHash(fields: readonly FieldLayout[], timestampFieldId: number): string {
  const h = createHash('sha256');
  h.update(`kestrel-record-layout ${RECORD_FORMAT_VERSION}\n`);
  h.update(`timestamp ${timestampFieldId}\n`);
  for (const f of fields) h.update(`${f.path}\t${f.type}\n`);
  return h.digest('hex');
}

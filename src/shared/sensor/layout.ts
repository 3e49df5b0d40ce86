// The kernel event layouts, read from layout.json: the one description that also generates the
// BPF programs' C header (bpf/gen-events-h.mjs) and that the BTF layout test checks the compiled
// object against. Fields are listed in order with explicit padding, so an offset is the running
// sum of the sizes before it (the generator rejects any layout where C would pad differently).
// Strings sit in each struct's last field, the tail: packed in order, each part as long as its
// length field says, so the kernel sends only the used bytes and frames are shorter than structs.
import layoutJson from './layout.json' with { type: 'json' };

export type ScalarType = 'u8' | 'u16' | 'u32' | 'u64' | 'i32' | 'i64' | 'char';
/** How a field is presented when decoded: C string, NUL-separated list, IP address, or tail. */
export type FieldFormat = 'cstr' | 'args' | 'ipaddr' | 'tail';

/** One variable-length string of a tail. */
export interface TailPart {
  name: string;
  format: 'cstr' | 'args' | 'hex';
  /** The field holding the part's byte count in the tail (NUL included for C strings). */
  lengthField: string;
  /** The most bytes the kernel writes for this part. */
  max: number;
}

export interface FieldLayout {
  name: string;
  /** A scalar type, or the name of another struct (only the header is nested). */
  type: string;
  offset: number;
  /** Total bytes (element size × count). */
  size: number;
  /** Element count for arrays, undefined for a single value. */
  count?: number;
  format?: FieldFormat;
  /** For format "tail": its strings, packed in this order. */
  parts?: TailPart[];
}

export interface StructLayout {
  name: string;
  size: number;
  fields: FieldLayout[];
}

interface JsonField {
  name: string;
  type: string;
  count?: number | string;
  format?: FieldFormat;
  parts?: { name: string; format: 'cstr' | 'args' | 'hex'; length: string; max: string }[];
}

const SCALAR_SIZES: Record<ScalarType, number> = { u8: 1, u16: 2, u32: 4, u64: 8, i32: 4, i64: 8, char: 1 };

export const CONSTANTS: Readonly<Record<string, number>> = layoutJson.constants;
export const FLAGS: Readonly<Record<string, number>> = layoutJson.flags;

function buildStructs(): Map<string, StructLayout> {
  const structs = new Map<string, StructLayout>();
  for (const [name, def] of Object.entries(layoutJson.structs as Record<string, { fields: JsonField[] }>)) {
    let offset = 0;
    const fields = def.fields.map((f): FieldLayout => {
      const parts = f.parts?.map((p): TailPart => ({ name: p.name, format: p.format, lengthField: p.length, max: CONSTANTS[p.max]! }));
      const count = parts ? parts.reduce((sum, p) => sum + p.max, 0) : typeof f.count === 'string' ? CONSTANTS[f.count] : f.count;
      const unit = structs.get(f.type)?.size ?? SCALAR_SIZES[f.type as ScalarType];
      if (unit === undefined || (typeof f.count === 'string' && count === undefined) || (parts && parts.some((p) => p.max === undefined))) {
        throw new Error(`layout.json: ${name}.${f.name} has an unknown type or count`);
      }
      const field: FieldLayout = { name: f.name, type: f.type, offset, size: unit * (count ?? 1), count, format: f.format, parts };
      offset += field.size;
      return field;
    });
    structs.set(name, { name, size: offset, fields });
  }
  return structs;
}

export const STRUCTS: ReadonlyMap<string, StructLayout> = buildStructs();

export interface KindLayout {
  id: number;
  name: string;
  struct: StructLayout;
}

/** Event kinds by id (the header's `kind` field). */
export const KINDS: ReadonlyMap<number, KindLayout> = new Map(
  Object.entries(layoutJson.kinds as Record<string, { id: number; struct: string }>).map(([name, k]) => {
    const struct = STRUCTS.get(k.struct);
    if (!struct) throw new Error(`layout.json: kind ${name} names unknown struct ${k.struct}`);
    return [k.id, { id: k.id, name, struct }];
  }),
);

export const HEADER: StructLayout = STRUCTS.get('header')!;

/** Each drained event is framed as { u32 byteLength, u32 reserved } + raw struct, padded to 8. */
export const FRAME_HEADER_BYTES = 8;
export const FRAME_ALIGN = 8;

/** Bytes a frame of an event of `length` bytes occupies in a drain buffer. */
export function frameBytes(length: number): number {
  return (FRAME_HEADER_BYTES + length + FRAME_ALIGN - 1) & ~(FRAME_ALIGN - 1);
}

/** The largest event struct (frames are usually shorter): a drain buffer must hold one such frame. */
export const MAX_EVENT_BYTES = Math.max(...[...KINDS.values()].map((k) => k.struct.size));

// How host functions of Wasm rules read the current event. Field ids are resolved once (at rule
// initialisation) and must stay valid for every event; the accessor is positioned on an event by
// its owner before a rule runs. The record accessor over binary event records plugs in here; the
// JSON accessor below serves tests and NDJSON input.

export interface EventAccessor {
  /** Id of a dotted field path (e.g. "process.name"), or -1 if the schema has no such field. */
  fieldId(path: string): number;
  has(id: number): boolean;
  getString(id: number): string | null;
  getI64(id: number): bigint | null;
  getF64(id: number): number | null;
}

/**
 * The read rules every accessor shares, over a `value(id)` of its own: has = present and not
 * null; a string array (process.args) reads as its elements joined by a space, the way a command
 * line reads; integers as i64, numbers as f64.
 */
export abstract class ValueEventAccessor implements EventAccessor {
  abstract fieldId(path: string): number;
  protected abstract value(id: number): unknown;

  has(id: number): boolean {
    const v = this.value(id);
    return v !== undefined && v !== null;
  }

  getString(id: number): string | null {
    const v = this.value(id);
    if (typeof v === 'string') return v;
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v.join(' ');
    return null;
  }

  getI64(id: number): bigint | null {
    const v = this.value(id);
    if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
    if (typeof v === 'bigint') return v;
    return null;
  }

  getF64(id: number): number | null {
    const v = this.value(id);
    return typeof v === 'number' ? v : null;
  }
}

/** Reads fields of plain JSON objects (nested objects or flat dotted keys, ECS style). */
export class JsonEventAccessor extends ValueEventAccessor {
  private readonly paths: string[][] = [];
  private readonly ids = new Map<string, number>();
  private event: Record<string, unknown> = {};

  /** Positions the accessor on an event. */
  set(event: Record<string, unknown>): this {
    this.event = event;
    return this;
  }

  fieldId(path: string): number {
    let id = this.ids.get(path);
    if (id === undefined) {
      id = this.paths.length;
      this.paths.push(path.split('.'));
      this.ids.set(path, id);
    }
    return id;
  }

  protected value(id: number): unknown {
    const parts = this.paths[id];
    if (!parts) return undefined;
    const flat = this.event[parts.join('.')];
    if (flat !== undefined) return flat;
    let v: unknown = this.event;
    for (const p of parts) {
      if (v === null || typeof v !== 'object') return undefined;
      v = (v as Record<string, unknown>)[p];
    }
    return v;
  }
}

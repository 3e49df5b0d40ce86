// The EventAccessor of Wasm user rules over binary event records (replay, live): field ids are
// the record layout's, values are decoded from the record (RecordEvent caches each once). Reads
// follow JsonEventAccessor's rules, so a user rule sees the same values from NDJSON and records.
import type { RecordEvent } from '../eql/record-access.js';
import type { RecordLayout } from '../record/layout.js';
import type { EventAccessor } from './event-accessor.js';

export class RecordEventAccessor implements EventAccessor {
  private event: RecordEvent | null = null;

  constructor(private readonly layout: RecordLayout) {}

  /** Positions the accessor on an event. */
  set(event: RecordEvent): this {
    this.event = event;
    return this;
  }

  fieldId(path: string): number {
    return this.layout.fieldId(path);
  }

  private value(id: number): unknown {
    return id < 0 || this.event === null ? undefined : this.event.field(id);
  }

  has(id: number): boolean {
    const v = this.value(id);
    return v !== undefined && v !== null;
  }

  getString(id: number): string | null {
    const v = this.value(id);
    if (typeof v === 'string') return v;
    // As JsonEventAccessor: string arrays (process.args) read as their elements joined by a space.
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

// The EventAccessor of Wasm user rules over binary event records (replay, live): field ids are
// the record layout's, values are decoded from the record (RecordEvent caches each once). The
// read rules are ValueEventAccessor's, so a user rule sees the same values from NDJSON and records.
import type { RecordEvent } from '../eql/record-access.js';
import type { RecordLayout } from '../record/layout.js';
import { ValueEventAccessor } from './event-accessor.js';

export class RecordEventAccessor extends ValueEventAccessor {
  private event: RecordEvent | null = null;

  constructor(private readonly layout: RecordLayout) {
    super();
  }

  /** Positions the accessor on an event. */
  set(event: RecordEvent): this {
    this.event = event;
    return this;
  }

  fieldId(path: string): number {
    return this.layout.fieldId(path);
  }

  protected value(id: number): unknown {
    return id < 0 || this.event === null ? undefined : this.event.field(id);
  }
}

// A small cache from a field's raw value bytes (its tag and variable-area span, read in place) to
// something derived from the decoded value. Fields such as event.category take a handful of values
// over a whole stream: comparing a few bytes against the last values seen replaces a decode (and
// its garbage) per event.
import { copyBytes } from './copy-bytes.js';
import { sameBytes } from './same-bytes.js';
import { Tag } from './frame.js';
import type { ByteSpan, RecordView } from './view.js';

interface Entry<T> {
  tag: number;
  bytes: Uint8Array;
  value: T;
}

export class ValueBytesCache<T> {
  private readonly entries: Entry<T>[] = [];
  private readonly span: ByteSpan = { offset: 0, length: 0 };
  private next = 0;
  private lastHit = 0;

  /** `capacity`: entries kept; beyond it the oldest is replaced (round robin). */
  constructor(private readonly capacity = 16) {}

  /**
   * The value cached for field `id` of `view`, or `derive(view)` (then cached). A field without a
   * variable-area value (missing, or a fixed-size scalar) is keyed by its tag alone.
   */
  get(view: RecordView, id: number, derive: (view: RecordView) => T): T {
    const tag = id < 0 ? -1 : view.tag(id);
    const span = this.span;
    let start = 0;
    let length = 0;
    if (tag >= 0 && tag !== Tag.null) {
      // Fixed-size scalars (a number) are derived each time: their bytes sit in the slot.
      if (!view.getStringBytes(id, span)) return derive(view);
      start = span.offset;
      length = span.length;
    }
    const bytes = view.bytes;
    const entries = this.entries;
    // The entry that answered last first: a stream often repeats a value several times in a row.
    const last = entries[this.lastHit];
    if (last !== undefined && sameValue(last, tag, bytes, start, length)) return last.value;
    for (let i = 0; i < entries.length; i++) {
      const e = entries[i]!;
      if (!sameValue(e, tag, bytes, start, length)) continue;
      this.lastHit = i;
      return e.value;
    }
    const value = derive(view);
    const entry: Entry<T> = { tag, bytes: copyBytes(bytes, start, start + length), value };
    if (entries.length < this.capacity) {
      this.lastHit = entries.length;
      entries.push(entry);
    } else {
      this.lastHit = this.next;
      entries[this.next] = entry;
      this.next = (this.next + 1) % this.capacity;
    }
    return value;
  }
}

function sameValue<T>(e: Entry<T>, tag: number, bytes: Uint8Array, start: number, length: number): boolean {
  return e.tag === tag && e.bytes.length === length && sameBytes(e.bytes, 0, bytes, start, length);
}

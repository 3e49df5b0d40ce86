// Buffers for the records engines keep (EngineEvent.keep), recycled when the last holder lets go.
//
// Why: a kept record used to be a fresh Uint8Array. Allocating fresh memory is what made copies
// slow (first touch of new pages, plus V8's external-memory accounting forcing earlier GCs): 114k
// copies of ~1 KiB took 489 ms in a 500k-event replay with the full corpus, ~4 µs each.
// Sequence partials mostly die within their maxspan, so the same buffers can serve again.
//
// Buffers come in 256-byte size classes; a class keeps what is given back up to a cap on the
// pool's total, and anything beyond is left to the GC. A buffer is only given back by the
// event's last holder (state-stage.ts counts holders), so a live event is never overwritten. With
// KESTREL_DEBUG_RECORD_POOL=1 a returned buffer is filled with 0xEE first, so a holder that read
// a record after letting go would see garbage at once (tests run with it). Each buffer keeps its
// DataView (a record view needs one): a DataView per copy was another allocation per kept event.

const CLASS_BYTES = 256;
/** Larger records are not pooled (rare: a few per million). */
const MAX_POOLED_BYTES = 16 * 1024;
/**
 * Slabs new buffers are cut from. A slab lives while any buffer cut from it does, so a few long-held
 * records can keep one alive: small slabs bound what that wastes.
 */
const SLAB_BYTES = 64 * 1024;

export class RecordPool {
  private readonly free: Uint8Array[][] = [];
  /** free[cls][i]'s DataView. */
  private readonly freeViews: DataView[][] = [];
  private pooledBytes = 0;
  readonly counters = { taken: 0, reused: 0, given: 0, dropped: 0 };
  /** A DataView over the whole buffer the last copy() returned. */
  lastView: DataView = new DataView(new ArrayBuffer(0));
  /** Where new pooled buffers are cut from, and how much of it is cut. */
  private slab: ArrayBuffer = new ArrayBuffer(0);
  private slabUsed = 0;

  constructor(
    /** Cap on the bytes held for reuse. */
    private readonly maxBytes = 32 * 1024 * 1024,
    readonly poison = process.env.KESTREL_DEBUG_RECORD_POOL === '1',
  ) {}

  /**
   * A private copy of bytes[start, start + length), in a pooled buffer when one is free; its
   * DataView is `lastView` until the next copy.
   */
  copy(bytes: Uint8Array, start: number, length: number): Uint8Array {
    this.counters.taken++;
    const cls = Math.ceil(length / CLASS_BYTES);
    let out: Uint8Array | undefined;
    if (length <= MAX_POOLED_BYTES) {
      out = this.free[cls]?.pop();
      if (out !== undefined) {
        this.lastView = this.freeViews[cls]!.pop()!;
        this.pooledBytes -= out.length;
        this.counters.reused++;
      } else out = this.cut(cls * CLASS_BYTES);
    } else {
      out = new Uint8Array(length);
      this.lastView = new DataView(out.buffer);
    }
    out.set(bytes.subarray(start, start + length));
    return out;
  }

  /**
   * A new pooled buffer, cut from a shared slab: an ArrayBuffer of its own per buffer cost
   * ~7 µs each in a partition worker (allocation, zeroing, page faults, and V8's bookkeeping of
   * every live ArrayBuffer), and the pool makes thousands while it grows to its peak.
   */
  private cut(size: number): Uint8Array {
    if (this.slabUsed + size > this.slab.byteLength) {
      this.slab = new ArrayBuffer(SLAB_BYTES);
      this.slabUsed = 0;
    }
    const out = new Uint8Array(this.slab, this.slabUsed, size);
    this.lastView = new DataView(this.slab, this.slabUsed, size);
    this.slabUsed += size;
    return out;
  }

  /** Takes a buffer back (from copy(), with its DataView) once nothing reads it any more. */
  give(buffer: Uint8Array, view: DataView): void {
    const cls = buffer.length / CLASS_BYTES;
    if (buffer.length > MAX_POOLED_BYTES || !Number.isInteger(cls) || this.pooledBytes + buffer.length > this.maxBytes) {
      this.counters.dropped++;
      return;
    }
    if (this.poison) buffer.fill(0xee);
    (this.free[cls] ??= []).push(buffer);
    (this.freeViews[cls] ??= []).push(view);
    this.pooledBytes += buffer.length;
    this.counters.given++;
  }
}

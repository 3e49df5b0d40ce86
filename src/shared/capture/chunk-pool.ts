// Buffers for capture chunks that outlive the reader's next read (CaptureReaderOptions.chunkPool).
//
// Replay's predicate jobs hold a view of their chunk until their bits are back and their records
// routed. A new buffer per chunk made every chunk's pages fault in as the read filled them: ~0.4 s
// of main-thread time per 480 MB capture, on the thread that bounds `--workers 1`. A chunk given
// back once nothing reads it is read into again, so its pages are already mapped.
//
// A buffer that is never given back is simply garbage collected: a pool that gets nothing back
// behaves like a new buffer per chunk.

/** Pooled buffers are this many bytes or a multiple, so chunks of slightly different sizes share them. */
const GRAIN = 256 * 1024;

export class ChunkPool {
  private readonly free: ArrayBuffer[] = [];

  /** `maxFree`: most buffers kept for reuse; more given back are dropped. */
  constructor(private readonly maxFree = 16) {}

  /**
   * `size` bytes, unzeroed (the reader fills every byte): a plain Uint8Array over a pooled
   * buffer with room, else over a new one. Not a Buffer, whose slice() would be a view where
   * callers expect a copy.
   */
  take(size: number): Uint8Array<ArrayBuffer> {
    for (let i = this.free.length - 1; i >= 0; i--) {
      const b = this.free[i]!;
      if (b.byteLength < size) continue;
      this.free.splice(i, 1);
      return new Uint8Array(b, 0, size);
    }
    const capacity = Math.max(GRAIN, Math.ceil(size / GRAIN) * GRAIN);
    return new Uint8Array(Buffer.allocUnsafeSlow(capacity).buffer as ArrayBuffer, 0, size);
  }

  /** Gives back a buffer from take(); nothing may read or keep a view of it afterwards. */
  give(bytes: Uint8Array): void {
    if (this.free.length < this.maxFree) this.free.push(bytes.buffer as ArrayBuffer);
  }

  /** Buffers waiting to be taken again (for tests). */
  get freeCount(): number {
    return this.free.length;
  }
}

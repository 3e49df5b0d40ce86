// Copying record bytes out of a buffer that will be reused (a capture chunk, a ring segment).

/**
 * A private copy of bytes[start, end). Not `slice`: on a Node Buffer that returns a view of the
 * same memory, which a reused read buffer would then change under the cache.
 *
 * Copies come from Node's shared allocation pool (Buffer.allocUnsafe: views into 8 KiB slabs, not
 * zero-filled): a typed array of its own per record cost a backing-store allocation and fresh
 * pages each, about 5 µs per 1 KiB record, and the state stage copies ~100k records per 500k
 * events. A slab stays alive while any copy in it does, which bounds the overhead to one slab
 * per long-lived copy at worst. Every byte of the copy is written, so the pool's old contents
 * never show through.
 */
export function copyBytes(bytes: Uint8Array, start: number, end: number): Uint8Array {
  const out = Buffer.allocUnsafe(end - start);
  out.set(bytes.subarray(start, end));
  return out;
}

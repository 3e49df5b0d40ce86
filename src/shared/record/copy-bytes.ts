// Copying record bytes out of a buffer that will be reused (a capture chunk, a ring segment).

/**
 * A private copy of bytes[start, end). Not `slice`: on a Node Buffer that returns a view of the
 * same memory, which a reused read buffer would then change under the cache.
 */
export function copyBytes(bytes: Uint8Array, start: number, end: number): Uint8Array {
  const out = new Uint8Array(end - start);
  out.set(bytes.subarray(start, end));
  return out;
}

// Comparing two byte ranges: record values against remembered ones (memos, caches, literals).

/**
 * Whether a[aAt, aAt + len) equals b[bAt, bAt + len). From the end: values that share a prefix
 * (a folder, "process" and "processes") differ there first.
 */
export function sameBytes(a: Uint8Array, aAt: number, b: Uint8Array, bAt: number, len: number): boolean {
  for (let i = len - 1; i >= 0; i--) if (a[aAt + i] !== b[bAt + i]) return false;
  return true;
}

// How many records of a predicate batch had at least one true step predicate: the "matched"
// stage of kestrel_events_total. A scan of the bit words already computed, never a per-event
// message or allocation.

/** Records among `count` (W words of bits each, from `bits[from]`) with any bit set. */
export function recordsWithBits(bits: Uint32Array, count: number, W: number, from = 0): number {
  let n = 0;
  for (let r = 0, at = from; r < count; r++, at += W) {
    for (let w = 0; w < W; w++) {
      if (bits[at + w] !== 0) {
        n++;
        break;
      }
    }
  }
  return n;
}

// How many records of a predicate batch had at least one true step predicate: the "matched"
// stage of kestrel_events_total. One pass over the batch's bit words, done per batch, never a
// per-event message or allocation.

/** Records among `count` (W words of bits each, from `bits[0]`) with any bit set. */
export function recordsWithBits(bits: Uint32Array, count: number, W: number): number {
  let n = 0;
  for (let r = 0, at = 0; r < count; r++, at += W) {
    for (let w = 0; w < W; w++) {
      if (bits[at + w] !== 0) {
        n++;
        break;
      }
    }
  }
  return n;
}

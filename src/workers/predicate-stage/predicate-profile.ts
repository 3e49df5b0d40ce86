// Per-filter counts for `kestrel replay --profile`: how often each step predicate was evaluated
// (a candidate of the discriminator index whose category the record has) and how often it was
// true, plus a sample of records to time each predicate on afterwards (calibrate). Only allocated
// when profiling: the normal path pays one null check per batch.

/** Records kept to time each predicate on; enough for stable figures, small enough to copy. */
const SAMPLE_RECORDS = 8192;

export class PredicateProfile {
  readonly calls: Float64Array;
  readonly trues: Float64Array;
  /** The sampled records (copied), their offsets, and each one's evaluated-predicate words. */
  sampleBytes: Uint8Array[] = [];
  sampleOffsets: number[][] = [];
  sampleCandidates: Uint32Array[] = [];
  sampleCount = 0;

  constructor(readonly filterCount: number, readonly wordsPerRecord: number) {
    this.calls = new Float64Array(filterCount);
    this.trues = new Float64Array(filterCount);
  }

  /**
   * Counts one batch: `evaluated` holds, per record, the predicates that ran (candidates within
   * the record's category), `bits` the true ones. Keeps the batch as a sample while room is left.
   */
  count(bytes: Uint8Array, offsets: ArrayLike<number>, count: number, evaluated: Uint32Array, bits: Uint32Array): void {
    const W = this.wordsPerRecord;
    for (let i = 0; i < count * W; i++) {
      countBits(evaluated[i]!, ((i % W) << 5), this.calls);
      countBits(bits[i]!, ((i % W) << 5), this.trues);
    }
    if (this.sampleCount >= SAMPLE_RECORDS || count === 0) return;
    const n = Math.min(count, SAMPLE_RECORDS - this.sampleCount);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const lo = offsets[0]!;
    const last = offsets[n - 1]!;
    const copy = bytes.slice(lo, last + dv.getUint32(last, true));
    const rel: number[] = [];
    for (let i = 0; i < n; i++) rel.push(offsets[i]! - lo);
    this.sampleBytes.push(copy);
    this.sampleOffsets.push(rel);
    this.sampleCandidates.push(evaluated.slice(0, n * W));
    this.sampleCount += n;
  }
}

function countBits(word: number, base: number, into: Float64Array): void {
  while (word !== 0) {
    const low = word & -word;
    word ^= low;
    into[base + 31 - Math.clz32(low)]!++;
  }
}

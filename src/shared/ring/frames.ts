// Frames are the unit of transfer on every ring: a fixed 6-word header and a payload padded to
// 8 bytes, so frames that start 8-byte aligned keep their payloads aligned for in-place reads
// (DataView today, Wasm loads later). All fields are 32-bit words; the 64-bit sequence number is
// split into two words so the hot path never touches BigInt (seq < 2^53 is enforced by the reader).

/** Header word offsets. */
export const F_LENGTH_WORDS = 0; // whole frame, header included, always even
export const F_TYPE = 1;
export const F_GROUP_MASK = 2; // input frames: key groups this partition got the event for; alerts: rule index
export const F_PAYLOAD_BYTES = 3; // payload length before padding
export const F_SEQ_LO = 4;
export const F_SEQ_HI = 5;
export const FRAME_HEADER_WORDS = 6;

/** Frame types on input rings (main → worker). */
export const FrameType = {
  /** An event record for the partition. */
  record: 1,
  /** "Every event up to seq has been routed": lets a partition without traffic advance. */
  watermark: 2,
  /**
   * End of stream: flush pending windows (trailing missing events), then report done. With mask
   * END_STOPPED the input was cut short (SIGINT): nothing is flushed, progress stays where it is.
   */
  end: 3,
  /** Alert from a worker (alert rings). Payload: UTF-8 JSON. F_GROUP_MASK holds the rule index. */
  alert: 4,
  /** Worker progress: everything up to seq is processed and its alerts are already in the ring. */
  progress: 5,
  /**
   * A new ruleset generation (input rings). No payload; F_GROUP_MASK holds the generation number,
   * whose processor config came on the worker's config port (protocol.ts RulesetMessage). Every
   * partition gets it at the same point of the stream, so the switch is deterministic: events
   * before it are judged by the old rules, events after it by the new ones.
   */
  ruleset: 7,
  /**
   * An event record with the bits of its true step predicates (main ran the predicate stage).
   * Payload: the record (its first u32 is its length), padded to 4 bytes, then the bitset words.
   * F_GROUP_MASK holds the record's input ordinal for this partition (router.ts).
   */
  matched: 8,
  /**
   * A predicate job (input rings): evaluate the step predicates of a batch of records, keep no
   * state. F_GROUP_MASK holds the job id. Payload: u32 record count, u32 offset of each record from
   * the records' start, then (8-byte aligned) the records back to back.
   */
  predicateJob: 9,
  /**
   * A predicate job's result (alert rings): F_GROUP_MASK holds the job id; payload: the bitset
   * words of every record of the job, record by record.
   */
  predicateBits: 10,
  /** Worker-side error report (alert rings). Payload: UTF-8 JSON {code, message, ruleId?}. */
  error: 6,
} as const;

/** Mask of an end frame whose input was stopped early: undecided results must not be flushed. */
export const END_STOPPED = 1;

export const TWO_32 = 4294967296;

/** Words of a predicate job's payload before its records: the count and the offsets. */
function jobHeadWords(count: number): number {
  return 1 + count + ((1 + count) & 1); // keeps the records 8-byte aligned
}

/** Words a predicate job frame of `count` records spanning `spanBytes` occupies (appendPredicateJob). */
export function predicateJobWords(count: number, spanBytes: number): number {
  return frameWords(4 * jobHeadWords(count) + spanBytes);
}

/** Words a frame with `payloadBytes` of payload occupies. */
export function frameWords(payloadBytes: number): number {
  return FRAME_HEADER_WORDS + (((payloadBytes + 7) >>> 3) << 1);
}

export function frameSeq(words: Uint32Array, at: number): number {
  return words[at + F_SEQ_HI] * TWO_32 + words[at + F_SEQ_LO];
}

/**
 * Writes a frame header at `at` in `words`. The payload goes after it (the caller copies it, so it
 * can come straight from wherever the bytes already are).
 */
export function writeFrameHeader(words: Uint32Array, at: number, type: number, mask: number, payloadBytes: number, seq: number): number {
  const len = frameWords(payloadBytes);
  words[at + F_LENGTH_WORDS] = len;
  words[at + F_TYPE] = type;
  words[at + F_GROUP_MASK] = mask >>> 0;
  words[at + F_PAYLOAD_BYTES] = payloadBytes;
  words[at + F_SEQ_LO] = seq % TWO_32;
  words[at + F_SEQ_HI] = Math.floor(seq / TWO_32);
  return len;
}

/**
 * A growable staging area of frames for one destination ring. The producer appends frames here
 * and moves the whole batch into the ring in one write (batches amortise the ring's atomics and
 * the consumer's wake-up; batch size 1 is 5–10× slower, see ARCHITECTURE §9).
 */
export class FrameBatch {
  words: Uint32Array;
  bytes: Uint8Array;
  lengthWords = 0;
  frames = 0;

  constructor(initialWords = 16 * 1024) {
    this.words = new Uint32Array(initialWords);
    this.bytes = new Uint8Array(this.words.buffer);
  }

  /** Appends a frame whose payload is `payload[from, from+len)`. */
  append(type: number, mask: number, seq: number, payload: Uint8Array | null, from = 0, len = 0): void {
    const need = frameWords(len);
    this.ensure(need);
    const at = this.lengthWords;
    writeFrameHeader(this.words, at, type, mask, len, seq);
    if (payload && len > 0) this.bytes.set(payload.subarray(from, from + len), (at + FRAME_HEADER_WORDS) * 4);
    this.lengthWords += need;
    this.frames++;
  }

  /**
   * Appends a `matched` frame: the record `record[from, from+len)` and then `wordCount` bit words
   * from `bits[bitsAt…]`, word-aligned after it.
   */
  appendMatched(ordinal: number, seq: number, record: Uint8Array, from: number, len: number, bits: Uint32Array, bitsAt: number, wordCount: number): void {
    const recordWords = (len + 3) >>> 2;
    const payload = 4 * (recordWords + wordCount);
    const need = frameWords(payload);
    this.ensure(need);
    const at = this.lengthWords;
    writeFrameHeader(this.words, at, FrameType.matched, ordinal, payload, seq);
    const start = at + FRAME_HEADER_WORDS;
    this.bytes.set(record.subarray(from, from + len), start * 4);
    for (let w = 0; w < wordCount; w++) this.words[start + recordWords + w] = bits[bitsAt + w]!;
    this.lengthWords += need;
    this.frames++;
  }

  /**
   * Appends a predicate job: `count` records of `bytes` at `offsets`, which must lie in order in
   * one span (a capture chunk, or part of one), copied as that span.
   */
  appendPredicateJob(jobId: number, seq: number, bytes: Uint8Array, offsets: ArrayLike<number>, from: number, count: number, spanEnd: number): void {
    const lo = offsets[from]!;
    const headWords = jobHeadWords(count);
    const payload = 4 * headWords + (spanEnd - lo);
    const need = frameWords(payload);
    this.ensure(need);
    const at = this.lengthWords;
    writeFrameHeader(this.words, at, FrameType.predicateJob, jobId, payload, seq);
    const start = at + FRAME_HEADER_WORDS;
    this.words[start] = count;
    for (let i = 0; i < count; i++) this.words[start + 1 + i] = offsets[from + i]! - lo;
    this.bytes.set(bytes.subarray(lo, spanEnd), (start + headWords) * 4);
    this.lengthWords += need;
    this.frames++;
  }

  clear(): void {
    this.lengthWords = 0;
    this.frames = 0;
  }

  private ensure(extra: number): void {
    if (this.lengthWords + extra <= this.words.length) return;
    let size = this.words.length * 2;
    while (size < this.lengthWords + extra) size *= 2;
    const grown = new Uint32Array(size);
    grown.set(this.words.subarray(0, this.lengthWords));
    this.words = grown;
    this.bytes = new Uint8Array(grown.buffer);
  }
}

/**
 * Consumer-side reassembly: reads whatever the ring has into a buffer, hands out complete frames,
 * and keeps an incomplete tail for the next read (a read may stop mid-frame when the buffer is
 * smaller than what is available).
 */
export class FrameReader {
  readonly words: Uint32Array;
  readonly bytes: Uint8Array;
  private filled = 0;
  private cursor = 0;

  constructor(capacityWords: number) {
    this.words = new Uint32Array(capacityWords);
    this.bytes = new Uint8Array(this.words.buffer);
  }

  /** Moves the unconsumed tail to the front and fills the rest from `read`. Returns words added. */
  refill(read: (target: Uint32Array, offset: number, max: number) => number): number {
    if (this.cursor > 0) {
      this.words.copyWithin(0, this.cursor, this.filled);
      this.filled -= this.cursor;
      this.cursor = 0;
    }
    const n = read(this.words, this.filled, this.words.length - this.filled);
    this.filled += n;
    return n;
  }

  /** Offset (in words) of the next complete frame, or -1. Advances past it. */
  next(): number {
    const at = this.cursor;
    if (this.filled - at < FRAME_HEADER_WORDS) return -1;
    const len = this.words[at + F_LENGTH_WORDS];
    if (len < FRAME_HEADER_WORDS || len > this.words.length) throw new Error(`internal: corrupt frame length ${len} at word ${at}`);
    if (this.filled - at < len) return -1;
    this.cursor = at + len;
    return at;
  }
}

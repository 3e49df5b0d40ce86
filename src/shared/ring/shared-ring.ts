// A single-producer single-consumer ring of 32-bit words between two threads, built on ringbuf.js,
// plus the sleep/wake protocol ringbuf.js leaves to its user. Producers write whole frames only
// (never part of one), so a consumer always sees complete frames once it has read a frame's words.
//
// Memory: two SharedArrayBuffers.
//   data    — owned by ringbuf.js: write index at byte 0, read index at byte 4, then storage.
//   control — Int32Array of CTRL_* fields below (our flags).
//
// Wake-up protocol (both directions):
//   The side that wants to sleep sets its flag, re-checks the ring, and only then waits on the
//   index word the other side moves. The other side moves the index first and then reads the flag;
//   it notifies only when the flag is set. Because Atomics operations are sequentially consistent,
//   either the sleeper's re-check sees the new data, or the mover sees the flag, or the sleeper's
//   wait sees a changed index word and returns at once: a wake-up is never lost, and the common
//   case (the other side is busy) costs no notify at all.
import { RingBuffer } from 'ringbuf.js';

/** Index words inside the data SAB, as ringbuf.js lays them out. */
const WRITE_INDEX_WORD = 0;
const READ_INDEX_WORD = 1;

/** Fields of the control SAB (Int32 indices). */
export const CTRL_CONSUMER_SLEEPING = 0;
export const CTRL_PRODUCER_WAITING = 1;
/** Set by the producer when no more frames will come. */
export const CTRL_CLOSED = 2;
const CTRL_FIELDS = 4;

export interface SharedRingHandles {
  data: SharedArrayBuffer;
  control: SharedArrayBuffer;
}

type Words = Uint32Array;

export class SharedRing {
  readonly handles: SharedRingHandles;
  private readonly ring: RingBuffer;
  private readonly index: Int32Array;
  private readonly control: Int32Array;
  /** Usable capacity in words. */
  readonly capacityWords: number;

  /** Allocates a ring that holds `capacityWords` 32-bit words. */
  static create(capacityWords: number): SharedRing {
    if (!Number.isInteger(capacityWords) || capacityWords < 16) throw new RangeError('ring capacity must be an integer of at least 16 words');
    return new SharedRing({
      data: RingBuffer.getStorageForCapacity(capacityWords, Uint32Array as never),
      control: new SharedArrayBuffer(CTRL_FIELDS * 4),
    });
  }

  /** Attaches to a ring created by another thread (handles arrive via postMessage/workerData). */
  constructor(handles: SharedRingHandles) {
    this.handles = handles;
    this.ring = new RingBuffer(handles.data, Uint32Array as never);
    this.index = new Int32Array(handles.data, 0, 2);
    this.control = new Int32Array(handles.control);
    this.capacityWords = this.ring.capacity();
    // ringbuf.js copies element by element unless a copy happens to be whole-array; a typed-array
    // set() over subarrays is a memcpy. Patched per instance so the library itself stays untouched.
    (this.ring as unknown as { _copy: typeof fastCopy })._copy = fastCopy;
  }

  // ───────────── producer side ─────────────

  /** Free words right now (may be stale-low while the consumer reads, never stale-high). */
  freeWords(): number {
    return this.ring.available_write();
  }

  /**
   * Writes `length` words of `frames` starting at `offset`, all or nothing. Returns false when the
   * ring lacks room; the caller waits (replay) or counts a drop (live).
   */
  tryWrite(frames: Words, offset: number, length: number): boolean {
    if (length === 0) return true;
    if (this.ring.available_write() < length) return false;
    const written = this.ring.push(frames, length, offset);
    if (written !== length) throw new Error(`internal: ring wrote ${written} of ${length} words`);
    return true;
  }

  /** Wakes the consumer if it is asleep. Call after a batch of writes, not after each frame. */
  wakeConsumer(): void {
    // Race avoided: see the protocol above; the flag is read after the write index moved.
    if (Atomics.load(this.control, CTRL_CONSUMER_SLEEPING) !== 0) Atomics.notify(this.index, WRITE_INDEX_WORD, 1);
  }

  /** Marks the stream finished and wakes the consumer so it can see it. */
  close(): void {
    Atomics.store(this.control, CTRL_CLOSED, 1);
    // Unconditional: a consumer that checked `closed` just before this store must not sleep forever.
    Atomics.notify(this.index, WRITE_INDEX_WORD, 1);
  }

  /**
   * Resolves when at least `words` words are free, or after `timeoutMs`. Used by the main thread,
   * which must not block its event loop.
   */
  async waitForSpace(words: number, timeoutMs = 50): Promise<void> {
    if (this.ring.available_write() >= words) return;
    Atomics.store(this.control, CTRL_PRODUCER_WAITING, 1);
    const seenRead = Atomics.load(this.index, READ_INDEX_WORD);
    // Re-check after raising the flag: the consumer may have read between our check and the flag.
    if (this.ring.available_write() < words) await waitAsyncKeepingAlive(this.index, READ_INDEX_WORD, seenRead, timeoutMs);
    Atomics.store(this.control, CTRL_PRODUCER_WAITING, 0);
  }

  /** Blocking version for worker threads (a full alert ring waits for main to drain it). */
  sleepUntilSpace(words: number, timeoutMs: number): void {
    if (this.ring.available_write() >= words) return;
    Atomics.store(this.control, CTRL_PRODUCER_WAITING, 1);
    const seenRead = Atomics.load(this.index, READ_INDEX_WORD);
    if (this.ring.available_write() < words) Atomics.wait(this.index, READ_INDEX_WORD, seenRead, timeoutMs);
    Atomics.store(this.control, CTRL_PRODUCER_WAITING, 0);
  }

  // ───────────── consumer side ─────────────

  /** Words ready to read. */
  availableWords(): number {
    return this.ring.available_read();
  }

  isClosed(): boolean {
    return Atomics.load(this.control, CTRL_CLOSED) !== 0;
  }

  /** Reads up to `maxWords` words into `target` at `offset`. Returns the number of words read. */
  read(target: Words, offset: number, maxWords: number): number {
    const n = this.ring.pop(target, maxWords, offset);
    // Race avoided: the read index moved before we look at the flag (see protocol above).
    if (n > 0 && Atomics.load(this.control, CTRL_PRODUCER_WAITING) !== 0) Atomics.notify(this.index, READ_INDEX_WORD, 1);
    return n;
  }

  /**
   * Blocks the calling worker thread until data arrives, the ring is closed, or `timeoutMs` passes.
   * Never call on the main thread (use waitForData).
   */
  sleepUntilData(timeoutMs: number): void {
    Atomics.store(this.control, CTRL_CONSUMER_SLEEPING, 1);
    const seenWrite = Atomics.load(this.index, WRITE_INDEX_WORD);
    if (this.ring.available_read() === 0 && !this.isClosed()) Atomics.wait(this.index, WRITE_INDEX_WORD, seenWrite, timeoutMs);
    Atomics.store(this.control, CTRL_CONSUMER_SLEEPING, 0);
  }

  /** Async version for the main thread (alert rings). */
  async waitForData(timeoutMs: number): Promise<void> {
    Atomics.store(this.control, CTRL_CONSUMER_SLEEPING, 1);
    const seenWrite = Atomics.load(this.index, WRITE_INDEX_WORD);
    if (this.ring.available_read() === 0 && !this.isClosed()) await waitAsyncKeepingAlive(this.index, WRITE_INDEX_WORD, seenWrite, timeoutMs);
    Atomics.store(this.control, CTRL_CONSUMER_SLEEPING, 0);
  }
}

/**
 * Atomics.waitAsync does not keep Node's event loop alive: if every worker has exited while main
 * awaits one, the process would end mid-await (exit 0, output lost). A ref'd timer of the same
 * length keeps the process alive for as long as the wait may last.
 */
async function waitAsyncKeepingAlive(view: Int32Array, index: number, value: number, timeoutMs: number): Promise<void> {
  const res = Atomics.waitAsync(view, index, value, timeoutMs);
  if (!res.async) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([res.value, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs + 1)))]);
  clearTimeout(timer);
}

function fastCopy(input: Words, offsetIn: number, output: Words, offsetOut: number, size: number): void {
  if (size > 0) output.set(input.subarray(offsetIn, offsetIn + size), offsetOut);
}

// A partition worker: drains its input ring in batches, feeds its processor, and sends alerts and
// progress back on its alert ring. It owns every piece of state for the keys hashed to its
// partition, so it never shares mutable data with other threads.
//
// Ordering contract with the main thread's merge (runtime/merge.ts): within the alert ring, every
// alert with ordering seq ≤ S is written before the progress frame for S.
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { setTimeout as sleep } from 'node:timers/promises';
import { SharedRing } from '../shared/ring/shared-ring.js';
import { END_STOPPED, FrameBatch, FrameReader, FrameType, F_GROUP_MASK, F_PAYLOAD_BYTES, F_TYPE, FRAME_HEADER_WORDS, frameSeq } from '../shared/ring/frames.js';
import {
  COUNTER_ALERTS, COUNTER_BATCHES, COUNTER_BUSY_NS, COUNTER_EVENTS, COUNTER_EVICTIONS, COUNTER_EVICTIONS_PER_KEY,
  COUNTER_EVICTIONS_PER_RULE, COUNTER_EVICTIONS_TOTAL, COUNTER_LAST_SEQ, COUNTER_PARTIALS_LIVE, COUNTER_SLEEPS,
  COUNTER_STATE_ENTRIES, COUNTER_GENERATION, COUNTER_PREDICATE_RECORDS, COUNTER_PREDICATE_TRUE, type PartitionWorkerData, type PrestartedConfig, type RulesetMessage, type WorkerMessage,
} from '../shared/runtime/protocol.js';
import type { AlertOut, CreateProcessor } from './processor.js';

const data = workerData as PartitionWorkerData;
const port = parentPort!;
const input = new SharedRing(data.input);
const alertRing = new SharedRing(data.alerts);
const counters = new Float64Array(data.counters);
const reader = new FrameReader(data.readBufferWords);
const out = new FrameBatch(4096);
const utf8 = new TextEncoder();
/** How long one sleep may last before re-checking (a safety net; wake-ups normally come by notify). */
const SLEEP_MS = 200;

function post(msg: WorkerMessage): void {
  port.postMessage(msg);
}

async function main(): Promise<void> {
  // Imported while a prestarted worker waits for its config (the caller reads its rules meanwhile).
  const importing = import(data.processorModule) as Promise<{ createProcessor: CreateProcessor }>;
  importing.catch(() => undefined); // an import failure is reported where it is awaited, not as unhandled
  if (data.configPending) {
    const first = await nextConfigMessage<PrestartedConfig>();
    Object.assign(data, { partition: first.partition, partitions: first.partitions, generation: first.generation, processorConfig: first.config, configFollows: first.configFollows });
  }
  const { createProcessor } = await importing;
  let generation = data.generation;
  let config = data.processorConfig;
  const complete = data.configFollows ? configOf(generation) : undefined;
  let proc = await createProcessor({ partition: data.partition, partitions: data.partitions, config, complete });
  let countedProc = proc;
  let countedRecords = 0;
  let countedTrue = 0;
  if (complete) config = await complete;
  counters[COUNTER_GENERATION] = generation;
  post({ type: 'ready' });

  let alertsSent = 0;
  const emit = (a: AlertOut): void => {
    const bytes = utf8.encode(a.json);
    out.append(FrameType.alert, a.ruleIndex, a.seq, bytes, 0, bytes.length);
    alertsSent++;
  };

  let lastSeq = -1;
  let lastOrdinal = -1;
  let published = -1;
  let events = 0;
  let ended = false;
  let stopped = false;
  const timeView = new DataView(reader.bytes.buffer);
  let frameAt = new Uint32Array(1024);
  let recordOffsets = new Uint32Array(1024);
  let jobOffsets = new Uint32Array(4096);

  while (!ended) {
    reader.refill((t, o, m) => input.read(t, o, m));
    let at = reader.next();
    if (at < 0) {
      if (input.isClosed() && input.availableWords() === 0) throw new Error('input ring closed without an end frame');
      counters[COUNTER_SLEEPS]++;
      input.sleepUntilData(SLEEP_MS);
      continue;
    }
    const started = process.hrtime.bigint();
    // Take every complete frame first so the processor sees the batch's records at once
    // (Processor.beginBatch: one Wasm predicate call); the reader's buffer holds them until refill.
    let frames = 0;
    let records = 0;
    const words = reader.words;
    for (; at >= 0; at = reader.next()) {
      if (frames === frameAt.length) frameAt = grow(frameAt);
      frameAt[frames++] = at;
      if (words[at + F_TYPE] === FrameType.record) {
        if (records === recordOffsets.length) recordOffsets = grow(recordOffsets);
        recordOffsets[records++] = (at + FRAME_HEADER_WORDS) * 4;
      }
    }
    if (records > 0) proc.beginBatch?.(reader.bytes, recordOffsets, records);
    for (let f = 0; f < frames; f++) {
      at = frameAt[f]!;
      const seq = frameSeq(words, at);
      switch (words[at + F_TYPE]) {
        case FrameType.record:
          proc.onEvent(reader.bytes, (at + FRAME_HEADER_WORDS) * 4, words[at + F_PAYLOAD_BYTES], seq, words[at + F_GROUP_MASK], emit);
          events++;
          lastSeq = seq;
          break;
        case FrameType.matched: {
          // The record (its first word is its length), then its predicate bits, word-aligned.
          const recordAt = at + FRAME_HEADER_WORDS;
          const length = words[recordAt]!;
          const onMatched = proc.onMatched;
          if (!onMatched) throw new Error('internal: a matched frame reached a processor without onMatched');
          onMatched.call(proc, reader.bytes, recordAt * 4, length, seq, words, recordAt + ((length + 3) >>> 2), emit);
          lastOrdinal = words[at + F_GROUP_MASK]!;
          events++;
          lastSeq = seq;
          break;
        }
        case FrameType.predicateJob: {
          // Stateless work for main: the bits of a batch of records, sent back on the alert ring.
          const head = at + FRAME_HEADER_WORDS;
          const count = words[head]!;
          const headWords = 1 + count + ((1 + count) & 1);
          const base = (head + headWords) * 4;
          if (jobOffsets.length < count) jobOffsets = new Uint32Array(count * 2);
          for (let i = 0; i < count; i++) jobOffsets[i] = base + words[head + 1 + i]!;
          if (!proc.evaluatePredicates) throw new Error('internal: a predicate job reached a processor without evaluatePredicates');
          const bits = proc.evaluatePredicates(reader.bytes, jobOffsets, count);
          const n = count * proc.predicateWords!;
          out.append(FrameType.predicateBits, words[at + F_GROUP_MASK]!, seq, new Uint8Array(bits.buffer, bits.byteOffset, n * 4), 0, n * 4);
          flush();
          break;
        }
        case FrameType.watermark:
          proc.onWatermark(seq, timeView.getFloat64((at + FRAME_HEADER_WORDS) * 4, true), emit);
          if (seq > lastSeq) lastSeq = seq;
          break;
        case FrameType.ruleset: {
          // A new ruleset generation, between two events: the old one ends as a stream would
          // (pending windows are decided, nothing is silently dropped), the new one starts empty.
          proc.onEnd(emit);
          const next = words[at + F_GROUP_MASK];
          // A worker restarted after the swap was staged already runs that generation (or a later
          // one): it only starts afresh, as the others do here.
          if (next > generation) {
            config = await configOf(next);
            generation = next;
          }
          proc = await createProcessor({ partition: data.partition, partitions: data.partitions, config });
          counters[COUNTER_GENERATION] = generation;
          break;
        }
        case FrameType.end:
          // A stopped stream has no end: results that wait for more input stay undecided.
          stopped = words[at + F_GROUP_MASK] === END_STOPPED;
          if (!stopped) proc.onEnd(emit);
          ended = true;
          break;
        default:
          throw new Error(`internal: unknown frame type ${words[at + F_TYPE]} on input ring`);
      }
    }
    if (lastOrdinal >= 0) proc.publishIdle?.(lastOrdinal | 0);
    // Progress after each batch, held below the processor's floor (see Processor.progressFloor).
    const progress = ended && !stopped ? Number.MAX_SAFE_INTEGER : Math.min(lastSeq, proc.progressFloor() - 1);
    if (progress > published) {
      out.append(FrameType.progress, 0, progress, null);
      published = progress;
    }
    flush();
    counters[COUNTER_EVENTS] = events;
    counters[COUNTER_ALERTS] = alertsSent;
    counters[COUNTER_BATCHES]++;
    counters[COUNTER_LAST_SEQ] = lastSeq;
    counters[COUNTER_STATE_ENTRIES] = proc.stateEntries();
    counters[COUNTER_EVICTIONS] = proc.evictions();
    if (proc.partialsLive) counters[COUNTER_PARTIALS_LIVE] = proc.partialsLive();
    if (proc.evictionsByKind) {
      const ev = proc.evictionsByKind();
      counters[COUNTER_EVICTIONS_PER_KEY] = ev.perKey;
      counters[COUNTER_EVICTIONS_PER_RULE] = ev.perRule;
      counters[COUNTER_EVICTIONS_TOTAL] = ev.total;
    }
    // Cumulative across generations: a swap starts a new processor counting from 0.
    const p = proc as Partial<{ predicateRecords: number; predicateRecordsTrue: number }>;
    if (proc !== countedProc) {
      countedProc = proc;
      countedRecords = 0;
      countedTrue = 0;
    }
    counters[COUNTER_PREDICATE_RECORDS] += (p.predicateRecords ?? 0) - countedRecords;
    counters[COUNTER_PREDICATE_TRUE] += (p.predicateRecordsTrue ?? 0) - countedTrue;
    countedRecords = p.predicateRecords ?? 0;
    countedTrue = p.predicateRecordsTrue ?? 0;
    counters[COUNTER_BUSY_NS] += Number(process.hrtime.bigint() - started);
  }
  alertRing.close();
}

/**
 * The config of ruleset generation `generation` from the config port. For a ruleset frame, main
 * posted it before the frame could reach the ring, so it is queued already; a start-up config
 * (configFollows) comes when main has built it, or main terminates this worker. Polled, because
 * the loop never yields to the event loop while it runs, so no 'message' listener would fire.
 */
async function configOf(generation: number): Promise<unknown> {
  const m = await nextConfigMessage<RulesetMessage>();
  if (m.generation === generation) return m.config;
  throw new Error(`internal: expected the config of ruleset generation ${generation}, got ${m.generation}`);
}

/** The next message on the config port, polled (see configOf). */
async function nextConfigMessage<T>(): Promise<T> {
  for (let pause = 1; ; pause = Math.min(pause * 2, 16)) {
    const got = receiveMessageOnPort(data.configPort);
    if (got) return got.message as T;
    await sleep(pause);
  }
}

function grow(a: Uint32Array<ArrayBuffer>): Uint32Array<ArrayBuffer> {
  const b = new Uint32Array(a.length * 2);
  b.set(a);
  return b;
}

/** Moves staged alert/progress frames into the alert ring, waiting for main to drain when full. */
function flush(): void {
  let at = 0;
  while (at < out.lengthWords) {
    // Largest run of whole frames that fits the ring right now (at least one frame).
    let end = at;
    const room = Math.max(alertRing.freeWords(), 0);
    while (end < out.lengthWords && end + out.words[end] - at <= room) end += out.words[end];
    if (end === at) {
      const need = out.words[at];
      if (need > alertRing.capacityWords) throw new Error(`alert of ${need * 4} bytes exceeds the alert ring (${alertRing.capacityWords * 4} bytes)`);
      alertRing.sleepUntilSpace(need, SLEEP_MS);
      continue;
    }
    if (!alertRing.tryWrite(out.words, at, end - at)) continue;
    alertRing.wakeConsumer();
    at = end;
  }
  out.clear();
}

main().catch((e: unknown) => {
  const err = e as Error;
  post({ type: 'fatal', partition: data.partition, message: err?.message ?? String(e), stack: err?.stack });
  // Exit non-zero so main's supervisor sees the crash even if the message is lost.
  process.exit(70);
});

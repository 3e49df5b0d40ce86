// What the main thread and partition workers tell each other outside the rings. Ring traffic
// (records, watermarks, alerts, progress) is framed binary (see ring/frames.ts); this file covers
// start-up data and the few structured messages that go over postMessage.
import type { MessagePort } from 'node:worker_threads';
import type { SharedRingHandles } from '../ring/shared-ring.js';

export interface PartitionWorkerData {
  partition: number;
  partitions: number;
  input: SharedRingHandles;
  alerts: SharedRingHandles;
  /** Monitoring counters (Float64Array over this SAB, COUNTER_* indices). */
  counters: SharedArrayBuffer;
  /** Module (file URL) exporting `createProcessor(init)`; the EQL engine in production. */
  processorModule: string;
  /** Opaque, structured-clonable configuration for the processor (rules, schema, limits). */
  processorConfig: unknown;
  /** Ruleset generation of processorConfig (0 = the one the runtime started with). */
  generation: number;
  /**
   * Where the configs of later generations come (RulesetMessage), each posted before its
   * `ruleset` frame is written to the input ring. A port, not the ring, because a config may hold
   * a compiled WebAssembly.Module, which only a structured clone carries.
   */
  configPort: MessagePort;
  /**
   * processorConfig is a preview: the complete config of `generation` follows on the config port
   * (RuntimeOptions.completeConfig), and the worker starts its processor meanwhile.
   */
  configFollows: boolean;
  /** Words of the worker's input buffer (at least the largest frame). */
  readBufferWords: number;
  /**
   * Started before its config existed (PartitionRuntime.prestart): the first message on the
   * config port is a PrestartedConfig, which replaces partition, partitions, generation,
   * processorConfig and configFollows above.
   */
  configPending?: boolean;
}

/** What a prestarted worker waits for before it builds its processor. */
export interface PrestartedConfig {
  partition: number;
  partitions: number;
  generation: number;
  config: unknown;
  configFollows: boolean;
}

/** Counter slots in the per-worker counters SAB. Written by the worker, read by main for metrics. */
export const COUNTER_EVENTS = 0;
export const COUNTER_ALERTS = 1;
export const COUNTER_BATCHES = 2;
export const COUNTER_SLEEPS = 3;
export const COUNTER_LAST_SEQ = 4;
export const COUNTER_STATE_ENTRIES = 5;
export const COUNTER_EVICTIONS = 6;
export const COUNTER_ERRORS = 7;
export const COUNTER_BUSY_NS = 8;
export const COUNTER_PARTIALS_LIVE = 9;
export const COUNTER_EVICTIONS_PER_KEY = 10;
export const COUNTER_EVICTIONS_PER_RULE = 11;
export const COUNTER_EVICTIONS_TOTAL = 12;
/** Ruleset generation the worker runs (0 = the one it started with). */
export const COUNTER_GENERATION = 13;
/** Records whose step predicates this worker evaluated (bare record frames), and those with a true step: cumulative across generations. */
export const COUNTER_PREDICATE_RECORDS = 14;
export const COUNTER_PREDICATE_TRUE = 15;
export const COUNTER_SLOTS = 16;

/** Messages a worker posts to main (rare events only; data goes through rings). */
export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'fatal'; partition: number; message: string; stack?: string };

/** Main → worker on the config port: the processor config of one ruleset generation. */
export interface RulesetMessage {
  generation: number;
  config: unknown;
}

// Builds rulesets' Wasm predicate modules in a piscina thread, once per distinct ruleset: the
// detection pipeline asks for each ruleset generation and hands the compiled module to every
// partition worker, which then only instantiates it (instead of each worker generating and
// compiling its own, ~1 s apiece for the Elastic corpus). Results are cached in memory by a
// SHA-256 of what the module depends on: the queries, in order, the record schema and the code that
// generates it (cache/build-id.ts); in memory, and on disk (cache/disk-cache.ts), so a later run
// with the same rules compiles the stored module instead of building it (docs/runtime.md).
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import type { Piscina } from 'piscina';
import { InternalError } from '../shared/errors.js';
import type { PreparedPredicates } from '../shared/eql/codegen/evaluator.js';
import type { CodegenStats } from '../shared/eql/codegen/expr.js';
import { exportParsedQueries } from '../shared/eql/parser.js';
import { exportFilters, withCallsByName } from '../shared/eql/filter-transfer.js';
import type { CheckedFilter, CheckedQuery } from '../shared/eql/ir.js';
import { logger } from '../shared/log.js';
import { DiskCache, defaultCacheDir } from './cache/disk-cache.js';
import { buildId } from './cache/build-id.js';
import { rulesDigest } from './cache/rules-digest.js';
import type { RuleSpec } from '../shared/pipeline/ruleset.js';
import type { SchemaDescription } from '../shared/record/schema-desc.js';
import type { PredicateModuleTask, PredicateModuleTaskResult, StreamedBuildTask, StreamMessage } from '../workers/predicate-module-worker.js';
import { predicateFilters } from '../shared/pipeline/ruleset.js';
import { workerModule } from '../shared/code-paths.js';

export interface PredicateModulePoolOptions {
  /** Worker threads (default 1: a build is rare and one at a time keeps cores for detection). */
  maxThreads?: number;
  /** Prepared modules kept; the oldest is dropped past this (default 8). */
  maxEntries?: number;
  /** The on-disk cache (default: defaultCacheDir(); null: none). */
  disk?: DiskCache | null;
}

export interface PredicateModuleCounters {
  hits: number;
  misses: number;
}

export interface PreparedRuleset {
  prepared: PreparedPredicates;
  /** Cache key (hex SHA-256 of the canonical inputs). */
  key: string;
  source: 'memory' | 'disk' | 'built';
  /** Parsing and checking the rules in the pool thread (0 on a hit). */
  checkMs: number;
  /** Built from the filters prepare() was handed, not checked again in the pool thread. */
  handedOver: boolean;
  /** Built by the streamed build stream() started (the rules' functions generated as they were checked). */
  streamed: boolean;
}

const WORKER = workerModule('predicate-module-worker.js');

/**
 * Only what the generated module depends on: each rule's query and the dialect it is checked in
 * (rulesDigest; Elastic Endpoint's reads missing fields as null, so the same text compiles to
 * other predicates), in order; rule metadata (names, tags …) does not count.
 */
export function predicateModuleKey(rules: readonly ModuleRule[], schema: SchemaDescription): string {
  const digest = rulesDigest(rules);
  const last = lastKey;
  if (last && last.schema === schema && last.digest === digest) return last.key;
  const key = createHash('sha256').update(JSON.stringify([buildId(), schema, digest])).digest('hex');
  lastKey = { schema, digest, key };
  return key;
}

/** The last key made: the schema description is the same object in every ask of a run. */
let lastKey: { schema: SchemaDescription; digest: string; key: string } | undefined;

/** What of a rule its predicate module depends on. */
type ModuleRule = Pick<RuleSpec, 'query' | 'dialect'>;

const DISK_NAMESPACE = 'predicates';

/**
 * What a disk entry holds besides the module bytes: PreparedPredicates without the compiled Module
 * and the timings of this run, with the stats' Map as entries (JSON).
 */
type DiskMeta = Omit<PreparedPredicates, 'module' | 'stats' | 'timings'> & {
  stats: { nativeNodes: number; hostNodes: number; hostKinds: [string, number][] };
};

function encodeEntry(p: PreparedPredicates, bytes: Uint8Array): Buffer {
  const meta: DiskMeta = {
    predicateCount: p.predicateCount, wordsPerRecord: p.wordsPerRecord, dataEnd: p.dataEnd, codeBytes: p.codeBytes,
    instrumentedBytes: p.instrumentedBytes, hosts: p.hosts,
    stats: { nativeNodes: p.stats.nativeNodes, hostNodes: p.stats.hostNodes, hostKinds: [...p.stats.hostKinds] },
  };
  const json = Buffer.from(JSON.stringify(meta));
  const head = Buffer.alloc(4);
  head.writeUInt32LE(json.length);
  return Buffer.concat([head, json, bytes]);
}

async function decodeEntry(data: Buffer): Promise<PreparedPredicates> {
  const n = data.readUInt32LE(0);
  const meta = JSON.parse(data.subarray(4, 4 + n).toString('utf8')) as DiskMeta;
  const bytes = new Uint8Array(data.subarray(4 + n));
  const t0 = performance.now();
  // Not compileCached: the pool's own memory cache already holds this entry by its key, and
  // hashing 3.5 MB of module again for a second cache was ~12 ms of each warm start.
  const module = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  const stats: CodegenStats = { nativeNodes: meta.stats.nativeNodes, hostNodes: meta.stats.hostNodes, hostKinds: new Map(meta.stats.hostKinds) };
  return { ...meta, module, stats, timings: { buildMs: 0, compileMs: performance.now() - t0 } };
}

export class PredicateModulePool {
  readonly counters: PredicateModuleCounters = { hits: 0, misses: 0 };
  /** The build thread's pool, started on the first build or warm(): a warm start never loads piscina. */
  private pool: Piscina<PredicateModuleTask | StreamedBuildTask | null, PredicateModuleTaskResult | null> | undefined;
  private readonly memory = new Map<string, Promise<PredicateModuleTaskResult>>();
  private readonly maxEntries: number;

  constructor(opts: PredicateModulePoolOptions = {}) {
    this.maxThreads = opts.maxThreads ?? 1;
    this.maxEntries = opts.maxEntries ?? 8;
    if (opts.disk !== undefined) this.disk = opts.disk;
    else {
      const dir = defaultCacheDir();
      this.disk = dir === null ? null : new DiskCache(dir);
    }
  }

  readonly disk: DiskCache | null;
  private readonly maxThreads: number;

  private thread(): Piscina<PredicateModuleTask | StreamedBuildTask | null, PredicateModuleTaskResult | null> {
    // Idle threads are unref'd by piscina, so an idle pool never keeps the process alive.
    // The thread exits soon after its last build: a build is rare, and an idle thread costs ~50 MB.
    // Loaded with require, not import(): an import resolves only when this thread next yields,
    // and a cold start checks its rules synchronously for ~0.6 s after warm(), so the build
    // thread used to start only once the rules were checked and the first records evaluated.
    if (!this.pool) {
      const { Piscina: Pool } = loadPiscina();
      this.pool = new Pool({ filename: WORKER.href, maxThreads: this.maxThreads, minThreads: 0, idleTimeout: 1_000 });
    }
    return this.pool;
  }

  /** The streamed build being fed (stream()), if any. */
  private streaming: StreamedBuild | undefined;
  /** Keys whose memory entry is a streamed build not yet taken by prepare(). */
  private readonly streamedKeys = new Set<string>();

  /**
   * Starts a streamed build of the module of `rules` (as loaded, before they are checked): the
   * caller passes each rule's check, in order, to the feeder's checked(), and the build thread
   * generates the predicate functions of each few rules while this thread checks the next ones.
   * end() says every rule was checked: when all of them passed, the thread finishes the module
   * and prepare() of these rules takes it (it is written to the disk cache as it is done);
   * otherwise the build is dropped. The module is the same bytes as one built in one task.
   */
  stream(rules: readonly ModuleRule[], schema: SchemaDescription): StreamFeeder {
    this.abandonStream();
    const { port1, port2 } = new MessageChannel();
    const task: StreamedBuildTask = { stream: port2, schema };
    let result: Promise<PredicateModuleTaskResult | null>;
    try {
      result = this.thread().run(task, { transferList: [port2] }) as Promise<PredicateModuleTaskResult | null>;
    } catch (e) {
      result = Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
    result.catch(() => undefined); // an unfinished build is dropped; prepare() builds in one task
    const build: StreamedBuild = { key: predicateModuleKey(rules, schema), expected: rules.length, fed: 0, alive: true, batch: [], batchRules: 0, port: port1, result };
    this.streaming = build;
    return {
      checked: (checked) => {
        if (!build.alive) return;
        if (checked === null) {
          // A rule that does not check is left out: the module of the others is another one.
          this.abandonStream();
          return;
        }
        build.fed++;
        build.batch.push(...predicateFilters([checked]));
        if (++build.batchRules >= STREAM_BATCH_RULES) sendBatch(build);
      },
      end: () => {
        if (!build.alive) return;
        if (build.fed !== build.expected) return this.abandonStream();
        this.streaming = undefined;
        build.alive = false;
        sendBatch(build);
        send(build, { finish: true });
        build.port.close();
        const key = build.key;
        const pending = build.result.then((r) => {
          if (r === null) throw new InternalError('wasm.predicates.pool', 'the streamed predicate module build was dropped');
          this.disk?.write(DISK_NAMESPACE, key, encodeEntry(r.prepared, r.bytes));
          return r;
        });
        pending.catch((e: unknown) => {
          // A failed build is not kept: prepare() builds again, in one task.
          logger().debug({ err: (e as Error).message }, 'streamed predicate module build failed');
          if (this.memory.get(key) === pending) this.memory.delete(key);
          this.streamedKeys.delete(key);
        });
        this.remember(key, pending);
        this.streamedKeys.add(key);
      },
    };
  }

  private abandonStream(): void {
    const build = this.streaming;
    if (build === undefined) return;
    this.streaming = undefined;
    build.alive = false;
    send(build, { abort: true });
    build.port.close();
  }

  private remember(key: string, pending: Promise<PredicateModuleTaskResult>): void {
    this.memory.set(key, pending);
    if (this.memory.size > this.maxEntries) this.memory.delete(this.memory.keys().next().value!);
  }

  /** Keys whose memory entry was started by prefetch() from the disk cache. */
  private readonly prefetched = new Set<string>();

  /**
   * Starts compiling the stored module of these queries, if the disk cache has one, before the
   * rules are checked: a warm start then compiles while the main thread checks (the key is the
   * same when every rule passes; otherwise prepare() misses it and nothing is lost). False when
   * nothing is stored.
   */
  prefetch(rules: readonly ModuleRule[], schema: SchemaDescription): boolean {
    const key = predicateModuleKey(rules, schema);
    if (this.memory.has(key)) return true;
    const stored = this.disk?.read(DISK_NAMESPACE, key);
    if (!stored) return false;
    const pending = decodeEntry(stored).then((prepared) => ({ prepared, bytes: new Uint8Array(0), checkMs: 0, handedOver: false, streamed: false }));
    pending.catch(() => undefined); // judged by prepare(), which rebuilds on a failure
    this.memory.set(key, pending);
    this.prefetched.add(key);
    return true;
  }

  /**
   * The predicate module of `rules` (checked specs, in pipeline order) over records of `schema`.
   * `filters`, when given, are their predicate filters as this thread checked them
   * (predicateFilters order), or a function giving them (called only for a build, before this
   * call first waits): the build thread then takes them instead of checking the rules again.
   */
  async prepare(rules: readonly RuleSpec[], schema: SchemaDescription, filters?: readonly CheckedFilter[] | (() => readonly CheckedFilter[] | undefined)): Promise<PreparedRuleset> {
    const key = predicateModuleKey(rules, schema);
    const cached = this.memory.get(key);
    if (cached) {
      const r = await cached.catch(() => null);
      if (r && this.streamedKeys.delete(key)) {
        // Built for this call by the stream its rules were fed to while they were checked.
        this.counters.misses++;
        return { prepared: r.prepared, key, source: 'built', checkMs: r.checkMs, handedOver: r.handedOver, streamed: r.streamed };
      }
      if (r) {
        this.counters.hits++;
        return { prepared: r.prepared, key, source: this.prefetched.has(key) ? 'disk' : 'memory', checkMs: 0, handedOver: false, streamed: false };
      }
      // A failed build or prefetch is not kept: build again below.
      if (this.memory.get(key) === cached) this.memory.delete(key);
    }
    this.counters.misses++;
    const stored = this.disk?.read(DISK_NAMESPACE, key);
    if (stored) {
      try {
        const prepared = await decodeEntry(stored);
        this.memory.set(key, Promise.resolve({ prepared, bytes: new Uint8Array(0), checkMs: 0, handedOver: false, streamed: false }));
        return { prepared, key, source: 'disk', checkMs: 0, handedOver: false, streamed: false };
      } catch (e) {
        // A checksum-valid entry that does not decode was written by an incompatible build.
        logger().warn({ key: key.slice(0, 16), err: (e as Error).message }, 'cached predicate module unusable; rebuilding it');
      }
    }
    // A function gives them only when a build needs them (a warm start never does).
    const handed = typeof filters === 'function' ? filters() : filters;
    const task: PredicateModuleTask = handed
      ? { rules: [...rules], schema, filters: exportFilters(handed) }
      : { rules: [...rules], schema, parsed: exportParsedQueries(rules.map((r) => r.query)) };
    // A stream fed other rules than these is of no use now.
    this.abandonStream();
    const pending = (Promise.resolve().then(() => this.thread().run(task)) as Promise<PredicateModuleTaskResult>).catch((e: unknown) => {
      // A structured clone keeps only the message of the worker's error.
      throw new InternalError('wasm.predicates.pool', `building the predicate module failed: ${(e as Error)?.message ?? String(e)}`, { cause: e });
    });
    this.remember(key, pending);
    try {
      const r = await pending;
      this.disk?.write(DISK_NAMESPACE, key, encodeEntry(r.prepared, r.bytes));
      return { prepared: r.prepared, key, source: 'built', checkMs: r.checkMs, handedOver: r.handedOver, streamed: r.streamed };
    } catch (e) {
      this.memory.delete(key); // a failure is not cached
      throw e;
    }
  }

  /**
   * Starts a thread now, so that it has loaded the code generator (~0.2 s) by the time the first
   * ruleset arrives: call it before loading rules.
   */
  warm(): void {
    try {
      this.thread().run(null).catch(() => undefined); // a real prepare reports any failure
    } catch {
      // likewise: prepare() meets the same failure and reports it
    }
  }

  async close(): Promise<void> {
    await this.pool?.destroy();
  }
}

/** What stream() returns: each rule's check in order (null for a rule that fails), then end(). */
export interface StreamFeeder {
  checked(checked: CheckedQuery | null): void;
  end(): void;
}

/** A streamed build (PredicateModulePool.stream): what was fed so far. */
interface StreamedBuild {
  /** predicateModuleKey of the rules it was started for. */
  key: string;
  expected: number;
  fed: number;
  alive: boolean;
  /** Filters not sent yet, and the rules they came from. */
  batch: CheckedFilter[];
  batchRules: number;
  /** Main's end of the channel to the build task. */
  port: MessagePort;
  /** The build task's answer. */
  result: Promise<PredicateModuleTaskResult | null>;
}

function send(build: StreamedBuild, message: StreamMessage): void {
  build.port.postMessage(message);
}

/** Sends the filters gathered since the last batch (delivered at once: no event loop needed here). */
function sendBatch(build: StreamedBuild): void {
  // postMessage clones at once: the filters need no copy (withCallsByName).
  if (build.batch.length > 0) withCallsByName(build.batch, (filters) => send(build, { filters }));
  build.batch = [];
  build.batchRules = 0;
}

/** Rules per streamed batch: ~25 ms of generation each. */
const STREAM_BATCH_RULES = 32;

/** piscina, loaded synchronously on first use (a warm start never needs it). */
function loadPiscina(): typeof import('piscina') {
  return createRequire(import.meta.url)('piscina') as typeof import('piscina');
}

let shared: PredicateModulePool | undefined;

/** The process-wide pool the detection pipeline uses, created on first use. */
export function sharedPredicateModulePool(): PredicateModulePool {
  shared ??= new PredicateModulePool();
  return shared;
}

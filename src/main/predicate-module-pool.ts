// Builds rulesets' Wasm predicate modules in a piscina thread, once per distinct ruleset: the
// detection pipeline asks for each ruleset generation and hands the compiled module to every
// partition worker, which then only instantiates it (instead of each worker generating and
// compiling its own, ~1 s apiece for the Elastic corpus). Results are cached in memory by a
// SHA-256 of what the module depends on: the queries, in order, and the record schema.
import { createHash } from 'node:crypto';
import { Piscina } from 'piscina';
import { InternalError } from '../shared/errors.js';
import type { PreparedPredicates } from '../shared/eql/codegen/evaluator.js';
import type { RuleSpec } from '../shared/pipeline/ruleset.js';
import type { SchemaDescription } from '../shared/record/schema-desc.js';
import type { PredicateModuleTask, PredicateModuleTaskResult } from '../workers/predicate-module-worker.js';

export interface PredicateModulePoolOptions {
  /** Worker threads (default 1: a build is rare and one at a time keeps cores for detection). */
  maxThreads?: number;
  /** Prepared modules kept; the oldest is dropped past this (default 8). */
  maxEntries?: number;
}

export interface PredicateModuleCounters {
  hits: number;
  misses: number;
}

export interface PreparedRuleset {
  prepared: PreparedPredicates;
  /** Cache key (hex SHA-256 of the canonical inputs). */
  key: string;
  source: 'memory' | 'built';
  /** Parsing and checking the rules in the pool thread (0 on a hit). */
  checkMs: number;
}

const WORKER = new URL('../workers/predicate-module-worker.js', import.meta.url);

/** Only what the generated module depends on: rule metadata (names, tags …) does not count. */
export function predicateModuleKey(rules: readonly RuleSpec[], schema: SchemaDescription): string {
  return createHash('sha256').update(JSON.stringify([schema, rules.map((r) => r.query)])).digest('hex');
}

export class PredicateModulePool {
  readonly counters: PredicateModuleCounters = { hits: 0, misses: 0 };
  private readonly pool: Piscina<PredicateModuleTask | null, PredicateModuleTaskResult | null>;
  private readonly memory = new Map<string, Promise<PredicateModuleTaskResult>>();
  private readonly maxEntries: number;

  constructor(opts: PredicateModulePoolOptions = {}) {
    // Idle threads are unref'd by piscina, so an idle pool never keeps the process alive.
    this.pool = new Piscina({ filename: WORKER.href, maxThreads: opts.maxThreads ?? 1, minThreads: 0, idleTimeout: 30_000 });
    this.maxEntries = opts.maxEntries ?? 8;
  }

  /** The predicate module of `rules` (checked specs, in pipeline order) over records of `schema`. */
  async prepare(rules: readonly RuleSpec[], schema: SchemaDescription): Promise<PreparedRuleset> {
    const key = predicateModuleKey(rules, schema);
    const cached = this.memory.get(key);
    if (cached) {
      this.counters.hits++;
      const { prepared } = await cached;
      return { prepared, key, source: 'memory', checkMs: 0 };
    }
    this.counters.misses++;
    const pending = (this.pool.run({ rules: [...rules], schema }) as Promise<PredicateModuleTaskResult>).catch((e: unknown) => {
      // A structured clone keeps only the message of the worker's error.
      throw new InternalError('wasm.predicates.pool', `building the predicate module failed: ${(e as Error)?.message ?? String(e)}`, { cause: e });
    });
    this.memory.set(key, pending);
    if (this.memory.size > this.maxEntries) this.memory.delete(this.memory.keys().next().value!);
    try {
      const r = await pending;
      return { prepared: r.prepared, key, source: 'built', checkMs: r.checkMs };
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
    this.pool.run(null).catch(() => undefined); // a real prepare reports any failure
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }
}

let shared: PredicateModulePool | undefined;

/** The process-wide pool the detection pipeline uses, created on first use. */
export function sharedPredicateModulePool(): PredicateModulePool {
  shared ??= new PredicateModulePool();
  return shared;
}

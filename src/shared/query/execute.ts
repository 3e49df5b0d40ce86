// One EQL query over event files, start to finish: the code path of `kestrel query`, shared with
// the conformance tests so both see exactly the same behaviour.
//
// Order of work: parse the query (a syntax error needs no data), read events, build the schema
// (the --mapping, combined over a schema inferred from the events: non-strict, so unknown fields
// are allowed), check and compile, then stream the events through the engine.
// Inference reads the first INFER_DEFAULTS.maxEvents events, so those are buffered before the
// query can be checked; without --sort the rest are streamed, with --sort all are read and sorted.
//
// Engines: 'interp' runs the interpreter's filters on each JSON event as it is pushed; 'wasm'
// (wasm-filters.ts) collects events into batches, evaluates every step/until filter of the batch
// in one Wasm module call, then pushes the batch's events, whose filters read their bits. A
// batch's results therefore appear once the batch is read (at most batchSize events later).
//
// After the head, NDJSON lines that no filter can match are skipped unparsed (line-gate.ts), and
// so are lines whose join key can be in no result (key-gate.ts, key-prune.ts).
import { LineageTracker, lineageNodes } from '../pipeline/lineage.js';
import { compilePredicate } from '../eql/interp.js';
import { jsonFieldAccessor } from '../eql/field-access.js';
import type { CheckedQuery } from '../eql/ir.js';
import type { CompiledQuery } from '../engine/compiled.js';
import { readFile } from 'node:fs/promises';
import { InputError } from '../errors.js';
import { createEngine, type Engine } from '../engine/engine.js';
import type { EngineResult, EngineStats } from '../engine/event.js';
import type { PredicateEngine } from '../eql/codegen/ruleset.js';
import { checkQuery } from '../eql/checker.js';
import { compileQuery } from '../eql/compile.js';
import { parseQuery } from '../eql/parser.js';
import type { TimeUnit } from '../input/event-time.js';
import { parseJsonExact } from '../input/json-exact.js';
import { isNdjsonFile, type LineFilterSlot } from '../input/read-events.js';
import { sortEvents, timedEvents, type TimedEvent } from '../input/timed-events.js';
import { INFER_DEFAULTS, SchemaInference, inferredSchema, type InferredFields } from '../schema/infer.js';
import { headDigest } from './head-digest.js';
import { schemaFromMapping } from '../schema/mapping.js';
import { combineSchemas, type BuiltSchema } from '../schema/schema.js';
import type { KeyGate } from './key-gate.js';
import { collectKeyGate, planKeyPrune, type KeyPass } from './key-prune.js';
import { indexedRecords } from './key-index.js';
import { LineGate } from './line-gate.js';
import { DEFAULT_QUERY_BATCH, WasmQueryFilters, type QueryPredicateCounters } from './wasm-filters.js';

export interface QueryOptions {
  timeField: string;
  timeUnit: TimeUnit;
  tiebreaker?: string;
  /** The field behind `process where …` (default event.category). */
  categoryField: string;
  /** EQL dialect (default Elasticsearch's; 'endpoint' is Elastic Endpoint's, docs/eql.md). */
  dialect?: 'elasticsearch' | 'endpoint';
  /** Sort by (time, tiebreaker) first, as Elasticsearch does. */
  sort: boolean;
  size?: number;
  maxSamplesPerKey?: number;
  /** Path of an Elasticsearch index mapping (JSON). */
  mapping?: string;
  /** How step and until filters are evaluated. Default: DEFAULT_QUERY_ENGINE. */
  engine?: PredicateEngine;
  /** Events per Wasm module call (engine 'wasm'). Default: DEFAULT_QUERY_BATCH. */
  batchSize?: number;
  /**
   * Skip NDJSON lines whose text shows that no filter can match them, unparsed (line-gate.ts).
   * Default true; results are the same either way.
   */
  lineGate?: boolean;
  /** Longest NDJSON line accepted, in characters (read-events.ts DEFAULT_MAX_LINE_LENGTH). */
  maxLineLength?: number;
  /**
   * Where the schema inferred from an input's head is kept between queries, keyed by a digest of
   * the head's bytes (head-digest.ts); only for NDJSON files read twice. Default: none.
   */
  schemaCache?: InferredSchemaCache;
  /** Lines a first pass notes to read selected lines only (key-index.ts MAX_NOTED_LINES by default). */
  maxNotedLines?: number;
  /** Caps on live sequence partials (oldest evicted beyond them; counted in the stats). Default: none. */
  maxPartials?: number;
  maxPartialsPerKey?: number;
}

/**
 * The query engine when none is asked for: the interpreter, unlike replay and run. A query's
 * events arrive as JSON, and the Wasm path must first encode each one into a record, which costs
 * more than interpreting one query's few filters saves. Measured on 500k NDJSON events (580 MB),
 * 2 cores: a selective 2-step sequence 3.8 s interp vs 4.7 s wasm, a broad one 8.3 vs 10.8 s, one
 * with twelve wildcard patterns and a regex 12.0 vs 12.4 s; the results are the same.
 */
export const DEFAULT_QUERY_ENGINE: PredicateEngine = 'interp';

export interface InferredSchemaCache {
  read(key: string): InferredFields | undefined;
  write(key: string, value: InferredFields): void;
}

export interface QueryStats extends EngineStats {
  engine: PredicateEngine;
  /** The Wasm predicate module's counters (engine 'wasm' only). */
  predicates?: QueryPredicateCounters;
  /** NDJSON lines skipped unparsed by the line gate (none without one), join-key pruning included. */
  linesSkipped: number;
  /** Of those, the lines skipped because their join key is none that the driver step matched (key-prune.ts). */
  linesPruned: number;
  /** The query pass read only the lines the first pass selected, where they are (key-index.ts), not the whole files. */
  readSelectedOnly: boolean;
}

/**
 * Every how many head events one is kept to plan join-key pruning (key-prune.ts): 2,000 spread
 * over the head judge how rare a step is well enough, without holding all 10,000.
 */
const PLAN_SAMPLE_EVERY = 5;

/**
 * The planning sample when the schema came from the cache: every `every`-th line of the head is
 * parsed (the others are skipped unparsed), up to `count` events. The head's bytes are the ones an
 * earlier query read in full without an error.
 */
async function sampleOfHead(files: readonly string[], options: QueryOptions, every: number, count: number): Promise<TimedEvent[]> {
  let line = 0;
  const slot: LineFilterSlot = { maxLineLength: options.maxLineLength, filter: { skipped: 0, mayMatch: () => line++ % every === 0 } };
  const out: TimedEvent[] = [];
  const events = timedEvents(files, options, undefined, slot);
  for await (const ev of events) {
    out.push(ev);
    if (out.length >= count) break;
  }
  return out;
}

export const DEFAULT_QUERY_OPTIONS: QueryOptions = {
  timeField: '@timestamp',
  timeUnit: 'ms',
  categoryField: 'event.category',
  sort: false,
};

export async function executeQuery(
  text: string,
  files: readonly string[],
  options: QueryOptions,
  onResult: (r: EngineResult) => void,
  stdin?: NodeJS.ReadableStream,
): Promise<QueryStats> {
  const ast = parseQuery(text);
  const lines: LineFilterSlot = { maxLineLength: options.maxLineLength };
  // NDJSON files that a line gate may skip through are read twice: the head for the schema alone
  // (not kept: 10,000 parsed events held across collections cost more than reading them again),
  // then from the start with the gates, which skip most head lines too.
  const gated = options.lineGate !== false && options.mapping === undefined;
  const reread = gated && (await everyNdjsonFile(files));
  let events = timedEvents(files, options, stdin, lines);
  const head: TimedEvent[] = [];
  let sample: TimedEvent[] = [];
  let exhausted = true;
  let inferred: InferredFields | undefined;
  // A re-read input's inferred schema may be stored from an earlier query over the same head bytes.
  const cacheKey = reread && options.schemaCache ? headDigest(files, INFER_DEFAULTS.maxEvents) : undefined;
  if (cacheKey !== undefined) inferred = options.schemaCache!.read(cacheKey);
  if (inferred !== undefined) {
    exhausted = inferred.sampled < INFER_DEFAULTS.maxEvents;
    await events.return(undefined);
    sample = await sampleOfHead(files, options, PLAN_SAMPLE_EVERY, INFER_DEFAULTS.maxEvents / PLAN_SAMPLE_EVERY);
  } else {
    const inference = new SchemaInference();
    let seen = 0;
    for (let next = await events.next(); !next.done; next = await events.next()) {
      if (!reread) head.push(next.value);
      else if (seen++ % PLAN_SAMPLE_EVERY === 0) sample.push(next.value);
      // False once the 10,000th event is in: the head is complete.
      if (!inference.add(next.value.view as Record<string, unknown>)) {
        exhausted = false;
        break;
      }
    }
    inferred = inference.result();
    if (cacheKey !== undefined) options.schemaCache!.write(cacheKey, inferred);
  }

  const schema = await buildSchema(inferred, options.mapping);
  const checked = checkQuery(ast, {
    schema, categoryField: options.categoryField, source: text,
    ...(options.dialect === 'endpoint' && { dialect: 'endpoint' as const, missingFields: 'null' as const }),
  });
  const compiled = compileQuery(checked, {});
  if (reread) {
    await events.return(undefined);
    events = timedEvents(files, options, stdin, lines);
    exhausted = false;
  }
  // A mapping can give missing fields a null_value, which a text condition cannot see. Without a
  // re-read the gate starts after the head, which was parsed anyway.
  let pruned: KeyGate | undefined;
  let indexedLines: NonNullable<KeyPass['lines']> | undefined;
  const indexedCount = { parsed: 0 };
  if (gated) {
    const gate = LineGate.forQuery(checked);
    lines.filter = gate;
    // Join-key pruning needs a second read of every input, and Elasticsearch's dialect (Elastic
    // Endpoint's lineage must see every event).
    const worth = reread && inferred.sampled >= INFER_DEFAULTS.maxEvents && options.dialect !== 'endpoint';
    const plan = worth ? planKeyPrune(checked, compiled, sample) : undefined;
    const pass = plan && (await collectKeyGate(files, checked, compiled, plan, options.maxLineLength, options.maxNotedLines));
    pruned = pass?.gate;
    if (pass?.lines) {
      // The lines to read are known: read them where they are, through the filters' gate. The
      // files come in the order of pass.lines (a file given twice has two entries).
      const perFile = pass.lines;
      let nth = 0;
      const only: LineFilterSlot = { filter: gate };
      await events.return(undefined);
      events = timedEvents(files, options, stdin, lines, (file) => {
        const l = perFile[nth++]!;
        return indexedRecords(file, l.spans, l.index, only, indexedCount);
      });
      indexedLines = pass.lines;
    } else if (pruned) lines.filter = bothGates(pruned, gate);
  }
  if (options.sort && !exhausted) {
    for await (const ev of events) head.push(ev);
    exhausted = true;
  }

  const engineName = options.engine ?? DEFAULT_QUERY_ENGINE;
  const filters = engineName === 'wasm' ? await WasmQueryFilters.attach(checked, compiled, schema) : undefined;

  // Endpoint lineage terms: answered from a process table fed with every event in input order.
  const lineage = attachLineage(checked, compiled);
  const engine = createEngine(compiled, {
    onResult,
    size: options.size,
    maxSamplesPerKey: options.maxSamplesPerKey,
    maxPartials: options.maxPartials,
    maxPartialsPerKey: options.maxPartialsPerKey,
  });
  const feed = filters ? batchFeeder(engine, filters, options.batchSize ?? DEFAULT_QUERY_BATCH, lineage) : directFeeder(engine, lineage);
  // Samples are not ordered by time in ES (hits come in index order), so --sort leaves them be.
  const sort = options.sort && compiled.kind !== 'sample';
  for (const ev of sort ? sortEvents(head, options.tiebreaker) : head) {
    if (engine.done) break;
    feed.push(ev);
  }
  if (!exhausted) {
    for await (const ev of events) {
      if (engine.done) break;
      feed.push(ev);
    }
  }
  feed.flush();
  engine.end();
  if (indexedLines) {
    // Every record not read was skipped; those no driver key selected were pruned.
    const records = indexedLines.reduce((n, l) => n + l.index.records, 0);
    const selected = indexedLines.reduce((n, l) => n + l.spans.length, 0);
    return { ...engine.stats, engine: engineName, predicates: filters?.counters, linesSkipped: records - indexedCount.parsed, linesPruned: records - selected, readSelectedOnly: true };
  }
  return { ...engine.stats, engine: engineName, predicates: filters?.counters, linesSkipped: lines.filter?.skipped ?? 0, linesPruned: pruned?.skipped ?? 0, readSelectedOnly: false };
}

async function everyNdjsonFile(files: readonly string[]): Promise<boolean> {
  for (const f of files) if (!(await isNdjsonFile(f))) return false;
  return true;
}

/** A line is read when its join key may be a driver key and some filter may match it; the key first (it rejects most). */
function bothGates(keys: KeyGate, filters: LineGate | undefined): NonNullable<LineFilterSlot['filter']> {
  return {
    skipped: 0,
    mayMatch: (text, start, end) => keys.mayMatch(text, start, end) && (filters === undefined || filters.mayMatch(text, start, end)),
  };
}

interface Feeder {
  push(ev: TimedEvent): void;
  /** Pushes whatever is still held. */
  flush(): void;
}

function directFeeder(engine: Engine, lineage: LineageTracker | undefined): Feeder {
  if (lineage) {
    return {
      push: (ev) => {
        lineage.observe(ev.view);
        engine.push(ev);
      },
      flush: () => {},
    };
  }
  return { push: (ev) => engine.push(ev), flush: () => {} };
}

/**
 * Wraps the compiled filters of steps with lineage terms (their `state` part) and returns the
 * tracker the feeder must show every event, in order, before the engine sees it.
 */
function attachLineage(checked: CheckedQuery, compiled: CompiledQuery): LineageTracker | undefined {
  const pairs = [...checked.steps.map((s, i) => [s, compiled.steps[i]!] as const), ...(checked.until && compiled.until ? [[checked.until, compiled.until] as const] : [])];
  const nodes = pairs.flatMap(([s]) => lineageNodes(s.filter.state));
  if (nodes.length === 0) return undefined;
  const tracker = new LineageTracker(nodes, jsonFieldAccessor);
  for (const [s, c] of pairs) {
    if (!s.filter.state) continue;
    const state = compilePredicate(s.filter.state, { accessor: jsonFieldAccessor, lineage: tracker });
    const inner = c.filter;
    c.filter = { category: inner.category, test: (ev) => inner.test(ev) && state(ev) };
  }
  return tracker;
}

/** Holds events until a batch is full, evaluates its filters in one call, then pushes them. */
function batchFeeder(engine: Engine, filters: WasmQueryFilters, batchSize: number, lineage: LineageTracker | undefined): Feeder {
  const batch: TimedEvent[] = [];
  const flush = (): void => {
    if (batch.length === 0) return;
    filters.evaluate(batch);
    for (let i = 0; i < batch.length && !engine.done; i++) {
      filters.select(i);
      lineage?.observe(batch[i]!.view);
      engine.push(batch[i]!);
    }
    batch.length = 0;
  };
  return {
    push(ev) {
      batch.push(ev);
      if (batch.length >= batchSize) flush();
    },
    flush,
  };
}

async function buildSchema(fields: InferredFields, mappingPath: string | undefined): Promise<BuiltSchema> {
  const inferred = inferredSchema(fields, 'inferred from the input');
  if (mappingPath === undefined) return inferred;
  let json: unknown;
  try {
    json = parseJsonExact(await readFile(mappingPath, 'utf8'));
  } catch (e) {
    throw new InputError('input.mapping', `cannot read the mapping: ${(e as Error).message}`, { file: mappingPath, cause: e });
  }
  return combineSchemas(schemaFromMapping(json, `mapping ${mappingPath}`), inferred);
}

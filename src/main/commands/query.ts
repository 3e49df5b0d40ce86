// `kestrel query`: runs one EQL query over event files and prints the results, one line each.
import type { Command } from '../command.js';
import { ExitCode, UsageError, exitCodeFor } from '../../shared/errors.js';
import type { EngineResult } from '../../shared/engine/event.js';
import { readPath } from '../../shared/input/field-path.js';
import { toJsonText } from '../../shared/output/json-text.js';
import { DEFAULT_QUERY_OPTIONS, executeQuery, type QueryOptions, type QueryStats } from '../../shared/query/execute.js';
import { formatError } from '../format-error.js';
import { inferredSchemaCache } from '../cache/inferred-schemas.js';
import { CAPS_OPTIONS, ENGINE_OPTION, evictionWarning, parseCaps, parseEngine } from './options.js';
import { KestrelError } from '../../shared/errors.js';

export const queryCommand: Command = {
  name: 'query',
  summary: 'run one EQL query over event files (NDJSON, JSON array, Elasticsearch .data)',
  usage: "[options] 'QUERY' FILE...",
  description: `FILE is NDJSON, a JSON array, or an Elasticsearch .data file (a JSON array that may contain
// comment lines); '-' reads stdin. Each result prints as one line: {"events":[…],"join_keys":[…]},
or with --id-field F a JSON array of the F values of its events (null for a missing-event slot).
Exit status: 0 success (also with no results), 1 query error, 2 input error, 64 usage error.
--engine interp (the default) evaluates each event with the interpreter as it is read. With
--engine wasm the query's where-clauses run in one Wasm module call per batch of 1,024 events
(encoded to binary records; results of a batch print once it is read); join keys, time and output
use the JSON events. Both give the same results; encoding JSON events costs more than the module
saves for one query's filters, hence the default. --stats prints one JSON line of counters to stderr at the end.
The first 10,000 events are read in full to infer the schema. Past them, an NDJSON line whose text
shows that no filter of the query can match it is skipped without parsing (only its framing {…} is
checked); NDJSON files (not stdin) are then read again from the start, so this holds for their
first lines too. For a sequence or sample joined by keyword fields, when one step matches far fewer
of those first events than the others and their keys mostly differ, the files are first read for
the join keys of the events that match that step, and the query pass skips unparsed every line
whose join key is none of them (key_pruned in --stats); when that step is very rare and the files
are ASCII, the first read notes where each line is, and the query reads only the lines it needs
(read_selected_only in --stats). --parse-all parses and validates every
line and turns both off; results are the same. The schema inferred from an NDJSON file's first
10,000 events is kept in the cache folder (~/.cache/kestrel/inferred; KESTREL_CACHE=off to not)
under a digest of those bytes, so a query over the same file again does not parse them.`,
  options: {
    'id-field': { type: 'string', arg: 'F', help: 'print the F values of each result’s events' },
    'time-field': { type: 'string', arg: 'F', help: 'event time field (default @timestamp)' },
    'time-unit': { type: 'string', arg: 'U', help: 'ms (epoch millis or ISO-8601; default) or filetime' },
    tiebreaker: { type: 'string', arg: 'F', help: 'secondary ordering field' },
    'category-field': { type: 'string', arg: 'F', help: 'the field behind `process where` (default event.category)' },
    dialect: { type: 'string', arg: 'D', help: 'elasticsearch (default) or endpoint: Elastic Endpoint\'s EQL (named steps, lineage, keyword ids vs numbers)' },
    sort: { type: 'boolean', help: 'sort the input by (time, tiebreaker) first, as Elasticsearch does' },
    size: { type: 'string', arg: 'N', help: 'result limit, as the Elasticsearch request parameter' },
    'max-samples-per-key': { type: 'string', arg: 'N', help: 'samples per join key (default 1)' },
    mapping: { type: 'string', arg: 'FILE', help: 'Elasticsearch index mapping (JSON): field types, aliases, null_value' },
    engine: { ...ENGINE_OPTION, help: 'predicate evaluation: interp (default) or wasm (one module call per batch of events encoded to records)' },
    ...CAPS_OPTIONS,
    stats: { type: 'boolean', help: 'print counters (events, results, Wasm batches, host fallbacks) to stderr' },
    'max-line-length': { type: 'string', arg: 'N', help: 'longest NDJSON line accepted, in characters (default 16777216)' },
    'parse-all': { type: 'boolean', help: 'parse and validate every NDJSON line, also those no filter can match' },
  },
  async run(args, ctx) {
    const [text, ...files] = args.positionals;
    if (text === undefined || files.length === 0) throw new UsageError('usage', "expected 'QUERY' and at least one FILE\nRun 'kestrel query --help' for usage.");
    const v = args.values;
    const caps = parseCaps(v);
    const options: QueryOptions = {
      ...DEFAULT_QUERY_OPTIONS,
      timeField: (v['time-field'] as string | undefined) ?? DEFAULT_QUERY_OPTIONS.timeField,
      timeUnit: timeUnit(v['time-unit'] as string | undefined),
      tiebreaker: v.tiebreaker as string | undefined,
      categoryField: (v['category-field'] as string | undefined) ?? DEFAULT_QUERY_OPTIONS.categoryField,
      dialect: dialectOf(v.dialect),
      sort: v.sort === true,
      size: count(v.size as string | undefined, '--size'),
      maxSamplesPerKey: count(v['max-samples-per-key'] as string | undefined, '--max-samples-per-key'),
      mapping: v.mapping as string | undefined,
      engine: parseEngine(v.engine as string | undefined),
      lineGate: v['parse-all'] !== true,
      maxLineLength: count(v['max-line-length'] as string | undefined, '--max-line-length'),
      // One query, one engine: the per-rule and total caps are both caps on its partials.
      maxPartials: Math.min(caps.maxPartialsPerRule, caps.maxPartialsTotal),
      maxPartialsPerKey: caps.maxPartialsPerKey,
      schemaCache: inferredSchemaCache(),
    };
    const idField = v['id-field'] as string | undefined;
    const print = (r: EngineResult): void => {
      ctx.out.write(toJsonText(idField === undefined ? resultObject(r) : r.events.map((e) => (e ? (readPath(e.view, idField) ?? null) : null))) + '\n');
    };
    try {
      const stats = await executeQuery(text, files, options, print, ctx.stdin);
      if (v.stats === true) ctx.err.write(statsLine(stats) + '\n');
      const warning = evictionWarning({ perKey: stats.evictionsPerKey, perRule: stats.evictionsPerRule, total: 0 });
      if (warning) ctx.err.write(warning);
    } catch (e) {
      // Query errors point into the query text: render them with line:col and carets.
      if (e instanceof KestrelError && e.span) {
        ctx.err.write(formatError(e, { name: 'query', text }) + '\n');
        return exitCodeFor(e);
      }
      throw e;
    }
    return ExitCode.ok;
  },
};

function resultObject(r: EngineResult): { events: unknown[]; join_keys: unknown[] } {
  return { events: r.events.map((e) => (e ? e.view : null)), join_keys: r.joinKeys };
}

function statsLine(s: QueryStats): string {
  return toJsonText({
    engine: s.engine,
    events: s.eventsSeen + s.linesSkipped,
    skipped_unparsed: s.linesSkipped,
    key_pruned: s.linesPruned,
    read_selected_only: s.readSelectedOnly,
    results: s.results,
    predicates: s.predicates ?? null,
  });
}

function timeUnit(u: string | undefined): QueryOptions['timeUnit'] {
  if (u === undefined || u === 'ms') return 'ms';
  if (u === 'filetime') return 'filetime';
  throw new UsageError('usage', `--time-unit must be ms or filetime, not '${u}'`);
}

function count(s: string | undefined, flag: string): number | undefined {
  if (s === undefined) return undefined;
  if (!/^\d+$/.test(s)) throw new UsageError('usage', `${flag} must be a non-negative integer, not '${s}'`);
  return Number(s);
}

function dialectOf(value: unknown): 'elasticsearch' | 'endpoint' {
  if (value === undefined || value === 'elasticsearch' || value === 'es') return 'elasticsearch';
  if (value === 'endpoint') return 'endpoint';
  throw new UsageError('usage', '--dialect must be elasticsearch or endpoint');
}

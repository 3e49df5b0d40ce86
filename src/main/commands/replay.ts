// `kestrel replay capture.bin --rules PATH…`: re-runs a recorded capture through the rules and
// prints alerts as NDJSON. Output depends only on the capture and the rules: the same bytes for
// any --workers value, any machine, any run.
import { Responder } from '../response/responder.js';
import type { Command } from '../command.js';
import { ExitCode, UsageError } from '../../shared/errors.js';
import { CaptureReader } from '../../shared/capture/reader.js';
import { ChunkPool } from '../../shared/capture/chunk-pool.js';
import { DetectionPipeline } from '../pipeline/detection.js';
import { defaultPartitions } from '../runtime/runtime.js';
import { loadCheckedRules } from '../pipeline/load-rules.js';
import { openOutputs } from './outputs.js';
import { createProgress, shouldShowProgress } from '../progress.js';
import { logger } from '../../shared/log.js';
import { CAPS_OPTIONS, CONFIG_OPTION, ENGINE_OPTION, METRICS_OPTION, SINK_OPTIONS, evictionWarning, parseCaps, parseEngine, parseWorkers } from './options.js';
import { writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { RuleProfileRow } from '../../workers/eql-processor.js';

/**
 * Without --workers, a capture of fewer records than this replays on one thread. A helper thread
 * costs this thread ~0.3 s before it pays (the thread's start, the filters it is handed, the
 * first jobs evaluated here while it warms up) and it pays back only on larger captures: on 2
 * cores with the full corpus, 100k events took 2.5 s on one thread and 2.9 s with a helper, and
 * the two were even at 200k.
 */
export const SINGLE_THREAD_BELOW_RECORDS = 200_000;

/** The worker count when --workers is not given: cores - 1, or 0 for a small capture. */
async function defaultWorkers(capturePath: string): Promise<number> {
  const workers = defaultPartitions();
  let records: number | undefined;
  try {
    const reader = await CaptureReader.open(capturePath);
    records = await reader.totalRecordsHint().finally(() => reader.close());
  } catch {
    // The capture is opened again below, and whatever is wrong with it is reported there.
    return workers;
  }
  if (records === undefined || records >= SINGLE_THREAD_BELOW_RECORDS) return workers;
  logger().debug({ records, below: SINGLE_THREAD_BELOW_RECORDS }, 'small capture: replaying on one thread');
  return 0;
}

export const replayCommand: Command = {
  name: 'replay',
  summary: 'replay a capture through detection rules and print alerts (NDJSON)',
  usage: 'CAPTURE --rules PATH... [options]',
  description: `Rules that fail to check are reported and left out; the others run. Alerts go to stdout
(or --output, appended) in a deterministic order: identical for every --workers value.
Time is event time only; the end of the capture is the end of the data (open windows are
decided there, samples emitted). Stopped by SIGINT/SIGTERM, it prints a prefix of the full
output and exits 130/143. Rules may be EQL (.eql, .toml) or Wasm user rules (.wasm).
--config FILE reads settings from a TOML file (flags win); --sink and --metrics work as in run.`,
  options: {
    rules: { type: 'string', list: true, arg: 'PATH...', help: 'rule files or folders (several after one --rules, or repeated; required)' },
    output: { type: 'string', short: 'o', arg: 'FILE', help: 'write alerts to FILE instead of stdout' },
    workers: {
      type: 'string',
      arg: 'N',
      help: `partition workers; 0 = single thread (default: cores - 1, at least 1; 0 for a capture of fewer than ${SINGLE_THREAD_BELOW_RECORDS.toLocaleString('en-US')} records)`,
    },
    'skip-corrupt': { type: 'boolean', help: 'skip chunks that fail their CRC (counted) instead of stopping' },
    ...CAPS_OPTIONS,
    engine: ENGINE_OPTION,
    profile: { type: 'boolean', help: 'print what each rule costs (evaluations, true steps, engine time, partials); single thread' },
    'profile-json': { type: 'string', arg: 'FILE', help: 'write the per-rule profile as JSON to FILE (implies --profile)' },
    ...SINK_OPTIONS,
    ...METRICS_OPTION,
    ...CONFIG_OPTION,
    progress: { type: 'boolean', help: 'a progress line on stderr (events, events/s, ETA); default: only when stderr is a terminal' },
    'no-progress': { type: 'boolean', help: 'never show the progress line' },
  },
  async run(args, ctx) {
    const [capturePath, ...extra] = args.positionals;
    if (!capturePath) {
      throw new UsageError('usage', 'replay needs a capture: kestrel replay CAPTURE --rules PATH... (every argument after --rules up to the next option is a rule path)');
    }
    if (extra.length) throw new UsageError('usage', `replay takes exactly one capture file; unexpected: ${extra.join(' ')}`);
    const rulePaths = (args.values.rules as string[] | undefined) ?? [];
    if (rulePaths.length === 0) throw new UsageError('usage', 'replay needs --rules PATH (a rule file or folder)');
    const profileJson = args.values['profile-json'] as string | undefined;
    const profile = Boolean(args.values.profile) || profileJson !== undefined;
    // The profile is taken where both stages run on one thread.
    if (profile && args.values.workers !== undefined && args.values.workers !== '0') throw new UsageError('usage', '--profile runs single-threaded: give --workers 0 or leave --workers out');
    const workersOption = args.values.workers as string | undefined;
    const workers = profile ? 0 : workersOption !== undefined ? parseWorkers(workersOption, 0) : await defaultWorkers(capturePath);
    const caps = parseCaps(args.values);
    const engine = parseEngine(args.values.engine as string | undefined);

    // With workers, predicate jobs keep their chunk until their bits are back and their records
    // are routed: a buffer per chunk spares copying each one, and the pool reuses it afterwards.
    const chunkPool = workers > 0 ? new ChunkPool() : undefined;
    const reader = await CaptureReader.open(capturePath, { skipCorrupt: Boolean(args.values['skip-corrupt']), chunkPool });
    // The worker threads start now and import their modules while this thread reads the rules.
    const prestarted = DetectionPipeline.prestartWorkers({ mode: 'replay', workers, profile });
    try {
      const rules = await loadCheckedRules(rulePaths, reader.schema, ctx, {
        onLoaded: (rules) => DetectionPipeline.prepareEarly(rules, reader.meta.schema, engine),
        onLikelyCold: () => DetectionPipeline.startBuildThread(engine),
      });
      const started: { pipeline?: DetectionPipeline } = {};
      const outputs = await openOutputs(args.values, ctx, {
        live: false,
        sources: { pipeline: () => started.pipeline?.metrics() },
        ready: () => ({ rules_loaded: rules.specs.length > 0, workers_running: started.pipeline !== undefined }),
      });
      const sink = outputs.alerts;
      // Replay never acts: alerts of rules with response actions say what the target was.
      const responder = new Responder(rules.specs, { mode: 'replay', bootId: '' });
      const pipeline = await DetectionPipeline.start({
        rules: rules.specs,
        schema: reader.meta.schema,
        workers,
        mode: 'replay',
        ...caps,
        engine,
        profile,
        prestarted,
        onAlert: (json) => sink.write(responder.handle(json)),
      }).catch(async (e: unknown) => {
        await outputs.close();
        throw e;
      });
      started.pipeline = pipeline;
      let stopping = false;
      let signal = '';
      const stop = (sig: NodeJS.Signals) => {
        stopping = true;
        signal = sig;
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      const offsets: number[] = [];
      const flag = args.values['no-progress'] ? false : args.values.progress === true ? true : undefined;
      const show = shouldShowProgress(flag, ctx.err as { isTTY?: boolean });
      const progress = createProgress({ enabled: show, stream: ctx.err, total: show ? await reader.totalRecordsHint() : undefined, label: basename(capturePath) });
      try {
        for await (const chunk of reader.chunks()) {
          const bytes = chunk.payload;
          const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
          offsets.length = 0;
          for (let off = 0; off < bytes.length; off += dv.getUint32(off, true)) offsets.push(off);
          pipeline.pushRecords(bytes, offsets, offsets.length, chunkPool && (() => chunkPool.give(bytes)));
          // Without a chunk pool the reader reuses its buffer: hand everything staged to the rings first.
          await pipeline.flush();
          progress.update(pipeline.eventsIn);
          if (stopping) break;
        }
        progress.finish();
        const heldBack = await pipeline.finish(stopping);
        if (stopping) {
          ctx.err.write(
            `kestrel: replay stopped by ${signal} after ${pipeline.eventsIn} events; ` +
              `${heldBack} alerts waiting for later events were not printed\n`,
          );
        }
      } catch (e) {
        await pipeline.abort();
        throw e;
      } finally {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        await outputs.close();
      }
      if (profile) {
        const rows = pipeline.ruleProfile();
        ctx.err.write(renderProfile(rows, pipeline.eventsIn));
        if (profileJson) writeFileSync(profileJson, JSON.stringify({ events: pipeline.eventsIn, rules: rows }, null, 2) + '\n');
      }
      for (const w of reader.warnings) {
        ctx.err.write(`${capturePath}: warning: ${w.message}\n`);
      }
      // Evictions change results: say so on stderr, never only in a counter.
      const ev = pipeline.evictions();
      const warning = evictionWarning(ev);
      if (warning) ctx.err.write(warning);
      logger().info({ events: pipeline.eventsIn, evictions: ev, alerts: sink.count, workers, rules: rules.specs.length, corruptChunks: reader.stats.corruptChunks, stopped: stopping }, 'replay done');
      if (workers > 0) logger().debug({ predicateJobs: pipeline.jobPlacement }, 'where predicate jobs ran');
      // A stopped replay printed only a prefix: scripts must be able to tell (130/143, as a shell does).
      if (stopping) return signal === 'SIGINT' ? ExitCode.interrupted : ExitCode.terminated;
      return rules.failed > 0 || pipeline.userRulesRefused().length > 0 ? ExitCode.ruleError : ExitCode.ok;
    } finally {
      prestarted?.close();
      await reader.close();
    }
  },
};

/** The profile as a table, costliest rules first (all of them in --profile-json). */
function renderProfile(rows: RuleProfileRow[], events: number, top = 25): string {
  const total = rows.reduce((n, r) => n + r.predicateMs + r.stateMs, 0) || 1;
  const sorted = [...rows].sort((a, b) => b.predicateMs + b.stateMs - (a.predicateMs + a.stateMs));
  const head = ['share', 'ms', 'pred ms', 'state ms', 'evaluated', 'true', 'delivered', 'peak partials', 'rule'];
  const lines = sorted.slice(0, top).map((r) => [
    `${((100 * (r.predicateMs + r.stateMs)) / total).toFixed(1)}%`,
    (r.predicateMs + r.stateMs).toFixed(1),
    r.predicateMs.toFixed(1),
    r.stateMs.toFixed(1),
    String(r.predicateCalls),
    String(r.trueSteps),
    String(r.delivered),
    String(r.peakPartials),
    r.rule,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padStart(widths[i]!))).join('  ');
  const sum = (f: (r: RuleProfileRow) => number) => rows.reduce((n, r) => n + f(r), 0);
  return [
    `kestrel: profile of ${rows.length} rules over ${events} events (predicate ms: evaluations × cost timed on a sample; state ms: measured)`,
    `  per event: ${(sum((r) => r.predicateCalls) / Math.max(events, 1)).toFixed(2)} predicates evaluated, ${(sum((r) => r.trueSteps) / Math.max(events, 1)).toFixed(2)} true, ${(sum((r) => r.delivered) / Math.max(events, 1)).toFixed(2)} engine deliveries`,
    fmt(head),
    ...lines.map(fmt),
    rows.length > top ? `  … ${rows.length - top} more rules (all in --profile-json)` : '',
    '',
  ].filter((l, i, a) => l !== '' || i === a.length - 1).join('\n');
}

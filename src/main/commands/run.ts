// `kestrel run --rules PATH…`: live detection. The eBPF sensor's events become ECS records
// (live-source.ts) and go straight into the detection pipeline; alerts are written as NDJSON
// lines the moment the pipeline releases them. Runs until --duration passes or SIGINT/SIGTERM.
import { RecordBatch } from '../pipeline/record-batch.js';
import { RESPONSE_MODES, Responder, type ResponseMode } from '../response/responder.js';
import { readHostInfo } from '../sensor/host-info.js';
import type { Command } from '../command.js';
import { ExitCode, InputError, InternalError, UsageError } from '../../shared/errors.js';
import { logger } from '../../shared/log.js';
import { buildLayout } from '../../shared/record/layout.js';
import { describeSchema } from '../../shared/record/schema-desc.js';
import { ecsLinuxSchema } from '../../shared/schema/ecs-linux.js';
import { DetectionPipeline } from '../pipeline/detection.js';
import { openOutputs } from './outputs.js';
import { reloadConfig, describeConfigReload } from '../config/reload-config.js';
import { onStdoutClosed } from '../stdout-closed.js';
import { loadCheckedRules } from '../pipeline/load-rules.js';
import { describeReload, planReload } from '../pipeline/reload-plan.js';
import { watchRulePaths } from '../pipeline/watch-rules.js';
import { defaultPartitions } from '../runtime/runtime.js';
import { LiveSource, untilStopped } from '../sensor/live-source.js';
import { formatError } from '../format-error.js';
import { CAPS_OPTIONS, CONFIG_OPTION, ENGINE_OPTION, METRICS_OPTION, SINK_OPTIONS, evictionWarning, parseCaps, parseEngine, parseWorkers } from './options.js';
import { CaptureWriter } from '../../shared/capture/writer.js';
import { KESTREL_VERSION } from '../../shared/version.js';
import { SENSOR_OPTIONS, parseDuration, parseNames, parseRingBytes, watchNames } from './sensor-options.js';
import { capturePlanOf, type CapturePlanResult } from '../sensor/capture-plan.js';

/**
 * How often every partition is told how far the stream got, even with no traffic for it: that
 * is what lets windows close and the merge release alerts in order while the host is quiet.
 */
const WATERMARK_EVERY_MS = 200;
/** Records evaluated as one batch at most: a long drain is sent on in pieces of this size. */
const LIVE_BATCH_RECORDS = 2048;
/**
 * How far behind the sensor's clock the processing-time watermark stays: an event read later
 * than this after it happened would find its window already closed. Drains take milliseconds.
 */
const IN_FLIGHT_MARGIN_MS = 500;
/** How often `--record` seals a chunk even when it is not full: the most a kill -9 can lose. */
const RECORD_FLUSH_EVERY_MS = 1000;
/** Quiet time after the last change under the rule paths before reloading (editors write in bursts). */
const RULES_WATCH_DEBOUNCE_MS = 500;

export const runCommand: Command = {
  name: 'run',
  summary: 'live detection: run rules over this host\'s activity (eBPF) and print alerts (NDJSON)',
  usage: '--rules PATH... [--output FILE] [--sink URL...] [--metrics HOST:PORT] [--config FILE] [--workers N] [--duration S]',
  maxPositionals: 0,
  description: `Needs root (or CAP_BPF + CAP_PERFMON), kernel BTF and the built sensor addon. Rules that fail
to check are reported and left out; the others run. Stops after --duration seconds or on
SIGINT/SIGTERM, after releasing every alert still pending. SIGHUP, or any change to a file under
the rule paths (debounced), reloads the rules as a new ruleset generation: a rule whose new text
fails keeps running at its previous version (the error is reported), new rules are added,
deleted ones removed, and the per-rule diff is printed. -o appends to FILE. Verdicts come on
time: a sample alerts as soon as it completes, maxspan and missing-event windows close by the
sensor's clock even on a quiet host, and a window still open at shutdown gives no verdict.
Rules may be EQL (.eql, .toml) or Wasm user rules (.wasm).
--config FILE reads every setting from a TOML file (flags win; SIGHUP re-reads it: rules, sinks,
caps and log level change in place, the rest is reported as needing a restart). --sink sends
alerts to files, webhooks, Redis Streams or NATS JetStream with an on-disk spool (at-least-once,
de-duplicate by kestrel.alert.id); --metrics serves Prometheus /metrics, /healthz and /readyz.`,
  options: {
    rules: { type: 'string', list: true, arg: 'PATH...', help: 'rule files or folders (several after one --rules, or repeated; required)' },
    output: { type: 'string', short: 'o', arg: 'FILE', help: 'write alerts to FILE instead of stdout' },
    workers: { type: 'string', arg: 'N', help: 'partition workers; 0 = single thread (default: cores - 1, at least 1)' },
    record: { type: 'string', arg: 'FILE', help: 'also write every event detection saw to a capture (replaying it gives the same alerts)' },
    engine: ENGINE_OPTION,
    ...CAPS_OPTIONS,
    'no-rules-watch': { type: 'boolean', help: 'reload only on SIGHUP, not when files under the rule paths change' },
    response: { type: 'string', arg: 'MODE', help: 'Endpoint rules\' response actions (kill_process): off, dry-run (default: decide and report only) or enforce' },
    'response-allow': { type: 'string', list: true, arg: 'EXE...', help: 'executables (wildcards allowed) never acted on' },
    'response-max-per-minute': { type: 'string', arg: 'N', help: 'response actions per rule per minute (default 10)' },
    ...SENSOR_OPTIONS,
    ...SINK_OPTIONS,
    ...METRICS_OPTION,
    ...CONFIG_OPTION,
  },
  async run(args, ctx) {
    const v = args.values;
    let rulePaths = (v.rules as string[] | undefined) ?? [];
    if (rulePaths.length === 0) throw new UsageError('usage', 'run needs --rules PATH (a rule file or folder)');
    const workers = parseWorkers(v.workers as string | undefined, defaultPartitions());
    const duration = parseDuration(v.duration);
    const ringBufferBytes = parseRingBytes(v['ring-bytes']);
    const captureExtras = { envNames: parseNames(v['capture-env'], 'capture-env'), ...watchNames(parseNames(v['watch-reads'], 'watch-reads')) };
    const engine = parseEngine(v.engine as string | undefined);
    const responseMode = parseResponseMode(v.response);
    const responseMax = v['response-max-per-minute'] === undefined ? undefined : Number(v['response-max-per-minute']);
    if (responseMax !== undefined && !(Number.isInteger(responseMax) && responseMax >= 1)) throw new UsageError('usage', '--response-max-per-minute must be a positive integer');
    let caps = parseCaps(v);

    const schema = ecsLinuxSchema();
    const layout = buildLayout(schema);
    // An unusable output, sink or metrics address is found before anything starts (exit 2).
    // Filled in as they start; metrics and readiness read them when scraped.
    const started: { pipeline?: DetectionPipeline; source?: LiveSource } = {};
    let rulesRunning = 0;
    const outputs = await openOutputs(v, ctx, {
      live: true,
      sources: {
        pipeline: () => started.pipeline?.metrics(),
        sensor: () => {
          const s = started.source?.stats();
          return { kernelEvents: s?.kernelEvents ?? 0, kernelDrops: s?.drops ?? 0, undecodable: s?.undecodable ?? 0 };
        },
      },
      ready: () => ({ sensor_attached: started.source !== undefined, rules_loaded: rulesRunning > 0, workers_running: started.pipeline !== undefined }),
    });
    const sink = outputs.alerts;
    // Sinks hold connections open: close them when start-up fails, or the process lingers.
    const closingOnError = async <T>(p: Promise<T>): Promise<T> => p.catch(async (e: unknown) => {
      await outputs.close();
      throw e;
    });
    const rules = await closingOnError(loadCheckedRules(rulePaths, schema, ctx, {
      onLoaded: (rules) => DetectionPipeline.prepareEarly(rules, describeSchema(schema), engine),
      onLikelyCold: () => DetectionPipeline.startBuildThread(engine),
    }));
    rulesRunning = rules.specs.length;
    const responder = new Responder(rules.specs, {
      mode: responseMode,
      bootId: readHostInfo().bootId,
      allow: (v['response-allow'] as string[] | undefined) ?? [],
      maxPerMinute: responseMax,
    });
    if (responder.active) ctx.err.write(`response actions: ${responseMode}${responseMode === 'enforce' ? ' (kill_process acts on matching processes)' : ''}\n`);
    const pipeline = await closingOnError(DetectionPipeline.start({
      rules: rules.specs,
      schema: describeSchema(schema),
      workers,
      mode: 'live',
      engine,
      ...caps,
      // Alerts are rare and wanted at once: written line by line, not buffered into blocks.
      onAlert: (json) => sink.write(responder.handle(json)),
    }));
    started.pipeline = pipeline;
    if (pipeline.layout.hash !== layout.hash) {
      await pipeline.abort();
      throw new InternalError('run.layout', 'the pipeline and the sensor lay records out differently');
    }

    // The recording holds exactly what the pipeline was fed, so `kestrel replay` of it must print
    // the same alerts as this run (tested in test/sensor-run-live.test.ts).
    const recorder = typeof v.record === 'string'
      ? CaptureWriter.create(v.record, { layout, source: { kestrelVersion: KESTREL_VERSION, description: 'kestrel run --record' }, sync: 'chunk' })
      : undefined;

    // flush() is async; chain calls so at most one runs and none is lost.
    let flushing: Promise<void> = Promise.resolve();
    let failure: unknown;
    const flushSoon = () => {
      flushing = flushing.then(() => pipeline.flush()).catch((e: unknown) => {
        failure ??= e;
      });
    };
    let source: LiveSource;
    let pendingRecords = false;
    const batch = new RecordBatch();
    const pushBatch = () => {
      batch.drain((bytes, offsets, count) => pipeline.pushRecords(bytes, offsets, count));
      if (pipeline.shouldFlush) flushSoon();
    };
    try {
      const capture = capturePlanOf(rules.specs.map((s) => s.query), captureExtras);
      ctx.err.write(describeCapture(capture));
      source = LiveSource.start({
        layout,
        ringBufferBytes,
        capture,
        onRecord: (record, length) => {
          recorder?.append(record.subarray(0, length));
          batch.add(record, length);
          if (batch.count >= LIVE_BATCH_RECORDS) pushBatch();
          pendingRecords = true;
        },
        // Each drained batch is evaluated in one go and goes to the workers at once (a verdict,
        // and a response action, must not wait for a full batch or the next tick); a batch is
        // already ~10 ms of events.
        onBatchEnd: () => {
          pushBatch();
          if (!pendingRecords) return;
          pendingRecords = false;
          flushSoon();
        },
      });
    } catch (err) {
      await pipeline.abort();
      await outputs.close();
      throw err;
    }
    source.sendSnapshot();
    started.source = source;
    // SIGHUP, or a change under the rule paths (debounced), reloads the rules as a new ruleset
    // generation. A rule whose new text fails keeps its previous version (reload-plan.ts); a
    // reload that cannot be applied at all leaves the current rules running. Reloads run one at
    // a time, in order.
    let current = rules.specs;
    let generation = 1;
    let reloading: Promise<void> = Promise.resolve();
    let config = args.config;
    const reload = (why: string, withConfig = false) => {
      reloading = reloading.then(async () => {
        let newCaps: typeof caps | undefined;
        // SIGHUP re-reads --config too: rules, sinks, caps and log level change in place;
        // the rest is reported as needing a restart. A config that fails to check changes nothing.
        if (withConfig && config) {
          try {
            const r = reloadConfig(config, args);
            config = r.config;
            if (r.changed.length) ctx.err.write(`${why}: ${describeConfigReload(r)}\n`);
            if (r.values.rules) {
              rulePaths = r.values.rules;
              // Watch the new paths from now on.
              if (watcher) {
                watcher.close();
                watcher = watchRulePaths(rulePaths, RULES_WATCH_DEBOUNCE_MS, () => reload('rule files changed'));
              }
            }
            if (r.values.caps) newCaps = caps = r.values.caps;
            if (r.values.sinks) await outputs.reopenSinks(r.values.sinks);
          } catch (e) {
            ctx.err.write(`${why}: config ${config.path} not reloaded, the current settings stay in force: ${formatError(e)}\n`);
          }
        }
        try {
          const fresh = await loadCheckedRules(rulePaths, schema, ctx, { allowNone: true });
          const plan = planReload(current, fresh);
          if (plan.specs.length === 0) throw new InputError('rules.none', 'no usable rules after the reload');
          await pipeline.swapRules(plan.specs, newCaps);
          responder.setRules(plan.specs);
          // New rules may name other files or variables: the kernel's watch list follows them.
          const capture = capturePlanOf(plan.specs.map((s) => s.query), captureExtras);
          if (source.updateCapture(capture)) ctx.err.write(`${why}: ${describeCapture(capture)}`);
          current = plan.specs;
          rulesRunning = current.length;
          generation++;
          ctx.err.write(`${why}: ${describeReload(plan, generation)}\n`);
          logger().info({ generation, rules: plan.specs.length, added: plan.added, changed: plan.changed, keptOld: plan.keptOld, removed: plan.removed, failedNew: plan.failedNew, trigger: why }, 'rules reloaded');
        } catch (e) {
          ctx.err.write(`${why}: reload failed, the current rules (generation ${generation}) stay in force: ${formatError(e)}\n`);
        }
      });
    };
    const onHup = () => reload('SIGHUP', true);
    process.on('SIGHUP', onHup);
    let watcher = v['no-rules-watch'] === true ? undefined : watchRulePaths(rulePaths, RULES_WATCH_DEBOUNCE_MS, () => reload('rule files changed'));
    // `run | head -1`: the reader left; shut down cleanly (capture closed, alerts released).
    const stdoutGone = new AbortController();
    const unregister = onStdoutClosed(() => stdoutGone.abort());
    // Listening for SIGINT/SIGTERM before the line below says they stop the run: a signal sent
    // the moment it appears stops cleanly instead of killing the process.
    const stopped = untilStopped(duration, stdoutGone.signal);
    // Said once the rule watch is in place: an edit right after this line is seen.
    ctx.err.write(`watching this host with ${rules.specs.length} rule(s), ${workers} worker(s)${duration === undefined ? '' : ` for ${duration} s`} (SIGINT/SIGTERM stops)\n`);
    // The recording is sealed at least once a second, so a kill -9 loses at most the last second.
    let lastRecordFlush = Date.now();
    // Processing time: the sensor's clock (wall time at start + monotonic time since), less a
    // margin for events still in the kernel ring or on their way to the workers.
    const startedWall = Date.now();
    const startedMono = performance.now();
    const ticker = setInterval(() => {
      pipeline.watermark(startedWall + (performance.now() - startedMono) - IN_FLIGHT_MARGIN_MS);
      flushSoon();
      if (recorder && Date.now() - lastRecordFlush >= RECORD_FLUSH_EVERY_MS) {
        recorder.flush();
        lastRecordFlush = Date.now();
      }
    }, WATERMARK_EVERY_MS);
    let why: string;
    try {
      why = await stopped;
    } finally {
      clearInterval(ticker);
      process.off('SIGHUP', onHup);
      watcher?.close();
    }
    await reloading;
    const stats = source.stop();
    pushBatch(); // the last drain ends with onBatchEnd too; this only guards a source that did not
    recorder?.close();
    await flushing;
    if (failure !== undefined) {
      await pipeline.abort();
      throw failure;
    }
    // A shutdown is not the end of the data: windows still open get no verdict (say how many).
    const open = pipeline.openState();
    await pipeline.finish();
    if (open > 0) ctx.err.write(`shutdown: ${open} open sequence window(s) and partial(s) got no verdict\n`);
    const warning = evictionWarning(pipeline.evictions());
    if (warning) ctx.err.write(warning);
    unregister();
    await outputs.close();
    if (why !== 'duration') ctx.err.write(`${why}: stopped\n`);
    ctx.err.write(`${stats.records} events, ${sink.count} alert(s); dropped in the kernel (ring full) ${stats.drops}\n`);
    return rules.failed > 0 || pipeline.userRulesRefused().length > 0 ? ExitCode.ruleError : ExitCode.ok;
  },
};

/** One line on what the sensor captures for these rules, and what a rule asked for in vain. */
function describeCapture(c: CapturePlanResult): string {
  const parts = [`sensor: read-only opens of ${c.watchFiles.length} file name(s) and ${c.watchDirs.length} folder name(s) the rules look at; ${c.envNames.length} environment variable name(s) kept`];
  if (c.partial.length) parts.push(`not watchable by name (wildcard in the file name): ${c.partial.join(', ')}`);
  if (c.hot.length) parts.push(`left out as read by nearly every process: ${c.hot.join(', ')}`);
  if (c.dropped.length) parts.push(`over the kernel's limits: ${c.dropped.join(', ')}`);
  return parts.join('; ') + '\n';
}

function parseResponseMode(value: unknown): ResponseMode {
  if (value === undefined) return 'dry-run';
  if (typeof value === 'string' && (RESPONSE_MODES as readonly string[]).includes(value)) return value as ResponseMode;
  throw new UsageError('usage', '--response must be off, dry-run or enforce');
}

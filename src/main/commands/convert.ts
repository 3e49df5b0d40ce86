// `kestrel convert IN OUT`: NDJSON / JSON array / .data → capture.bin, or capture.bin → NDJSON.
// The direction follows the input: a capture (by its magic) becomes NDJSON, anything else a capture.
import type { Command } from '../command.js';
import { ExitCode, UsageError } from '../../shared/errors.js';
import { isCaptureFile } from '../../shared/input/capture-events.js';
import { readRecords } from '../../shared/input/read-events.js';
import { CaptureReader } from '../../shared/capture/reader.js';
import { CaptureWriter } from '../../shared/capture/writer.js';
import { decodeRecord } from '../../shared/record/decode.js';
import { buildLayout } from '../../shared/record/layout.js';
import { RecordBuilder } from '../../shared/record/builder.js';
import { encodeEvent } from '../../shared/record/encode.js';
import { inferSchema, INFER_DEFAULTS } from '../../shared/schema/infer.js';
import { ecsLinuxSchema } from '../../shared/schema/ecs-linux.js';
import { combineSchemas } from '../../shared/schema/schema.js';
import { toJsonText } from '../../shared/output/json-text.js';
import { openAlertSink } from '../pipeline/alert-sink.js';
import { KESTREL_VERSION } from '../../shared/version.js';
import type { InputRecord } from '../../shared/input/read-events.js';

export const convertCommand: Command = {
  name: 'convert',
  summary: 'convert events between NDJSON/JSON and capture.bin',
  usage: 'IN OUT',
  description: `IN may be NDJSON, a JSON array, an Elasticsearch .data file, or '-' for stdin; OUT is then a
capture whose schema is ECS Linux plus the fields inferred from the first ${INFER_DEFAULTS.maxEvents} events.
A capture as IN is written out as NDJSON (OUT '-' = stdout).`,
  options: {
    'chunk-records': { type: 'string', arg: 'N', help: 'records per capture chunk (default 4096)' },
  },
  async run(args, ctx) {
    const [input, output, ...extra] = args.positionals;
    if (!input || !output || extra.length) throw new UsageError('usage', 'convert takes IN and OUT');
    if (await isCaptureFile(input)) {
      const reader = await CaptureReader.open(input);
      const sink = await openAlertSink(output === '-' ? undefined : output, ctx.out);
      try {
        for await (const view of reader.records()) sink.write(toJsonText(decodeRecord(view)));
      } finally {
        await sink.close();
        await reader.close();
      }
      for (const w of reader.warnings) ctx.err.write(`${input}: warning: ${w.message}\n`);
      ctx.err.write(`wrote ${sink.count} events to ${output}\n`);
      return ExitCode.ok;
    }

    // JSON → capture: buffer enough events to infer the fields ECS does not know, then stream.
    const records = readRecords(input, ctx.stdin);
    const head: InputRecord[] = [];
    let next = await records.next();
    while (!next.done && head.length < INFER_DEFAULTS.maxEvents) {
      head.push(next.value);
      next = await records.next();
    }
    const inferred = inferSchema(head.map((r) => r.event), `inferred from ${input}`);
    const schema = combineSchemas(ecsLinuxSchema(), inferred, { name: `ecs-linux + ${input}`, strict: false });
    const layout = buildLayout(schema);
    const writer = CaptureWriter.create(output, {
      layout,
      source: { kestrelVersion: KESTREL_VERSION, description: `converted from ${input}` },
      chunkRecords: Number((args.values['chunk-records'] as string | undefined) ?? 4096),
    });
    const builder = new RecordBuilder(layout);
    let seq = 0;
    const put = (r: InputRecord) => writer.append(encodeEvent(layout, r.event, seq++, builder));
    try {
      for (const r of head) put(r);
      while (!next.done) {
        put(next.value);
        next = await records.next();
      }
    } finally {
      writer.close();
    }
    ctx.err.write(`wrote ${seq} events (${writer.stats.chunks} chunks, ${writer.stats.bytes} bytes) to ${output}\n`);
    return ExitCode.ok;
  },
};

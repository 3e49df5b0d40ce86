// `kestrel capture info FILE`: what a capture holds and whether it is intact.
import type { Command } from '../command.js';
import { ExitCode, InputError, UsageError } from '../../shared/errors.js';
import { CaptureReader, type ChunkInfo } from '../../shared/capture/reader.js';
import { formatNsIso } from '../../shared/record/date.js';

interface Integrity {
  ok: boolean;
  error?: { code: string; message: string; context?: Record<string, unknown> };
}

export const captureCommand: Command = {
  name: 'capture',
  summary: 'inspect capture files (capture info FILE)',
  usage: 'info [--format text|json] [--skip-corrupt] capture.bin',
  description: 'Reads every chunk and verifies its CRCs; exits 2 when the capture is damaged.',
  options: {
    format: { type: 'string', arg: 'F', help: 'text (default) or json' },
    'skip-corrupt': { type: 'boolean', help: 'skip damaged chunks and count them instead of stopping' },
  },
  async run(args, ctx) {
    const [sub, file, ...rest] = args.positionals;
    if (sub !== 'info' || file === undefined || rest.length > 0) throw new UsageError('capture.usage', "usage: kestrel capture info [--format json] capture.bin\nRun 'kestrel capture --help' for usage.");
    const format = args.values.format ?? 'text';
    if (format !== 'text' && format !== 'json') throw new UsageError('capture.format', '--format must be text or json');
    const reader = await CaptureReader.open(file, { skipCorrupt: args.values['skip-corrupt'] === true });
    const chunks: ChunkInfo[] = [];
    const integrity: Integrity = { ok: true };
    try {
      for await (const c of reader.chunks()) {
        const { payload: _payload, ...info } = c;
        chunks.push(info);
      }
    } catch (e) {
      if (!(e instanceof InputError)) throw e;
      integrity.ok = false;
      integrity.error = { code: e.code, message: e.message, ...(e.context ? { context: e.context } : {}) };
    } finally {
      await reader.close();
    }
    if (reader.stats.corruptChunks > 0) integrity.ok = false;
    const info = summarise(reader, file, chunks, integrity);
    ctx.out.write(format === 'json' ? JSON.stringify(info, (_k, x) => (typeof x === 'bigint' ? x.toString() : x), 2) + '\n' : renderText(info));
    return integrity.ok ? ExitCode.ok : ExitCode.inputError;
  },
};

function summarise(reader: CaptureReader, file: string, chunks: ChunkInfo[], integrity: Integrity) {
  const withTime = chunks.filter((c) => c.firstTimestampNs !== 0n);
  return {
    file,
    formatVersion: `${reader.version.major}.${reader.version.minor}`,
    bytes: reader.size,
    schema: { name: reader.schema.name, hash: reader.meta.schemaHash, fields: reader.layout.fields.length },
    source: reader.meta.source,
    records: reader.stats.records,
    seq: chunks.length ? { first: chunks[0]!.firstSeq, last: chunks.at(-1)!.lastSeq } : null,
    time: withTime.length ? { first: iso(withTime[0]!.firstTimestampNs), last: iso(withTime.at(-1)!.lastTimestampNs) } : null,
    chunks: chunks.map((c) => ({ index: c.index, offset: c.offset, records: c.recordCount, bytes: c.payloadLength, firstSeq: c.firstSeq, lastSeq: c.lastSeq })),
    integrity: { ...integrity, chunksVerified: reader.stats.chunks, corruptChunks: reader.stats.corruptChunks, footer: reader.stats.footer },
    warnings: reader.warnings,
  };
}

function iso(ns: bigint): string {
  return formatNsIso(ns, 9);
}

function renderText(info: ReturnType<typeof summarise>): string {
  const s = info.source;
  const lines = [
    `${info.file}: Kestrel capture, format ${info.formatVersion}, ${info.bytes} bytes`,
    `schema      ${info.schema.name} (${info.schema.fields} fields), hash ${info.schema.hash}`,
    `source      ${[s.description, s.host && `host ${s.host}`, s.kernel && `kernel ${s.kernel}`, s.startTime && `started ${s.startTime}`, s.kestrelVersion && `kestrel ${s.kestrelVersion}`].filter(Boolean).join(', ')}`,
    `records     ${info.records}` + (info.seq ? ` (seq ${info.seq.first} … ${info.seq.last})` : ''),
    `time        ${info.time ? `${info.time.first} … ${info.time.last}` : '-'}`,
    `chunks      ${info.chunks.length}`,
  ];
  const shown = info.chunks.length > 8 ? [...info.chunks.slice(0, 4), null, ...info.chunks.slice(-3)] : info.chunks;
  for (const c of shown) {
    lines.push(c === null ? '            …' : `            #${c.index} @${c.offset}: ${c.records} records, ${c.bytes} bytes, seq ${c.firstSeq}…${c.lastSeq}`);
  }
  const i = info.integrity;
  lines.push(
    `integrity   ${i.ok ? 'ok' : 'DAMAGED'}: ${i.chunksVerified} chunks verified, ${i.corruptChunks} corrupt, index ${i.footer}` + (i.error ? `\n            ${i.error.message}` : ''),
  );
  for (const w of info.warnings) lines.push(`warning     ${w.message}`);
  return lines.join('\n') + '\n';
}

// Streaming capture reader: reads the file header, then one chunk at a time into a reused buffer
// (memory is bounded by the largest chunk), verifying both CRCs of every chunk. Damage is
// reported by position: an InputError names the chunk and the byte offset. A file that simply
// ends early (crash while recording) is not an error: the complete chunks are replayed and a
// warning says what was lost. With skipCorrupt, bad chunks are skipped and counted instead.
import { InputError } from '../errors.js';
import { RecordHeader } from '../record/frame.js';
import { RECORD_FORMAT_VERSION, buildLayout, type RecordLayout } from '../record/layout.js';
import { schemaFromDescription } from '../record/schema-desc.js';
import { RecordView } from '../record/view.js';
import type { BuiltSchema } from '../schema/schema.js';
import { crc32c } from './crc32c.js';
import {
  CHUNK_MAGIC,
  ChunkHeader,
  FILE_MAGIC,
  FORMAT_MAJOR,
  FileHeader,
  INDEX_MAGIC,
  IndexLayout,
  TRAILER_MAGIC,
  Trailer,
  type CaptureMeta,
} from './format.js';
import { fileSource, memorySource, type ByteSource } from './source.js';
import type { ChunkPool } from './chunk-pool.js';

export interface CaptureReaderOptions {
  /** Skip chunks that fail their CRC (counted in stats.corruptChunks) instead of throwing. */
  skipCorrupt?: boolean;
  /** Refuse chunks larger than this (default 256 MiB): a guard against absurd lengths. */
  maxChunkBytes?: number;
  /**
   * Read each chunk into a buffer of its own, taken from this pool, instead of one reused buffer:
   * the caller may keep a chunk's payload after asking for the next (replay's predicate jobs hold
   * theirs until their bits are back, and otherwise copy them), and gives it back to the pool
   * once nothing reads it.
   */
  chunkPool?: ChunkPool;
}

export interface CaptureWarning {
  code: 'capture.truncated' | 'capture.no-footer' | 'capture.corrupt-skipped' | 'capture.footer-mismatch';
  message: string;
  /** Byte offset the warning is about. */
  offset: number;
  /** Chunk ordinal (0-based), when the warning is about a chunk. */
  chunk?: number;
}

export interface ChunkInfo {
  /** Chunk ordinal in the file (0-based; counts damaged chunks too). */
  index: number;
  /** File offset of the chunk header. */
  offset: number;
  recordCount: number;
  payloadLength: number;
  firstSeq: bigint;
  lastSeq: bigint;
  firstTimestampNs: bigint;
  lastTimestampNs: bigint;
}

export interface ChunkBatch extends ChunkInfo {
  /** The chunk's records back to back. A view into a reused buffer: valid until the next chunk. */
  payload: Uint8Array;
}

export type FooterState = 'ok' | 'missing' | 'truncated' | 'corrupt';

export interface CaptureReadStats {
  chunks: number;
  records: number;
  corruptChunks: number;
  footer: FooterState;
}

export class CaptureReader {
  readonly version: { major: number; minor: number };
  readonly meta: CaptureMeta;
  readonly schema: BuiltSchema;
  readonly layout: RecordLayout;
  /** Offset of the first chunk. */
  readonly dataStart: number;
  /** Filled while reading; reset at the start of each chunks()/records() pass. */
  warnings: CaptureWarning[] = [];
  stats: CaptureReadStats = { chunks: 0, records: 0, corruptChunks: 0, footer: 'missing' };

  private readonly src: ByteSource;
  private readonly skipCorrupt: boolean;
  private readonly maxChunkBytes: number;
  private readonly chunkPool: ChunkPool | undefined;
  private buf = new Uint8Array(ChunkHeader.size);
  private readonly head = new Uint8Array(ChunkHeader.size);
  private readonly headView = new DataView(this.head.buffer);

  static async open(path: string, options: CaptureReaderOptions = {}): Promise<CaptureReader> {
    const src = await fileSource(path);
    try {
      return await CaptureReader.fromSource(src, options);
    } catch (e) {
      await src.close();
      throw e;
    }
  }

  static async fromBytes(bytes: Uint8Array, options: CaptureReaderOptions = {}, name?: string): Promise<CaptureReader> {
    return CaptureReader.fromSource(memorySource(bytes, name), options);
  }

  static async fromSource(src: ByteSource, options: CaptureReaderOptions = {}): Promise<CaptureReader> {
    const h = await readFileHeader(src);
    return new CaptureReader(src, h, options);
  }

  private constructor(src: ByteSource, h: ParsedHeader, o: CaptureReaderOptions) {
    this.src = src;
    this.version = h.version;
    this.meta = h.meta;
    this.schema = h.schema;
    this.layout = h.layout;
    this.dataStart = h.dataStart;
    this.skipCorrupt = o.skipCorrupt === true;
    this.maxChunkBytes = o.maxChunkBytes ?? 256 << 20;
    this.chunkPool = o.chunkPool;
  }

  get name(): string {
    return this.src.name;
  }

  get size(): number {
    return this.src.size;
  }

  close(): Promise<void> {
    return this.src.close();
  }

  /** Every record, through one RecordView that is reset onto each record (do not keep it). */
  async *records(): AsyncGenerator<RecordView> {
    const view = new RecordView(this.layout);
    for await (const chunk of this.chunks()) {
      for (let off = 0; off < chunk.payload.length; ) {
        view.reset(chunk.payload, off);
        yield view;
        off += view.length;
      }
    }
  }

  /** Verified chunks in file order. */
  async *chunks(): AsyncGenerator<ChunkBatch> {
    this.warnings = [];
    this.stats = { chunks: 0, records: 0, corruptChunks: 0, footer: 'missing' };
    const size = this.src.size;
    let pos = this.dataStart;
    let ordinal = 0;
    while (true) {
      if (pos === size) {
        this.warn('capture.no-footer', `no index or trailer after chunk ${ordinal - 1}: the capture was not closed cleanly; read ${this.stats.chunks} complete chunks`, pos);
        return;
      }
      if (size - pos < 4) return this.truncated(pos, ordinal, 'ends inside a chunk header');
      await this.src.read(this.head, 0, 4, pos);
      const magic = this.headView.getUint32(0, true);
      if (magic === INDEX_MAGIC) {
        await this.readFooter(pos, ordinal);
        return;
      }
      if (magic !== CHUNK_MAGIC) {
        const next = await this.corrupt(ordinal, pos, `chunk ${ordinal} at byte ${pos}: expected a chunk header or the index, found other bytes`);
        if (next < 0) return;
        pos = next;
        ordinal++;
        continue;
      }
      if (size - pos < ChunkHeader.size) return this.truncated(pos, ordinal, 'ends inside a chunk header');
      await this.src.read(this.head, 0, ChunkHeader.size, pos);
      const hv = this.headView;
      if (crc32c(this.head, 0, ChunkHeader.headerCrc) !== hv.getUint32(ChunkHeader.headerCrc, true)) {
        const next = await this.corrupt(ordinal, pos, `chunk ${ordinal} at byte ${pos}: header CRC mismatch`);
        if (next < 0) return;
        pos = next;
        ordinal++;
        continue;
      }
      const info = chunkInfo(hv, ordinal, pos);
      const end = pos + ChunkHeader.size + info.payloadLength;
      if (info.payloadLength > this.maxChunkBytes) {
        throw this.error('capture.chunk-too-large', `chunk ${ordinal} at byte ${pos}: payload of ${info.payloadLength} bytes exceeds the ${this.maxChunkBytes}-byte limit`, ordinal, pos);
      }
      if (end > size) return this.truncated(pos, ordinal, `is cut short (${size - pos - ChunkHeader.size} of ${info.payloadLength} payload bytes)`);
      if (this.chunkPool) this.buf = this.chunkPool.take(info.payloadLength);
      else if (this.buf.length < info.payloadLength) this.buf = new Uint8Array(info.payloadLength);
      const payload = this.buf.subarray(0, info.payloadLength);
      await this.src.read(payload, 0, info.payloadLength, pos + ChunkHeader.size);
      const problem =
        crc32c(payload) !== hv.getUint32(ChunkHeader.payloadCrc, true) ? 'payload CRC mismatch' : frameProblem(payload, info.recordCount);
      if (problem !== undefined) {
        if (!this.skipCorrupt) throw this.error('capture.corrupt-chunk', `chunk ${ordinal} at byte ${pos}: ${problem}`, ordinal, pos);
        this.skipped(ordinal, pos, problem);
        this.chunkPool?.give(payload);
      } else {
        this.stats.chunks++;
        this.stats.records += info.recordCount;
        yield { ...info, payload };
      }
      pos = end;
      ordinal++;
    }
  }

  /** Checks the index and trailer that end a cleanly closed capture. */
  private async readFooter(pos: number, ordinal: number): Promise<void> {
    const size = this.src.size;
    if (size - pos < IndexLayout.entries) return this.footerTruncated(pos);
    await this.src.read(this.head, 0, IndexLayout.entries, pos);
    const n = this.headView.getUint32(IndexLayout.chunkCount, true);
    const length = IndexLayout.entries + n * IndexLayout.entrySize + Trailer.size;
    if (size - pos < length) {
      // A cut file, unless an intact trailer at the end points here: then the count is damaged.
      if (!(await this.trailerPointsAt(pos))) return this.footerTruncated(pos);
      if (!this.skipCorrupt) throw this.error('capture.corrupt-index', `index at byte ${pos} (after chunk ${ordinal - 1}): chunk count is damaged`, ordinal, pos);
      this.stats.footer = 'corrupt';
      this.warn('capture.corrupt-skipped', `index at byte ${pos} is damaged; ignored`, pos);
      return;
    }
    const bytes = new Uint8Array(length);
    await this.src.read(bytes, 0, length, pos);
    const dv = new DataView(bytes.buffer);
    const t = length - Trailer.size;
    const ok =
      pos + length === size &&
      dv.getUint32(t + Trailer.magic, true) === TRAILER_MAGIC &&
      crc32c(bytes, t, t + Trailer.trailerCrc) === dv.getUint32(t + Trailer.trailerCrc, true) &&
      crc32c(bytes, 0, t) === dv.getUint32(t + Trailer.indexCrc, true) &&
      dv.getUint32(t + Trailer.chunkCount, true) === n &&
      Number(dv.getBigUint64(t + Trailer.indexOffset, true)) === pos;
    if (!ok) {
      if (!this.skipCorrupt) throw this.error('capture.corrupt-index', `index at byte ${pos} (after chunk ${ordinal - 1}): index or trailer is damaged`, ordinal, pos);
      this.stats.footer = 'corrupt';
      this.warn('capture.corrupt-skipped', `index at byte ${pos} is damaged; ignored`, pos);
      return;
    }
    this.stats.footer = 'ok';
    const total = Number(dv.getBigUint64(t + Trailer.totalRecords, true));
    if (n !== this.stats.chunks + this.stats.corruptChunks || total !== this.stats.records) {
      this.warn('capture.footer-mismatch', `index lists ${n} chunks and ${total} records; read ${this.stats.chunks} chunks and ${this.stats.records} records`, pos);
    }
  }

  /**
   * The record count a cleanly closed capture's trailer states, without reading the chunks (for
   * progress bars); undefined when the trailer is missing or damaged. Reading still counts.
   */
  async totalRecordsHint(): Promise<number | undefined> {
    const size = this.src.size;
    if (size - this.dataStart < Trailer.size) return undefined;
    const t = new Uint8Array(Trailer.size);
    await this.src.read(t, 0, Trailer.size, size - Trailer.size);
    const dv = new DataView(t.buffer);
    if (dv.getUint32(Trailer.magic, true) !== TRAILER_MAGIC || crc32c(t, 0, Trailer.trailerCrc) !== dv.getUint32(Trailer.trailerCrc, true)) return undefined;
    return Number(dv.getBigUint64(Trailer.totalRecords, true));
  }

  private async trailerPointsAt(pos: number): Promise<boolean> {
    const size = this.src.size;
    if (size - pos < Trailer.size) return false;
    const t = new Uint8Array(Trailer.size);
    await this.src.read(t, 0, Trailer.size, size - Trailer.size);
    const dv = new DataView(t.buffer);
    return (
      dv.getUint32(Trailer.magic, true) === TRAILER_MAGIC &&
      crc32c(t, 0, Trailer.trailerCrc) === dv.getUint32(Trailer.trailerCrc, true) &&
      Number(dv.getBigUint64(Trailer.indexOffset, true)) === pos
    );
  }

  private footerTruncated(pos: number): void {
    this.stats.footer = 'truncated';
    this.warn('capture.truncated', `capture ends inside its index at byte ${pos}; all ${this.stats.chunks} chunks are complete`, pos);
  }

  private truncated(pos: number, ordinal: number, what: string): void {
    this.warn('capture.truncated', `chunk ${ordinal} at byte ${pos} ${what}: the capture was cut off; replaying the ${this.stats.chunks} complete chunks (${this.stats.records} records)`, pos, ordinal);
  }

  /** A damaged chunk: throws, or (skipCorrupt) counts it and returns where reading resumes (-1: nowhere). */
  private async corrupt(ordinal: number, pos: number, message: string): Promise<number> {
    if (!this.skipCorrupt) throw this.error('capture.corrupt-chunk', message, ordinal, pos);
    this.skipped(ordinal, pos, message);
    return this.resync(pos + 8);
  }

  private skipped(ordinal: number, pos: number, problem: string): void {
    this.stats.corruptChunks++;
    this.warn('capture.corrupt-skipped', `chunk ${ordinal} at byte ${pos} skipped: ${problem}`, pos, ordinal);
  }

  /**
   * After a damaged chunk header, the chunk's length cannot be trusted: scan forward on the
   * 8-byte grid every chunk starts on for the next header whose CRC holds, or for the index.
   */
  private async resync(from: number): Promise<number> {
    const size = this.src.size;
    const block = new Uint8Array(64 * 1024);
    const bv = new DataView(block.buffer);
    for (let base = from; base + 4 <= size; base += block.length - 8) {
      const n = Math.min(block.length, size - base);
      await this.src.read(block, 0, n, base);
      for (let i = 0; i + 4 <= n; i += 8) {
        const magic = bv.getUint32(i, true);
        if (magic === INDEX_MAGIC) return base + i;
        if (magic === CHUNK_MAGIC && base + i + ChunkHeader.size <= size) {
          await this.src.read(this.head, 0, ChunkHeader.size, base + i);
          if (crc32c(this.head, 0, ChunkHeader.headerCrc) === this.headView.getUint32(ChunkHeader.headerCrc, true)) return base + i;
        }
      }
      if (n < block.length) break;
    }
    this.warn('capture.truncated', `no intact chunk after byte ${from - 8}; stopped reading`, from - 8);
    return -1;
  }

  private warn(code: CaptureWarning['code'], message: string, offset: number, chunk?: number): void {
    this.warnings.push({ code, message, offset, ...(chunk !== undefined ? { chunk } : {}) });
  }

  private error(code: string, message: string, chunk: number, offset: number): InputError {
    return new InputError(code, message, {
      file: this.src.name,
      context: { chunk, offset },
      hint: 'read the intact chunks with --skip-corrupt',
    });
  }
}

/** Why a CRC-valid payload is not a sequence of `count` well-framed records, or undefined. */
function frameProblem(payload: Uint8Array, count: number): string | undefined {
  const dv = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  let off = 0;
  let n = 0;
  while (off < payload.length) {
    if (payload.length - off < RecordHeader.size) return `record ${n} at payload byte ${off} is cut short`;
    const len = dv.getUint32(off + RecordHeader.length, true);
    if (len < RecordHeader.size || len % 8 !== 0 || off + len > payload.length) return `record ${n} at payload byte ${off} has a bad length (${len})`;
    off += len;
    n++;
  }
  return n === count ? undefined : `header says ${count} records, payload holds ${n}`;
}

function chunkInfo(hv: DataView, ordinal: number, offset: number): ChunkInfo {
  return {
    index: ordinal,
    offset,
    recordCount: hv.getUint32(ChunkHeader.recordCount, true),
    payloadLength: hv.getUint32(ChunkHeader.payloadLength, true),
    firstSeq: hv.getBigUint64(ChunkHeader.firstSeq, true),
    lastSeq: hv.getBigUint64(ChunkHeader.lastSeq, true),
    firstTimestampNs: hv.getBigInt64(ChunkHeader.firstTimestamp, true),
    lastTimestampNs: hv.getBigInt64(ChunkHeader.lastTimestamp, true),
  };
}

interface ParsedHeader {
  version: { major: number; minor: number };
  meta: CaptureMeta;
  schema: BuiltSchema;
  layout: RecordLayout;
  dataStart: number;
}

async function readFileHeader(src: ByteSource): Promise<ParsedHeader> {
  const fail = (code: string, message: string, offset: number, hint?: string) =>
    new InputError(code, `${message}`, { file: src.name, context: { chunk: null, offset }, ...(hint ? { hint } : {}) });
  const head = new Uint8Array(FileHeader.size);
  if (src.size < 8) throw fail('capture.not-a-capture', 'not a Kestrel capture (file too short for the header)', 0);
  await src.read(head, 0, Math.min(FileHeader.size, src.size), 0);
  for (let i = 0; i < 8; i++) {
    if (head[i] !== FILE_MAGIC.charCodeAt(i)) throw fail('capture.not-a-capture', 'not a Kestrel capture (bad magic in the file header at byte 0)', 0);
  }
  if (src.size < FileHeader.size) throw fail('capture.truncated-header', 'file header at byte 0 is cut short', 0);
  const dv = new DataView(head.buffer);
  const major = dv.getUint16(FileHeader.major, true);
  const minor = dv.getUint16(FileHeader.minor, true);
  // The version is checked before any CRC: a future major may lay its header out differently.
  if (major > FORMAT_MAJOR) {
    throw fail('capture.newer-version', `capture format version ${major}.${minor} is newer than this Kestrel reads (${FORMAT_MAJOR}.x)`, FileHeader.major, 'upgrade Kestrel to read this capture');
  }
  if (major < 1) throw fail('capture.bad-version', `file header at byte 0: unknown capture format version ${major}.${minor}`, FileHeader.major);
  if (crc32c(head, 0, FileHeader.headerCrc) !== dv.getUint32(FileHeader.headerCrc, true)) {
    throw fail('capture.corrupt-header', 'file header at byte 0: header CRC mismatch', 0);
  }
  const metaLength = dv.getUint32(FileHeader.metaLength, true);
  const dataStart = FileHeader.size + ((metaLength + 7) & ~7);
  if (dataStart > src.size) throw fail('capture.truncated-header', `file header metadata at byte ${FileHeader.size} is cut short`, FileHeader.size);
  const metaBytes = new Uint8Array(dataStart - FileHeader.size);
  await src.read(metaBytes, 0, metaBytes.length, FileHeader.size);
  if (crc32c(metaBytes) !== dv.getUint32(FileHeader.metaCrc, true)) throw fail('capture.corrupt-header', `file header metadata at byte ${FileHeader.size}: CRC mismatch`, FileHeader.size);
  let meta: CaptureMeta;
  try {
    meta = JSON.parse(new TextDecoder().decode(metaBytes.subarray(0, metaLength))) as CaptureMeta;
  } catch (e) {
    throw fail('capture.bad-metadata', `file header metadata at byte ${FileHeader.size} is not JSON: ${(e as Error).message}`, FileHeader.size);
  }
  if (typeof meta.recordVersion !== 'number' || meta.recordVersion > RECORD_FORMAT_VERSION) {
    throw fail('capture.newer-version', `capture records use record format ${meta.recordVersion}, newer than this Kestrel reads (${RECORD_FORMAT_VERSION})`, FileHeader.size, 'upgrade Kestrel to read this capture');
  }
  const schema = schemaFromDescription(meta.schema);
  const layout = buildLayout(schema, { timestampField: meta.timestampField });
  if (layout.hash !== meta.schemaHash) {
    throw fail('capture.schema-hash', `file header: schema hash ${meta.schemaHash} does not match its schema (${layout.hash})`, FileHeader.size);
  }
  return { version: { major, minor }, meta, schema, layout, dataStart };
}

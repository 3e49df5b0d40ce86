// Streaming capture writer. Records are appended to an in-memory chunk; a chunk is sealed (CRC,
// header, one write) when it reaches its record or byte limit, on flush() and on close(). The
// file is append-only and every chunk validates itself, so a crash loses at most the chunk being
// filled. Writes are synchronous: one write per chunk (≈1 MiB) keeps ordering trivial and costs
// little next to producing the records.
import { closeSync, fsyncSync, openSync, writeSync } from 'node:fs';
import { InputError, UsageError } from '../errors.js';
import { RecordHeader } from '../record/frame.js';
import { RECORD_FORMAT_VERSION, type RecordLayout } from '../record/layout.js';
import { describeSchema } from '../record/schema-desc.js';
import { crc32c } from './crc32c.js';
import {
  CHUNK_MAGIC,
  ChunkHeader,
  FILE_MAGIC,
  FORMAT_MAJOR,
  FORMAT_MINOR,
  FileHeader,
  INDEX_MAGIC,
  IndexLayout,
  TRAILER_MAGIC,
  Trailer,
  type CaptureMeta,
  type CaptureSource,
} from './format.js';

export type SyncPolicy = 'none' | 'chunk' | 'interval';

export interface CaptureWriterOptions {
  layout: RecordLayout;
  /** Host, kernel, start time, version … as the caller knows them. */
  source: CaptureSource;
  /** Seal a chunk after this many records (default 4096). */
  chunkRecords?: number;
  /** Seal a chunk once its payload reaches this many bytes (default 1 MiB). */
  chunkBytes?: number;
  /** fsync after every chunk, at most once per interval, or never (default "none"; close() always syncs unless "none"). */
  sync?: SyncPolicy;
  /** Interval for sync "interval", in milliseconds (default 1000). */
  syncIntervalMs?: number;
  /** Monotonic clock for the interval policy (default performance.now). */
  now?: () => number;
}

export interface CaptureWriterStats {
  chunks: number;
  records: number;
  /** Bytes written to the file so far. */
  bytes: number;
}

interface IndexEntry {
  offset: number;
  firstSeqLo: number;
  firstSeqHi: number;
  firstTsLo: number;
  firstTsHi: number;
  records: number;
}

export class CaptureWriter {
  readonly stats: CaptureWriterStats = { chunks: 0, records: 0, bytes: 0 };
  private readonly fd: number;
  private readonly ownsFd: boolean;
  private readonly chunkRecords: number;
  private readonly chunkBytes: number;
  private readonly sync: SyncPolicy;
  private readonly syncIntervalMs: number;
  private readonly now: () => number;
  private lastSync: number;
  private chunk: Uint8Array;
  private chunkView: DataView;
  private payloadLength = 0;
  private recordCount = 0;
  private readonly index: IndexEntry[] = [];
  private closed = false;
  private lastRecord: Uint8Array | undefined;
  private lastRecordView: DataView = new DataView(new ArrayBuffer(0));

  /** Creates (or truncates) `path` and writes the file header. */
  static create(path: string, options: CaptureWriterOptions): CaptureWriter {
    let fd: number;
    try {
      fd = openSync(path, 'w');
    } catch (e) {
      throw new InputError('capture.open', `cannot create capture: ${(e as Error).message}`, { file: path, cause: e });
    }
    return new CaptureWriter(fd, true, options);
  }

  /** Writes to an already open file descriptor, positioned at the start of an empty file. */
  static fromFd(fd: number, options: CaptureWriterOptions): CaptureWriter {
    return new CaptureWriter(fd, false, options);
  }

  private constructor(fd: number, ownsFd: boolean, o: CaptureWriterOptions) {
    this.fd = fd;
    this.ownsFd = ownsFd;
    this.chunkRecords = positive('chunkRecords', o.chunkRecords ?? 4096);
    this.chunkBytes = positive('chunkBytes', o.chunkBytes ?? 1 << 20);
    this.sync = o.sync ?? 'none';
    if (!['none', 'chunk', 'interval'].includes(this.sync)) throw new UsageError('capture.sync', `options.sync must be "none", "chunk" or "interval"`);
    this.syncIntervalMs = o.syncIntervalMs ?? 1000;
    this.now = o.now ?? (() => performance.now());
    this.lastSync = this.now();
    this.chunk = new Uint8Array(ChunkHeader.size + this.chunkBytes + 4096);
    this.chunkView = new DataView(this.chunk.buffer);
    this.writeFileHeader(o);
  }

  /** Appends one whole record starting at record[0] (its length is read from its own header). */
  append(record: Uint8Array): void {
    if (this.closed) throw new UsageError('capture.closed', 'capture writer is closed');
    // Producers reuse one output buffer, so caching its DataView saves an allocation per record.
    if (record !== this.lastRecord) {
      this.lastRecord = record;
      this.lastRecordView = new DataView(record.buffer, record.byteOffset, record.byteLength);
    }
    const dv = this.lastRecordView;
    const len = dv.getUint32(RecordHeader.length, true);
    if (len < RecordHeader.size || len % 8 !== 0 || len > record.byteLength) {
      throw new InputError('capture.bad-record', `record length ${len} does not fit a ${record.byteLength}-byte buffer`);
    }
    if (this.recordCount > 0 && this.payloadLength + len > this.chunkBytes) this.seal();
    this.ensureRoom(len);
    const at = ChunkHeader.size + this.payloadLength;
    this.chunk.set(record.subarray(0, len), at);
    const cv = this.chunkView;
    // First/last seq and time come from the records themselves.
    if (this.recordCount === 0) {
      cv.setUint32(ChunkHeader.firstSeq, dv.getUint32(RecordHeader.seq, true), true);
      cv.setUint32(ChunkHeader.firstSeq + 4, dv.getUint32(RecordHeader.seq + 4, true), true);
      cv.setUint32(ChunkHeader.firstTimestamp, dv.getUint32(RecordHeader.timestamp, true), true);
      cv.setUint32(ChunkHeader.firstTimestamp + 4, dv.getUint32(RecordHeader.timestamp + 4, true), true);
    }
    cv.setUint32(ChunkHeader.lastSeq, dv.getUint32(RecordHeader.seq, true), true);
    cv.setUint32(ChunkHeader.lastSeq + 4, dv.getUint32(RecordHeader.seq + 4, true), true);
    cv.setUint32(ChunkHeader.lastTimestamp, dv.getUint32(RecordHeader.timestamp, true), true);
    cv.setUint32(ChunkHeader.lastTimestamp + 4, dv.getUint32(RecordHeader.timestamp + 4, true), true);
    this.payloadLength += len;
    this.recordCount++;
    this.stats.records++;
    if (this.recordCount >= this.chunkRecords || this.payloadLength >= this.chunkBytes) this.seal();
  }

  /** Seals the chunk being filled (if any) so everything appended so far is in the file. */
  flush(): void {
    if (this.recordCount > 0) this.seal();
  }

  /** Seals the last chunk, writes the index and trailer, syncs (unless sync "none") and closes. */
  close(): void {
    if (this.closed) return;
    this.flush();
    this.writeFooter();
    if (this.sync !== 'none') fsyncSync(this.fd);
    this.closed = true;
    if (this.ownsFd) closeSync(this.fd);
  }

  private seal(): void {
    const cv = this.chunkView;
    cv.setUint32(ChunkHeader.magic, CHUNK_MAGIC, true);
    cv.setUint32(ChunkHeader.recordCount, this.recordCount, true);
    cv.setUint32(ChunkHeader.payloadLength, this.payloadLength, true);
    cv.setUint32(ChunkHeader.payloadCrc, crc32c(this.chunk, ChunkHeader.size, ChunkHeader.size + this.payloadLength), true);
    cv.setUint32(ChunkHeader.chunkIndex, this.index.length, true);
    cv.setBigUint64(ChunkHeader.reserved, 0n, true);
    cv.setUint32(ChunkHeader.headerCrc, crc32c(this.chunk, 0, ChunkHeader.headerCrc), true);
    this.index.push({
      offset: this.stats.bytes,
      firstSeqLo: cv.getUint32(ChunkHeader.firstSeq, true),
      firstSeqHi: cv.getUint32(ChunkHeader.firstSeq + 4, true),
      firstTsLo: cv.getUint32(ChunkHeader.firstTimestamp, true),
      firstTsHi: cv.getUint32(ChunkHeader.firstTimestamp + 4, true),
      records: this.recordCount,
    });
    this.write(this.chunk, ChunkHeader.size + this.payloadLength);
    this.stats.chunks++;
    this.payloadLength = 0;
    this.recordCount = 0;
    if (this.sync === 'chunk') fsyncSync(this.fd);
    else if (this.sync === 'interval' && this.now() - this.lastSync >= this.syncIntervalMs) {
      fsyncSync(this.fd);
      this.lastSync = this.now();
    }
  }

  private writeFileHeader(o: CaptureWriterOptions): void {
    const meta: CaptureMeta = {
      schema: describeSchema(o.layout.schema),
      schemaHash: o.layout.hash,
      timestampField: o.layout.timestampFieldId >= 0 ? o.layout.fields[o.layout.timestampFieldId]!.path : '@timestamp',
      recordVersion: RECORD_FORMAT_VERSION,
      source: o.source,
    };
    const json = new TextEncoder().encode(JSON.stringify(meta));
    const padded = (json.length + 7) & ~7;
    const buf = new Uint8Array(FileHeader.size + padded);
    const dv = new DataView(buf.buffer);
    for (let i = 0; i < 8; i++) buf[i] = FILE_MAGIC.charCodeAt(i);
    dv.setUint16(FileHeader.major, FORMAT_MAJOR, true);
    dv.setUint16(FileHeader.minor, FORMAT_MINOR, true);
    dv.setUint32(FileHeader.metaLength, json.length, true);
    buf.set(json, FileHeader.size);
    dv.setUint32(FileHeader.metaCrc, crc32c(buf, FileHeader.size, buf.length), true);
    dv.setUint32(FileHeader.headerCrc, crc32c(buf, 0, FileHeader.headerCrc), true);
    this.write(buf, buf.length);
  }

  private writeFooter(): void {
    const n = this.index.length;
    const indexOffset = this.stats.bytes;
    const buf = new Uint8Array(IndexLayout.entries + n * IndexLayout.entrySize + Trailer.size);
    const dv = new DataView(buf.buffer);
    dv.setUint32(IndexLayout.magic, INDEX_MAGIC, true);
    dv.setUint32(IndexLayout.chunkCount, n, true);
    this.index.forEach((e, i) => {
      const at = IndexLayout.entries + i * IndexLayout.entrySize;
      dv.setBigUint64(at + IndexLayout.entryOffset, BigInt(e.offset), true);
      dv.setUint32(at + IndexLayout.entryFirstSeq, e.firstSeqLo, true);
      dv.setUint32(at + IndexLayout.entryFirstSeq + 4, e.firstSeqHi, true);
      dv.setUint32(at + IndexLayout.entryFirstTimestamp, e.firstTsLo, true);
      dv.setUint32(at + IndexLayout.entryFirstTimestamp + 4, e.firstTsHi, true);
      dv.setUint32(at + IndexLayout.entryRecordCount, e.records, true);
    });
    const t = buf.length - Trailer.size;
    dv.setUint32(t + Trailer.magic, TRAILER_MAGIC, true);
    dv.setUint32(t + Trailer.chunkCount, n, true);
    dv.setBigUint64(t + Trailer.indexOffset, BigInt(indexOffset), true);
    dv.setBigUint64(t + Trailer.totalRecords, BigInt(this.stats.records), true);
    dv.setUint32(t + Trailer.indexCrc, crc32c(buf, 0, t), true);
    dv.setUint32(t + Trailer.trailerCrc, crc32c(buf, t, t + Trailer.trailerCrc), true);
    this.write(buf, buf.length);
  }

  private write(buf: Uint8Array, length: number): void {
    let done = 0;
    while (done < length) done += writeSync(this.fd, buf, done, length - done);
    this.stats.bytes += length;
  }

  private ensureRoom(len: number): void {
    const need = ChunkHeader.size + this.payloadLength + len;
    if (need <= this.chunk.length) return;
    const grown = new Uint8Array(need);
    grown.set(this.chunk.subarray(0, ChunkHeader.size + this.payloadLength));
    this.chunk = grown;
    this.chunkView = new DataView(grown.buffer);
  }
}

function positive(name: string, v: number): number {
  if (!Number.isInteger(v) || v <= 0) throw new UsageError('capture.option', `options.${name} must be a positive integer`);
  return v;
}

// capture.bin: the one place its byte layout is defined (docs/capture.md mirrors it).
// Everything is little-endian. A file is
//
//   file header | chunk* | [index | trailer]
//
// File header (32 bytes + metadata, padded to a multiple of 8):
//   0   8  magic "KSTRLCAP"
//   8   2  u16 major version      10  2  u16 minor version
//   12  4  u32 flags (0)          16  4  u32 metadata length M (UTF-8 JSON, see CaptureMeta)
//   20  4  u32 CRC32C of the metadata plus its zero padding
//   24  4  reserved (0)
//   28  4  u32 CRC32C of bytes 0–27
//   32  M  metadata JSON, then zero padding to align 8
//
// Chunk (64-byte header + payload, the payload is whole records, each 8-aligned):
//   0  4 magic "KCHK"    4 u32 record count    8 u32 payload length   12 u32 payload CRC32C
//   16 8 u64 first seq   24 u64 last seq       32 i64 first timestamp 40 i64 last timestamp (ns)
//   48 4 u32 chunk index 52 4 reserved (0)     56 4 reserved (0)      60 u32 CRC32C of bytes 0–59
//
// Index (written by close(); optional for readers): "KIDX", u32 chunk count, then per chunk
//   u64 file offset, u64 first seq, i64 first timestamp, u32 record count, u32 reserved.
// Trailer (last 32 bytes of a closed file):
//   0 "KEND"  4 u32 chunk count  8 u64 index offset  16 u64 total records
//   24 u32 CRC32C of the index   28 u32 CRC32C of trailer bytes 0–27
//
// Crash safety: the writer only appends and each chunk validates itself, so a file cut anywhere
// holds every chunk written before the cut; the reader replays those and warns.

import type { SchemaDescription } from '../record/schema-desc.js';

/** Readers accept any minor version of their major; a newer major is refused. */
export const FORMAT_MAJOR = 1;
export const FORMAT_MINOR = 0;

export const FILE_MAGIC = 'KSTRLCAP';

export const FileHeader = {
  magic: 0,
  major: 8,
  minor: 10,
  flags: 12,
  metaLength: 16,
  metaCrc: 20,
  reserved: 24,
  headerCrc: 28,
  size: 32,
} as const;

/** The four-byte tags that start chunks, the index and the trailer, read as little-endian u32. */
export const CHUNK_MAGIC = tag('KCHK');
export const INDEX_MAGIC = tag('KIDX');
export const TRAILER_MAGIC = tag('KEND');

export const ChunkHeader = {
  magic: 0,
  recordCount: 4,
  payloadLength: 8,
  payloadCrc: 12,
  firstSeq: 16,
  lastSeq: 24,
  firstTimestamp: 32,
  lastTimestamp: 40,
  chunkIndex: 48,
  /** Two reserved u32 words, written as zero (covered by the header CRC). */
  reserved: 52,
  headerCrc: 60,
  size: 64,
} as const;

export const IndexLayout = {
  magic: 0,
  chunkCount: 4,
  entries: 8,
  entrySize: 32,
  entryOffset: 0,
  entryFirstSeq: 8,
  entryFirstTimestamp: 16,
  entryRecordCount: 24,
} as const;

export const Trailer = {
  magic: 0,
  chunkCount: 4,
  indexOffset: 8,
  totalRecords: 16,
  indexCrc: 24,
  trailerCrc: 28,
  size: 32,
} as const;

/** Who recorded a capture. Passed in by the caller: the format never reads a clock itself. */
export interface CaptureSource {
  host?: string;
  kernel?: string;
  /** When recording started (ISO-8601). */
  startTime?: string;
  kestrelVersion?: string;
  /** e.g. "ebpf", "synth mixed seed=1", "ndjson events.ndjson". */
  description?: string;
  [key: string]: unknown;
}

/** The JSON metadata block of the file header. */
export interface CaptureMeta {
  schema: SchemaDescription;
  /** RecordLayout.hash of the schema: readers check it against the layout they rebuild. */
  schemaHash: string;
  /** Field holding event time (default "@timestamp"). */
  timestampField: string;
  /** Record frame version (layout.ts RECORD_FORMAT_VERSION). */
  recordVersion: number;
  source: CaptureSource;
}

function tag(s: string): number {
  return (s.charCodeAt(0) | (s.charCodeAt(1) << 8) | (s.charCodeAt(2) << 16) | (s.charCodeAt(3) << 24)) >>> 0;
}

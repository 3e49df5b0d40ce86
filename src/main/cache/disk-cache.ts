// A content-addressed cache on disk for work that only depends on its inputs (a ruleset's compiled
// predicate module). Entries live under $KESTREL_CACHE_DIR, else $XDG_CACHE_HOME/kestrel, else
// ~/.cache/kestrel, one file per key: a magic line, the payload's length and CRC-32C, the payload.
// The key already names the content (a hash of the inputs), so the checksum only has to catch a
// damaged or cut file: CRC-32C does (every burst up to 32 bits), in the sensor addon's instruction,
// where SHA-256 of the ~7 MB a warm start reads was ~30 ms of it.
//
// Safe against concurrent writers: an entry is written to a private temporary file and renamed
// into place (rename is atomic on one file system), so a reader sees a whole entry or none, and two
// writers of one key write the same bytes. Safe against damage: an entry whose checksum does not
// match is deleted and treated as missing. A cache that cannot be read or written (read-only home,
// full disk) is simply not used: the work is redone, never failed. Bounded: each namespace keeps
// its 16 most recently used entries (a read marks an entry used), older ones are deleted on write.
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { logger } from '../../shared/log.js';
import { crc32c } from '../../shared/capture/crc32c.js';

const MAGIC = Buffer.from('KESTREL-CACHE 2\n');
/** Any version's magic starts so: an entry of another version is a miss, not damage. */
const MAGIC_STEM = Buffer.from('KESTREL-CACHE ');
/** After the magic: the payload's byte length and CRC-32C, u32 little-endian each. */
const HEAD_BYTES = MAGIC.length + 8;

/** Entries kept per namespace: the most recently used; older ones are deleted when one is written. */
export const MAX_ENTRIES_PER_NAMESPACE = 16;

/**
 * Namespaces earlier versions wrote and this one never reads: pruning only runs in a namespace
 * being written, so without this their entries would stay for good (`parsed`, the parsed-AST
 * cache that `checked` replaced: ~45 MB after a few builds of the corpus).
 */
export const RETIRED_NAMESPACES: readonly string[] = ['parsed'];

export class DiskCache {
  readonly counters = { hits: 0, misses: 0, corrupt: 0, writes: 0, writeFailures: 0, pruned: 0 };
  private retiredRemoved = false;

  constructor(
    readonly dir: string,
    /** Bound on each namespace (every new ruleset or build writes new entries; none is reused). */
    private readonly maxEntries = MAX_ENTRIES_PER_NAMESPACE,
  ) {}

  /** The payload stored under `key` in `namespace`, or undefined (missing, damaged, unreadable). */
  read(namespace: string, key: string): Buffer | undefined {
    const file = this.file(namespace, key);
    let data: Buffer;
    try {
      data = readFileSync(file);
    } catch {
      this.counters.misses++;
      return undefined;
    }
    if (!data.subarray(0, MAGIC.length).equals(MAGIC) && data.subarray(0, MAGIC_STEM.length).equals(MAGIC_STEM)) {
      // Written by another version of this format (keys change with the build, so this is rare).
      this.counters.misses++;
      removeQuietly(file);
      return undefined;
    }
    const payload = data.subarray(HEAD_BYTES);
    const ok = data.length >= HEAD_BYTES && data.subarray(0, MAGIC.length).equals(MAGIC) && data.readUInt32LE(MAGIC.length) === payload.length && data.readUInt32LE(MAGIC.length + 4) === crc32c(payload);
    if (!ok) {
      this.counters.corrupt++;
      logger().warn({ file }, 'cache entry damaged; rebuilding it');
      removeQuietly(file);
      return undefined;
    }
    this.counters.hits++;
    // Marks the entry used, for pruning (least recently used go first); best effort.
    try {
      const now = new Date();
      utimesSync(file, now, now);
    } catch {
      // A read-only cache is still a cache.
    }
    return payload;
  }

  /** Stores `payload` under `key` (atomically; failures are logged and otherwise ignored). */
  write(namespace: string, key: string, payload: Uint8Array): void {
    const file = this.file(namespace, key);
    const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      mkdirSync(join(this.dir, namespace), { recursive: true });
      const head = Buffer.alloc(HEAD_BYTES);
      MAGIC.copy(head);
      head.writeUInt32LE(payload.length, MAGIC.length);
      head.writeUInt32LE(crc32c(payload), MAGIC.length + 4);
      writeFileSync(tmp, Buffer.concat([head, payload]));
      renameSync(tmp, file);
      this.counters.writes++;
      this.prune(namespace);
      this.removeRetired();
    } catch (e) {
      this.counters.writeFailures++;
      removeQuietly(tmp);
      logger().debug({ file, err: (e as Error).message }, 'cache entry not written');
    }
  }

  /**
   * Deletes the least recently used entries of a namespace beyond maxEntries. Another process may
   * prune at the same time or be reading one of them: a deleted entry is only a miss there.
   */
  private prune(namespace: string): void {
    const dir = join(this.dir, namespace);
    const entries: { file: string; used: number }[] = [];
    for (const name of readdirSync(dir)) {
      if (!/^[0-9a-f]{16,128}$/.test(name)) continue; // temporary files of writers in progress
      try {
        entries.push({ file: join(dir, name), used: statSync(join(dir, name)).mtimeMs });
      } catch {
        // Removed meanwhile.
      }
    }
    if (entries.length <= this.maxEntries) return;
    entries.sort((a, b) => b.used - a.used);
    for (const e of entries.slice(this.maxEntries)) {
      removeQuietly(e.file);
      this.counters.pruned++;
    }
  }

  /** Deletes the retired namespaces' folders, once per cache object (on its first write). */
  private removeRetired(): void {
    if (this.retiredRemoved) return;
    this.retiredRemoved = true;
    for (const ns of RETIRED_NAMESPACES) {
      try {
        rmSync(join(this.dir, ns), { recursive: true, force: true });
      } catch {
        // Another process removed it first, or it cannot be removed: it stays, harmless.
      }
    }
  }

  private file(namespace: string, key: string): string {
    if (!/^[0-9a-f]{16,128}$/.test(key)) throw new Error(`internal: cache key must be hex, got ${key}`);
    return join(this.dir, namespace, key);
  }
}

function removeQuietly(file: string): void {
  try {
    rmSync(file, { force: true });
  } catch {
    // Nothing to remove where the directory itself cannot exist.
  }
}

/** The cache directory a user expects (see the header), or null when caching is turned off. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.KESTREL_CACHE === 'off' || env.KESTREL_CACHE === '0') return null;
  if (env.KESTREL_CACHE_DIR) return env.KESTREL_CACHE_DIR;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'kestrel');
  return join(homedir(), '.cache', 'kestrel');
}

// A content-addressed cache on disk for work that only depends on its inputs (a ruleset's compiled
// predicate module). Entries live under $KESTREL_CACHE_DIR, else $XDG_CACHE_HOME/kestrel, else
// ~/.cache/kestrel, one file per key: a magic line, the SHA-256 of the payload, the payload.
//
// Safe against concurrent writers: an entry is written to a private temporary file and renamed
// into place (rename is atomic on one file system), so a reader sees a whole entry or none, and two
// writers of one key write the same bytes. Safe against damage: an entry whose checksum does not
// match is deleted and treated as missing. A cache that cannot be read or written (read-only home,
// full disk) is simply not used: the work is redone, never failed. Bounded: each namespace keeps
// its 16 most recently used entries (a read marks an entry used), older ones are deleted on write.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { logger } from '../../shared/log.js';

const MAGIC = Buffer.from('KESTREL-CACHE 1\n');
const DIGEST_BYTES = 32;

/** Entries kept per namespace: the most recently used; older ones are deleted when one is written. */
export const MAX_ENTRIES_PER_NAMESPACE = 16;

export class DiskCache {
  readonly counters = { hits: 0, misses: 0, corrupt: 0, writes: 0, writeFailures: 0, pruned: 0 };

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
    const head = MAGIC.length + DIGEST_BYTES;
    const payload = data.subarray(head);
    const ok = data.length >= head && data.subarray(0, MAGIC.length).equals(MAGIC) && createHash('sha256').update(payload).digest().equals(data.subarray(MAGIC.length, head));
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
      const digest = createHash('sha256').update(payload).digest();
      writeFileSync(tmp, Buffer.concat([MAGIC, digest, payload]));
      renameSync(tmp, file);
      this.counters.writes++;
      this.prune(namespace);
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

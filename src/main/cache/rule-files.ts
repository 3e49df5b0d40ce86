// Rules read from their files, kept on disk between runs. Reading Elastic's TOML (parse, then find
// the query's position for error carets) is a fifth of a warm start-up with a large ruleset, and a
// file's RuleSource depends only on the file's reference and text and on the reading code. One entry
// per set of rule paths (and working folder) maps SHA-256(reference, text) to the rule, so an
// edited file misses alone and is read afresh; the entry is rewritten with exactly the files seen.
import { createHash } from 'node:crypto';
import { deserialize, serialize } from 'node:v8';
import type { RuleFileMemo } from '../../shared/rules/index.js';
import type { RuleSource } from '../../shared/rules/model.js';
import type { RuleFileRef } from '../../shared/rules/walk.js';
import { buildId } from './build-id.js';
import { DiskCache, defaultCacheDir } from './disk-cache.js';

const NAMESPACE = 'rule-files';

export class DiskRuleFileMemo implements RuleFileMemo {
  private readonly stored: Map<string, RuleSource>;
  private readonly seen = new Map<string, RuleSource>();
  private changed = false;
  /** Files found in the stored entry (for tests and debug logs). */
  hits = 0;

  /** Files the stored entry holds: 0 when these rule paths were never loaded by this build. */
  get storedFiles(): number {
    return this.stored.size;
  }

  /** The memo for rules loaded from `paths`; undefined when no cache folder can be used. */
  static open(paths: readonly string[], dir = defaultCacheDir()): DiskRuleFileMemo | undefined {
    if (dir === null) return undefined;
    const cache = new DiskCache(dir);
    const key = createHash('sha256').update(JSON.stringify([buildId(), process.cwd(), paths])).digest('hex');
    let stored = new Map<string, RuleSource>();
    const data = cache.read(NAMESPACE, key);
    if (data) {
      try {
        stored = new Map(deserialize(data) as [string, RuleSource][]);
      } catch {
        // Unreadable by this build: every file is read afresh and the entry written again.
      }
    }
    return new DiskRuleFileMemo(cache, key, stored);
  }

  private constructor(private readonly cache: DiskCache, private readonly key: string, stored: Map<string, RuleSource>) {
    this.stored = stored;
  }

  get(ref: RuleFileRef, text: string): RuleSource | undefined {
    const k = fileKey(ref, text);
    const rule = this.stored.get(k);
    if (rule) {
      this.seen.set(k, rule);
      this.hits++;
    }
    return rule;
  }

  put(ref: RuleFileRef, text: string, rule: RuleSource): void {
    this.seen.set(fileKey(ref, text), rule);
    this.changed = true;
  }

  /** Writes the entry when a file was read afresh or one stored was not seen (deleted, edited). */
  save(): void {
    if (!this.changed && this.seen.size === this.stored.size) return;
    this.cache.write(NAMESPACE, this.key, serialize([...this.seen]));
  }
}

function fileKey(ref: RuleFileRef, text: string): string {
  return createHash('sha256').update(JSON.stringify([ref.file, ref.format, ref.derivedId, ref.stem])).update('\0').update(text).digest('hex');
}

// Parsed rule queries kept on disk between runs. Parsing (nearley) is most of a warm start-up with
// a large ruleset, and an AST depends only on the query text and the parser: the entry's key is the
// SHA-256 of the build id and every text, in order, so an edit to any rule makes a new entry.
import { createHash } from 'node:crypto';
import { deserialize, serialize } from 'node:v8';
import { exportParsedQueries, seedParsedQueries } from '../../shared/eql/parser.js';
import type { Query } from '../../shared/eql/ast.js';
import { buildId } from './build-id.js';
import { DiskCache, defaultCacheDir } from './disk-cache.js';

const NAMESPACE = 'parsed';

let disk: DiskCache | null | undefined;

function cache(): DiskCache | null {
  if (disk === undefined) {
    const dir = defaultCacheDir();
    disk = dir === null ? null : new DiskCache(dir);
  }
  return disk;
}

function keyOf(texts: readonly string[]): string {
  return createHash('sha256').update(JSON.stringify([buildId(), texts])).digest('hex');
}

/** Seeds this thread's parse cache with the stored ASTs of `texts`; false when none are stored. */
export function loadParsedRules(texts: readonly string[]): boolean {
  const data = cache()?.read(NAMESPACE, keyOf(texts));
  if (!data) return false;
  try {
    seedParsedQueries(deserialize(data) as [string, Query][]);
    return true;
  } catch {
    return false; // unreadable by this build: parsed afresh, and stored again by saveParsedRules
  }
}

/**
 * Stores, under the key loadParsedRules reads for `texts`, the ASTs of those of them that parse
 * (`parsing`): a broken rule is parsed (and reported) again each run, the others are not.
 */
export function saveParsedRules(texts: readonly string[], parsing: readonly string[]): void {
  cache()?.write(NAMESPACE, keyOf(texts), serialize(exportParsedQueries(parsing)));
}

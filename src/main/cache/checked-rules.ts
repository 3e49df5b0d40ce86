// Checked rule queries kept on disk between runs. Parsing (nearley) and checking the Elastic corpus
// is most of a warm start-up (parse ~0.45 s, check ~50 ms), and a check depends only on the query
// text, its dialect, the schema it is checked against and the checking code. One entry holds the
// checks of a whole ruleset, keyed by the SHA-256 of the build id, the schema and every rule's
// text and dialect, in order: an edit to any rule makes a new entry. A rule that fails its check
// has no check stored; it is checked (and its error reported) again each run.
//
// The entry is the checked IR itself (filter-transfer.ts withCallsByName, v8.serialize): reading it
// back costs about what reading the parsed ASTs did, and the check is skipped as well.
import { createHash } from 'node:crypto';
import { deserialize, serialize } from 'node:v8';
import { importQueries, withCallsByName, type CheckedTransfer } from '../../shared/eql/filter-transfer.js';
import type { CheckedQuery } from '../../shared/eql/ir.js';
import type { RuleSource } from '../../shared/rules/model.js';
import { ecsLinuxSchema } from '../../shared/schema/ecs-linux.js';
import type { BuiltSchema } from '../../shared/schema/schema.js';
import { buildId } from './build-id.js';
import { DiskCache, defaultCacheDir } from './disk-cache.js';
import { rulesDigest } from './rules-digest.js';

const NAMESPACE = 'checked';

let disk: { dir: string | null; cache: DiskCache | null } | undefined;

/** The cache of the folder the environment names now (a test or a long-lived process may change it). */
function cache(): DiskCache | null {
  const dir = defaultCacheDir();
  if (disk === undefined || disk.dir !== dir) disk = { dir, cache: dir === null ? null : new DiskCache(dir) };
  return disk.cache;
}

type CheckedRule = Pick<RuleSource, 'query' | 'dialect'>;

/**
 * What of the schema a check reads. The built-in ECS schema is code, already in the build id;
 * any other (a capture's or a mapping's fields combined with ECS) is described in full.
 */
function schemaIdentity(schema: BuiltSchema): string {
  if (schema === ecsLinuxSchema()) return 'ecs-linux (built in)';
  const fields = schema.fields().map((f) => [f.path, f.type, f.multi ?? false, f.nullValue ?? null, f.format ?? null]);
  return JSON.stringify([schema.name, schema.strict, fields, [...schema.aliases()]], (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
}

/**
 * The entry's key for `rules` checked against `schema`, or undefined when there is no cache to use.
 */
export function storedChecksKey(rules: readonly CheckedRule[], schema: BuiltSchema): string | undefined {
  if (cache() === null) return undefined;
  return createHash('sha256').update(JSON.stringify([buildId(), schemaIdentity(schema), rulesDigest(rules)])).digest('hex');
}

/** Stored entry: the checks of the rules that passed, and which rules failed (checked again to be reported). */
interface Entry {
  checks: CheckedTransfer;
  /** Indexes of the rules without a check; `checks` holds the others, in order. */
  failed: number[];
}

/**
 * The checks stored under `key` for `count` rules, by rule (null: the rule failed, check it), or
 * undefined when no entry is stored or this build cannot read it.
 */
export function readStoredChecks(key: string, count: number): (CheckedQuery | null)[] | undefined {
  const data = cache()?.read(NAMESPACE, key);
  if (!data) return undefined;
  try {
    const entry = deserialize(data) as Entry;
    const checks = importQueries(entry.checks);
    const failed = new Set(entry.failed);
    if (checks.length + failed.size !== count) return undefined;
    let next = 0;
    return Array.from({ length: count }, (_x, i) => (failed.has(i) ? null : checks[next++]!));
  } catch {
    return undefined; // unreadable by this build: checked afresh, and stored again by storeChecks
  }
}

/** Stores under `key` the checks of a ruleset's rules, in order (null: the rule failed). */
export function storeChecks(key: string, checks: readonly (CheckedQuery | null)[]): void {
  const store = cache();
  if (store === null) return;
  const failed: number[] = [];
  const good: CheckedQuery[] = [];
  checks.forEach((c, i) => (c === null ? failed.push(i) : good.push(c)));
  store.write(NAMESPACE, key, withCallsByName(good, (checks) => serialize({ checks, failed } satisfies Entry)));
}

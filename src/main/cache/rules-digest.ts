// What a ruleset's cached work depends on besides the build and the schema: each rule's query text
// and the dialect it is checked in (CheckHandOver.key), in order. The stored checks
// (checked-rules.ts) and the predicate module (predicate-module-pool.ts) of a start-up are keyed
// by the same rules: one digest serves both keys, where each hashed ~250 KB of JSON of the corpus's
// texts (~5–10 ms of a warm start each).
import { createHash } from 'node:crypto';
import type { RuleSource } from '../../shared/rules/model.js';

type RuleText = Pick<RuleSource, 'query' | 'dialect'>;

/**
 * The last digest made: the rules are asked about several times (prefetch or stream, checks, then
 * prepare), and compare by their query and dialect strings, the same objects in every ask.
 */
let last: { rules: RuleText[]; digest: string } | undefined;

/** SHA-256 (hex) of the rules' dialects and query texts, in order, each with its length. */
export function rulesDigest(rules: readonly RuleText[]): string {
  if (last !== undefined && sameRules(last.rules, rules)) return last.digest;
  const h = createHash('sha256');
  for (const { query, dialect } of rules) h.update(`${dialect === undefined ? -1 : dialect.length}:${query.length}:`).update(dialect ?? '').update(query);
  const digest = h.digest('hex');
  last = { rules: rules.map(({ query, dialect }) => ({ query, dialect })), digest };
  return digest;
}

function sameRules(a: readonly RuleText[], b: readonly RuleText[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i]!.query !== b[i]!.query || a[i]!.dialect !== b[i]!.dialect) return false;
  return true;
}

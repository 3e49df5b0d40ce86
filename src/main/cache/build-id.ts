// What a cached compile result depends on besides its inputs: the code that produced it. Kestrel's
// version alone is not enough (a rebuilt development tree keeps it), so the id also hashes the
// compiled code of the stages that shape a predicate module: the EQL front end and code generator,
// the Wasm writer and fuel pass, and the record layout. Run from the bundle (code-paths.ts), where
// those stages are mixed into shared chunks, it takes the bundle's code instead: the digest
// scripts/bundle.mjs wrote beside it (the same walk as hashTree, done once at build time), or the
// walk itself when that file is missing.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { KESTREL_VERSION } from '../../shared/version.js';
import { codeRoot } from '../../shared/code-paths.js';

const INPUT_DIRS = ['eql', 'wasm', 'record', 'schema', 'pipeline', 'rules'];

/** Written by scripts/bundle.mjs beside the chunks: codeDigest of the bundle. */
export const CODE_DIGEST_FILE = 'code-digest';

let cached: string | undefined;

export function buildId(): string {
  if (cached !== undefined) return cached;
  const h = createHash('sha256').update(KESTREL_VERSION);
  const shared = join(codeRoot(), 'shared');
  if (existsSync(shared)) for (const dir of INPUT_DIRS) hashTree(h, join(shared, dir));
  else {
    const stored = join(codeRoot(), CODE_DIGEST_FILE);
    h.update(existsSync(stored) ? readFileSync(stored, 'utf8').trim() : codeDigest(codeRoot()));
  }
  cached = h.digest('hex');
  return cached;
}

/** SHA-256 (hex) of the names and contents of every .js and .json file under `dir`, in name order. */
export function codeDigest(dir: string): string {
  const h = createHash('sha256');
  hashTree(h, dir);
  return h.digest('hex');
}

function hashTree(h: ReturnType<typeof createHash>, dir: string): void {
  if (!existsSync(dir)) return;
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) hashTree(h, path);
    else if (name.endsWith('.js') || name.endsWith('.json')) h.update(name).update(readFileSync(path));
  }
}

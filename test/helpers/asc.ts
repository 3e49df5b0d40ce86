// Compiles AssemblyScript rules for tests in one child process (scripts/asc-rule.mjs), returning
// the module bytes by file base name. Results are cached in the OS temp dir by a hash of the
// sources, the rule library and the compile script, so re-runs skip the ~1 s per file of asc.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';

const CACHE = join(tmpdir(), 'kestrel-asc-test-cache');
const SHARED_INPUTS = ['rules/lib/kestrel.ts', 'scripts/asc-rule.mjs'];

export function compileRules(files: string[]): Record<string, Uint8Array> {
  const common = createHash('sha256');
  for (const f of SHARED_INPUTS) common.update(readFileSync(f));
  const keyOf = (f: string): string => createHash('sha256').update(common.copy().digest()).update(readFileSync(f)).digest('hex').slice(0, 32);
  const target = (f: string): string => join(CACHE, `${basename(f, '.ts')}-${keyOf(f)}.wasm`);
  const missing = files.filter((f) => !existsSync(target(f)));
  if (missing.length > 0) {
    const out = join(CACHE, `tmp-${process.pid}`);
    mkdirSync(out, { recursive: true });
    execFileSync(process.execPath, ['scripts/asc-rule.mjs', out, ...missing], { stdio: ['ignore', 'inherit', 'inherit'] });
    // Rename into place so a concurrent test file never reads a half-written module.
    for (const f of missing) renameSync(join(out, basename(f, '.ts') + '.wasm'), target(f));
    rmSync(out, { recursive: true, force: true });
  }
  return Object.fromEntries(files.map((f) => [basename(f, '.ts'), new Uint8Array(readFileSync(target(f)))]));
}

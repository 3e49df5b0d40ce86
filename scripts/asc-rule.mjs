// Compiles an AssemblyScript user rule with the flags the rule ABI expects (docs/wasm-rules.md):
// top-level code exported as _initialize instead of a start section, the incremental GC runtime,
// and a declared memory maximum within the host's cap.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import asc from 'assemblyscript/asc';

export const RULE_ASC_FLAGS = ['-O3', '--runtime', 'incremental', '--exportStart', '_initialize', '--maximumMemory', '256'];

/** Compiles `file` (imports resolved beside it) and returns the module bytes; throws with asc's diagnostics. */
export async function compileRule(file, extraFlags = []) {
  const path = resolve(file);
  let wasm = null;
  let diagnostics = '';
  const { error } = await asc.main([path, '--outFile', 'rule.wasm', ...RULE_ASC_FLAGS, ...extraFlags], {
    readFile: (name, base) => {
      try {
        return readFileSync(join(base, name), 'utf8');
      } catch {
        return null;
      }
    },
    writeFile: (name, contents) => {
      if (name.endsWith('.wasm')) wasm = contents;
    },
    listFiles: () => [],
    stdout: { write: () => true },
    stderr: { write: (s) => ((diagnostics += String(s)), true) },
    baseDir: dirname(path),
  });
  if (error || !wasm) throw new Error(`asc failed on ${file}: ${error?.message ?? 'no output'}\n${diagnostics}`);
  return wasm;
}

// CLI: node scripts/asc-rule.mjs OUT_DIR FILE.ts... compiles each file to OUT_DIR/NAME.wasm. Tests
// use it in a child process: loading the compiler there takes ~1 s, inside the test runner ~6 s.
if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [outDir, ...files] = process.argv.slice(2);
  mkdirSync(outDir, { recursive: true });
  for (const f of files) writeFileSync(join(outDir, basename(f, '.ts') + '.wasm'), await compileRule(f));
}

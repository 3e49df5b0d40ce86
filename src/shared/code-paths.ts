// Where Kestrel's own files are, from whichever module asks. The same code runs from the compiled
// tree (dist/, one file per module, as tests import it) and from the bundle the CLI loads
// (dist/bundle/, a few chunks: scripts/bundle.mjs), where a module sits at another depth, so a
// path relative to import.meta.url would point elsewhere in each. Found once by walking up.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

let codeRootDir: string | undefined;
let packageRootDir: string | undefined;

function walkUp(test: (dir: string) => boolean, what: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (test(dir)) return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error(`internal: cannot find ${what} above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

/** The folder holding main/ and workers/: dist/, dist/bundle/, or src/ under a TypeScript loader. */
export function codeRoot(): string {
  codeRootDir ??= walkUp((d) => existsSync(join(d, 'workers')) && existsSync(join(d, 'main')), 'the code root (main/ and workers/)');
  return codeRootDir;
}

/** The package folder (package.json, native/, bench/, rules/). */
export function packageRoot(): string {
  packageRootDir ??= walkUp((d) => existsSync(join(d, 'package.json')) && existsSync(join(d, 'rules')), 'the package folder (package.json and rules/)');
  return packageRootDir;
}

/** A worker thread's entry module, e.g. `partition-worker.js`, in this code root. */
export function workerModule(file: string): URL {
  return pathToFileURL(join(codeRoot(), 'workers', file));
}

// Worker threads and spawned CLIs run the compiled code in dist/ (`npm test` builds it first).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export function distModule(rel: string): string {
  const file = resolve('dist', rel);
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` before the tests (npm test does)`);
  return pathToFileURL(file).href;
}

export const KESTREL_BIN = resolve('bin/kestrel');

#!/usr/bin/env node
// Compiles grammar/*.ne with nearleyc into src/shared/eql/generated/ (git-ignored: generated code is
// never edited by hand). Skips the work when the output is newer than every input.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, statSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const grammarDir = join(root, 'grammar');
const outDir = join(root, 'src/shared/eql/generated');
mkdirSync(outDir, { recursive: true });
const nearleyc = join(root, 'node_modules/nearley/bin/nearleyc.js');

for (const file of readdirSync(grammarDir).filter((f) => f.endsWith('.ne'))) {
  const input = join(grammarDir, file);
  const output = join(outDir, file.replace(/\.ne$/, '.ts'));
  if (existsSync(output) && statSync(output).mtimeMs >= statSync(input).mtimeMs) continue;
  execFileSync(process.execPath, [nearleyc, input, '-o', output], { stdio: 'inherit' });
  // nearleyc emits TS that predates strict mode; tell tsc not to check generated code.
  const { readFileSync, writeFileSync } = await import('node:fs');
  writeFileSync(output, '// @ts-nocheck\n/* eslint-disable */\n' + readFileSync(output, 'utf8'));
}

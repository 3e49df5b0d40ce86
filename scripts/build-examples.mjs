#!/usr/bin/env node
// Compiles every rules/examples/*.ts (AssemblyScript user rules) to rules/examples/build/*.wasm.
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileRule } from './asc-rule.mjs';

const dir = join(dirname(fileURLToPath(import.meta.url)), '../rules/examples');
const out = join(dir, 'build');
mkdirSync(out, { recursive: true });
for (const f of readdirSync(dir).filter((x) => x.endsWith('.ts')).sort()) {
  const wasm = await compileRule(join(dir, f));
  const target = join(out, basename(f, '.ts') + '.wasm');
  writeFileSync(target, wasm);
  console.log(`${f} -> ${target} (${wasm.length} bytes)`);
}

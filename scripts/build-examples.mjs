#!/usr/bin/env node
// Compiles every rules/examples/*.ts (AssemblyScript user rules) to build/rules/*.wasm: outside
// rules/, because every .wasm under a rule folder is loaded as a user rule (the bundled rule set
// stays EQL; the examples are opt-in: --rules build/rules/netcat-exec.wasm).
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileRule } from './asc-rule.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = join(root, 'rules/examples');
const out = join(root, 'build/rules');
mkdirSync(out, { recursive: true });
for (const f of readdirSync(dir).filter((x) => x.endsWith('.ts')).sort()) {
  const wasm = await compileRule(join(dir, f));
  const target = join(out, basename(f, '.ts') + '.wasm');
  writeFileSync(target, wasm);
  console.log(`${f} -> ${target} (${wasm.length} bytes)`);
}

#!/usr/bin/env node
// Bundles the compiled tree (dist/, from tsc) into dist/bundle/: the CLI and each worker thread's
// entry, with the code they share in common chunks. Node loads ~140 small ES modules for a replay
// otherwise, ~0.2 s of every start-up and ~0.1 s of every worker thread's; a dozen chunks load in a
// third of that, with the small npm packages every run needs bundled too (EXTERNAL: the others).
// bin/kestrel runs the bundle when it is at least as new as dist/main/cli.js, so a tree rebuilt
// with tsc alone never runs stale bundled code. Tests that import dist/ modules run them unbundled.
import { build } from 'esbuild';
import { rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dist');
const OUT = join(DIST, 'bundle');

// The CLI, and every module a thread is started on (code-paths.ts workerModule).
const ENTRIES = ['main/cli.js', 'workers/partition-worker.js', 'workers/eql-processor.js', 'workers/predicate-module-worker.js', 'workers/wasm-compile-worker.js'];

const EXTERNAL = ['piscina', 'node-gyp-build', 'node-addon-api', '@nats-io/*', 'redis', '@redis/*', 'undici', 'prom-client', 'ajv', '@assemblyscript/loader'];

rmSync(OUT, { recursive: true, force: true });
await build({
  entryPoints: ENTRIES.map((e) => join(DIST, e)),
  outdir: OUT,
  outbase: DIST,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // The small packages every run loads are bundled (pino and its helpers, the parser's nearley and
  // moo, the TOML reader, ringbuf.js); the rest stay in node_modules: piscina and node-gyp-build
  // find files next to themselves, and the sinks' and metrics' clients load only when used.
  external: EXTERNAL,
  // Bundled CommonJS code calls require() for Node's built-in modules.
  banner: { js: "import { createRequire as kestrelCreateRequire } from 'node:module';\nconst require = kestrelCreateRequire(import.meta.url);" },
  sourcemap: false,
  logLevel: 'warning',
});
// No package.json here: the chunks are ES modules by the package's own ("type": "module"), and
// code-paths.ts takes the first folder up with a package.json for the package folder.
// Not older than the tsc output it was made from (bin/kestrel compares the two).
const made = statSync(join(DIST, 'main/cli.js')).mtime;
const now = new Date(Math.max(Date.now(), made.getTime()));
for (const e of ENTRIES) utimesSync(join(OUT, e), now, now);

// The digest of the bundle's code, which cache/build-id.ts would otherwise compute at every start
// (reading and hashing ~1.3 MB, ~10 ms of a warm start).
const { CODE_DIGEST_FILE, codeDigest } = await import(join(DIST, 'main/cache/build-id.js'));
writeFileSync(join(OUT, CODE_DIGEST_FILE), codeDigest(OUT) + '\n');

// The same code runs from src/ (vitest), the compiled tree dist/ (tests' worker threads) and the
// bundle dist/bundle/ (bin/kestrel): code-paths.ts must find the package and the worker entries from
// each, and the bundle must run a replay with worker threads to the alerts the compiled tree gives.
import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { codeRoot, packageRoot, workerModule } from '../src/shared/code-paths.js';
import { CODE_DIGEST_FILE, codeDigest } from '../src/main/cache/build-id.js';
import { distModule, KESTREL_BIN } from './helpers/dist.js';

describe('code paths', () => {
  it('finds the package and the code root from src/ and from dist/', async () => {
    expect(packageRoot()).toBe(resolve('.'));
    expect(codeRoot()).toBe(resolve('src'));
    const dist = (await import(distModule('shared/code-paths.js'))) as typeof import('../src/shared/code-paths.js');
    expect(dist.packageRoot()).toBe(resolve('.'));
    expect(dist.codeRoot()).toBe(resolve('dist'));
    for (const w of ['partition-worker.js', 'eql-processor.js', 'predicate-module-worker.js', 'wasm-compile-worker.js']) {
      expect(existsSync(fileURLToPath(dist.workerModule(w)))).toBe(true);
    }
    expect(fileURLToPath(workerModule('partition-worker.js'))).toBe(resolve('src/workers/partition-worker.js'));
  });

  it('runs a replay from the bundle, with worker threads and a cold cache, to the compiled tree\'s alerts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kestrel-bundle-'));
    const capture = join(dir, 'c.bin');
    execFileSync(process.execPath, [KESTREL_BIN, 'synth', '--events', '3000', '--seed', '5', '--attack-rate', '0.05', '-o', capture]);
    const run = (cli: string, cache: string, out: string): void => {
      // A launcher file, not --eval: worker threads inherit the process's exec arguments.
      const launcher = join(dir, `${cache}.mjs`);
      writeFileSync(launcher, `const { main } = await import(${JSON.stringify(pathToFileURL(cli).href)});\nprocess.exitCode = await main(process.argv.slice(2));\n`);
      const r = spawnSync(process.execPath, [launcher, 'replay', capture, '--rules', 'rules', '--workers', '2', '-o', out], {
        env: { ...process.env, KESTREL_CACHE_DIR: join(dir, cache) },
        encoding: 'utf8',
      });
      expect(r.status, r.stderr).toBe(0);
    };
    run(resolve('dist/bundle/main/cli.js'), 'bundle-cache', join(dir, 'bundle.ndjson'));
    run(resolve('dist/main/cli.js'), 'dist-cache', join(dir, 'dist.ndjson'));
    const bundled = readFileSync(join(dir, 'bundle.ndjson'), 'utf8');
    expect(bundled.split('\n').filter(Boolean).length).toBeGreaterThan(0);
    expect(bundled).toBe(readFileSync(join(dir, 'dist.ndjson'), 'utf8'));
    // The bundle built and stored its own predicate module (its build id hashes the bundle).
    expect(existsSync(join(dir, 'bundle-cache', 'predicates'))).toBe(true);
  });

  it('ships the digest of the bundle\'s code that its build id takes, fresh (the walk at start-up gives the same)', () => {
    const root = resolve('dist/bundle');
    expect(readFileSync(join(root, CODE_DIGEST_FILE), 'utf8').trim()).toBe(codeDigest(root));
  });
});

// A replay shorter than a cold predicate-module build finished before the build thread did. The
// CLI's process stayed alive for the busy thread, but a program that exits when the command
// returns (the throughput bench's child, an embedder) killed the build: nothing reached the
// on-disk cache and every later run built the module again. The pipeline now waits for the build
// before finish() returns, so the command's end means the module is stored.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KESTREL_BIN, distModule } from './helpers/dist.js';

const dir = mkdtempSync(join(tmpdir(), 'kestrel-persist-'));
const capture = join(dir, 'cap.bin');
const cache = join(dir, 'cache');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeAll(() => {
  distModule('main/cli.js');
  expect(spawnSync(process.execPath, [KESTREL_BIN, 'synth', '--events', '50', '--seed', '4', '-o', capture]).status).toBe(0);
});

/** `kestrel replay` through the CLI's entry point, exiting the moment it returns. */
function replay() {
  // The Elastic corpus: its module takes a second or more to build, far longer than the replay.
  const argv = ['replay', capture, '--rules', 'rules', '../shared/rules-corpus/elastic-detection-rules', '--workers', '0'];
  const script = `const { main } = await import(${JSON.stringify(distModule('main/cli.js'))}); process.exit(await main(${JSON.stringify(argv)}));`;
  return spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { ...process.env, KESTREL_CACHE_DIR: cache, KESTREL_LOG_LEVEL: 'debug' },
  });
}

describe('the predicate module of a short replay', () => {
  it('is stored by the first run and read from disk by the second', () => {
    const first = replay();
    expect(first.status, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/"source":"built".*predicate module ready/);
    const stored = join(cache, 'predicates');
    expect(existsSync(stored) && readdirSync(stored).length).toBe(1);
    const second = replay();
    expect(second.status, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/"source":"disk".*predicate module ready/);
    expect(second.stdout).toBe(first.stdout);
  }, 60_000);
});

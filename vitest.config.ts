import { defineConfig } from 'vitest/config';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Worker-thread and process-spawning tests share 2 cores; keep file parallelism modest.
    maxWorkers: 2,
    // Commands run by the tests cache compiled rules here, not in the user's ~/.cache/kestrel.
    env: { KESTREL_CACHE_DIR: mkdtempSync(join(tmpdir(), 'kestrel-test-cache-')) },
  },
});

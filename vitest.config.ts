import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Worker-thread and process-spawning tests share 2 cores; keep file parallelism modest.
    maxWorkers: 2,
  },
});

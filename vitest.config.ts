import { defineConfig } from 'vitest/config';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Live tests that perform attacks for real (the rule triggers, the emulation suite), kill
// processes (response actions), run the all-rules soak or make
// account changes would be seen by every other live test's `kestrel run` on this host and add
// alerts those tests count exactly. They run as a second group, after every other file is done.
const HOST_ACTIVITY = ['test/rules-trigger-live.test.ts', 'test/soak-live.test.ts', 'test/iam-events.test.ts', 'test/emulation-live.test.ts', 'test/response-live.test.ts'];

// Every temporary file of a run goes under one folder, deleted when the run ends: tests, and the
// commands they spawn, make their folders with os.tmpdir(), which reads TMPDIR. Without this each
// suite run left ~3,000 folders (~65 MB) behind in /tmp.
const runRoot = mkdtempSync(join(tmpdir(), 'kestrel-test-run-'));
// As /tmp itself: tests that run kestrel as another user (capabilities-live: uid 65534) reach
// their own folders in it.
chmodSync(runRoot, 0o1777);
process.once('exit', () => rmSync(runRoot, { recursive: true, force: true }));

const shared = {
  testTimeout: 60_000,
  hookTimeout: 60_000,
  // Worker-thread and process-spawning tests share 2 cores; keep file parallelism modest.
  maxWorkers: 2,
  // Commands run by the tests cache compiled rules here, not in the user's ~/.cache/kestrel.
  env: { TMPDIR: runRoot, KESTREL_CACHE_DIR: mkdtempSync(join(runRoot, 'kestrel-test-cache-')) },
};

export default defineConfig({
  test: {
    ...shared,
    projects: [
      { test: { ...shared, name: 'kestrel', include: ['test/**/*.test.ts'], exclude: HOST_ACTIVITY, sequence: { groupOrder: 0 } } },
      // One at a time: the emulation suite's handlers and the soak's compile both want the cores.
      { test: { ...shared, name: 'host-activity', include: HOST_ACTIVITY, fileParallelism: false, sequence: { groupOrder: 1 } } },
    ],
  },
});

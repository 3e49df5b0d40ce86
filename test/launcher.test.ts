// bin/kestrel run as a command (npm's bin link, the systemd unit) starts node with the flags of its
// `#!/usr/bin/env -S node …` line, and the benches run their children with the same flags.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { KESTREL_BIN, distModule } from './helpers/dist.js';

const dir = mkdtempSync(join(tmpdir(), 'kestrel-launcher-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the kestrel command', () => {
  it('runs node with the flags of its first line', async () => {
    distModule('main/cli.js');
    // Preloaded through NODE_OPTIONS, which the shebang's node honours: reports what node started with.
    const probe = join(dir, 'probe.mjs');
    writeFileSync(probe, "process.on('exit', () => process.stderr.write('PROBE ' + JSON.stringify(process.execArgv) + '\\n'));\n");
    const r = spawnSync(KESTREL_BIN, ['--version'], { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: `--import=${probe}` } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^kestrel \d+\.\d+\.\d+/);
    const line = r.stderr.split('\n').find((l) => l.startsWith('PROBE '));
    expect(line, r.stderr).toBeDefined();
    const execArgv = JSON.parse(line!.slice('PROBE '.length)) as string[];
    const lib = '../bench/lib.mjs';
    const { cliNodeFlags } = (await import(lib)) as { cliNodeFlags: () => string[] };
    const flags = cliNodeFlags();
    expect(flags).toContain('--max-semi-space-size=4');
    expect(execArgv).toEqual(flags);
  });
});

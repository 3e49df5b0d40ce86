// `kestrel convert` both ways, and captures as `kestrel query` input.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KESTREL_BIN, distModule } from './helpers/dist.js';

const dir = mkdtempSync(join(tmpdir(), 'kestrel-convert-'));
function kestrel(...args: string[]) {
  distModule('main/cli.js');
  return spawnSync(process.execPath, [KESTREL_BIN, ...args], { encoding: 'utf8' });
}

describe('kestrel convert', () => {
  it('round-trips NDJSON → capture → NDJSON, unknown fields, 64-bit integers and unicode included', () => {
    const events = [
      { '@timestamp': '2026-01-02T03:04:05.123Z', event: { category: ['process'], type: ['start'] }, process: { pid: 42, name: 'sh', args: ['sh', '-c', 'echo ü 😀'] } },
      { '@timestamp': '2026-01-02T03:04:06.000Z', event: { category: ['file'] }, file: { path: '/tmp/x' }, custom: { big: '__BIG__', empty: '', nothing: null } },
    ];
    const ndjson = events.map((e) => JSON.stringify(e)).join('\n').replace('"__BIG__"', '18446744073709551615') + '\n';
    const src = join(dir, 'in.ndjson');
    writeFileSync(src, ndjson);
    const bin = join(dir, 'out.bin');
    const to = kestrel('convert', src, bin);
    expect(to.status, to.stderr).toBe(0);
    expect(readFileSync(bin).subarray(0, 8).toString('latin1')).toBe('KSTRLCAP');
    const back = kestrel('convert', bin, '-');
    expect(back.status, back.stderr).toBe(0);
    const lines = back.stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(JSON.parse(lines[0])).toEqual(events[0]);
    // The 64-bit value survives as exact digits, missing ≠ null ≠ "" are kept apart.
    expect(lines[1]).toContain('"big":18446744073709551615');
    expect(JSON.parse(lines[1].replace('18446744073709551615', '"x"')).custom).toEqual({ big: 'x', empty: '', nothing: null });
  });

  it('lets kestrel query read a capture like NDJSON', () => {
    const src = join(dir, 'q.ndjson');
    writeFileSync(src, [1, 2, 3].map((i) => JSON.stringify({ '@timestamp': i, event: { category: 'process' }, id: i, process: { name: i === 2 ? 'bash' : 'sh' } })).join('\n'));
    const bin = join(dir, 'q.bin');
    expect(kestrel('convert', src, bin).status).toBe(0);
    const fromJson = kestrel('query', '--id-field', 'id', 'process where process.name != "bash"', src);
    const fromCapture = kestrel('query', '--id-field', 'id', 'process where process.name != "bash"', bin);
    expect(fromCapture.status, fromCapture.stderr).toBe(0);
    expect(fromCapture.stdout).toBe('[1]\n[3]\n');
    expect(fromCapture.stdout).toBe(fromJson.stdout);
  });
});

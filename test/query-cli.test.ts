// Whole-process tests of `kestrel query`: output format, exact 64-bit integers and exit codes.
// bin/kestrel runs the compiled CLI in dist/ (npm test builds it first).
import { distModule } from './helpers/dist.js';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(path.join(tmpdir(), 'kestrel-query-'));
const events = path.join(dir, 'events.ndjson');
writeFileSync(
  events,
  [
    '{"@timestamp": 1, "event.category": "process", "id": 1, "host": "a", "big": 9223372036854775807}',
    '{"@timestamp": 2, "event": {"category": "network"}, "id": 2, "host": "a"}',
    '{"@timestamp": 3, "event": {"category": "process"}, "id": 3, "host": "b"}',
  ].join('\n') + '\n',
);

function kestrel(args: string[], input?: string) {
  const r = spawnSync(process.execPath, ['bin/kestrel', 'query', ...args], { input, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

// bin/kestrel runs dist/, built by `npm test` before the suite. Rebuilding here would rewrite dist/
// while other test files spawn the CLI from it.
beforeAll(() => {
  distModule('main/cli.js');
});

describe('kestrel query', () => {
  it('prints one JSON object per result, integers exact', () => {
    const r = kestrel(['process where true', events]);
    expect(r.code).toBe(0);
    const lines = r.out.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain('"big":9223372036854775807');
    expect(JSON.parse(lines[1])).toEqual({ events: [{ '@timestamp': 3, event: { category: 'process' }, id: 3, host: 'b' }], join_keys: [] });
  });

  it('prints id arrays with --id-field, null for a missing-event slot', () => {
    const r = kestrel(['--id-field', 'id', 'sequence by host with maxspan=1m [process where true] [network where true] ![file where true]', events]);
    expect(r.code).toBe(0);
    expect(r.out).toBe('[1,2,null]\n');
  });

  it('reads stdin for -', () => {
    const r = kestrel(['--id-field', 'id', 'network where true', '-'], '[{"event": {"category": "network"}, "id": 7}]');
    expect(r).toMatchObject({ code: 0, out: '[7]\n' });
  });

  it('exits 0 with no results', () => {
    expect(kestrel(['file where true', events])).toMatchObject({ code: 0, out: '' });
  });

  it('exits 1 on a query error, with line:col', () => {
    const r = kestrel(['process where', events]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/query:1:\d+/);
  });

  it('gives the same results with --engine wasm and --engine interp, the interpreter by default', () => {
    const q = 'sequence by host [process where big == 9223372036854775807 or id == 3] [network where true]';
    const wasm = kestrel(['--engine', 'wasm', '--stats', '--id-field', 'id', q, events]);
    const interp = kestrel(['--engine', 'interp', '--stats', '--id-field', 'id', q, events]);
    expect(wasm).toMatchObject({ code: 0, out: '[1,2]\n' });
    expect(interp).toMatchObject({ code: 0, out: '[1,2]\n' });
    const wasmStats = JSON.parse(wasm.err);
    expect(wasmStats).toEqual({
      engine: 'wasm',
      events: 3,
      skipped_unparsed: 0,
      key_pruned: 0,
      read_selected_only: false,
      results: 1,
      predicates: { batches: 1, records: 3, fuelFallbacks: 0, trapFallbacks: 0, hostCalls: 0, hostRecords: 0, jsonFallbacks: 0, recordBytes: expect.any(Number), categoryMisses: 0 },
    });
    expect(wasmStats.predicates.recordBytes).toBeGreaterThan(0);
    expect(JSON.parse(interp.err)).toEqual({ engine: 'interp', events: 3, skipped_unparsed: 0, key_pruned: 0, read_selected_only: false, results: 1, predicates: null });
    expect(JSON.parse(kestrel(['--stats', 'process where true', events]).err).engine).toBe('interp');
  });

  it('exits 64 on an unknown engine', () => {
    const r = kestrel(['--engine', 'jit', 'process where true', events]);
    expect(r.code).toBe(64);
    expect(r.err).toContain('--engine must be wasm or interp');
  });

  it('exits 2 on bad input, naming file and line', () => {
    const bad = path.join(dir, 'bad.ndjson');
    writeFileSync(bad, '{"a": 1}\n{oops\n');
    const r = kestrel(['any where true', bad]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('bad.ndjson: input error: line 2: bad JSON');
  });
});

// Kept records live in recycled buffers (shared/record/record-pool.ts); the state stage gives a
// buffer back when no engine holds its event any more. A buffer given back too early would let
// another event overwrite a stored one: with KESTREL_DEBUG_RECORD_POOL=1 every returned buffer
// is poisoned, so replay output must stay byte-identical with and without it, at any worker count.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RecordPool } from '../src/shared/record/record-pool.js';
import { KESTREL_BIN } from './helpers/dist.js';

const dir = mkdtempSync(join(tmpdir(), 'kestrel-record-pool-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('record pool', () => {
  it('copies exactly, reuses a returned buffer of the same size class, and poisons it in debug mode', () => {
    const pool = new RecordPool(1 << 20, true);
    const src = Uint8Array.from({ length: 600 }, (_, i) => i & 0xff);
    const a = pool.copy(src, 10, 500);
    const aView = pool.lastView;
    expect(aView.buffer).toBe(a.buffer);
    expect(aView.byteLength).toBe(a.byteLength);
    expect([...a.subarray(0, 500)]).toEqual([...src.subarray(10, 510)]);
    pool.give(a, aView);
    expect(a.every((b) => b === 0xee)).toBe(true);
    const b = pool.copy(src, 0, 400); // same 512-byte class
    expect(b).toBe(a);
    expect(pool.lastView).toBe(aView); // the buffer's DataView comes back with it
    expect([...b.subarray(0, 400)]).toEqual([...src.subarray(0, 400)]);
    expect(pool.copy(src, 0, 100)).not.toBe(a); // another class: a fresh buffer
    expect(pool.counters).toMatchObject({ taken: 3, reused: 1, given: 1 });
  });

  it('holds at most its cap for reuse and never pools odd-sized buffers', () => {
    const pool = new RecordPool(1024, false);
    const src = new Uint8Array(512);
    const bufs = [0, 1, 2].map(() => [pool.copy(src, 0, 512), pool.lastView] as const);
    bufs.forEach(([x, v]) => pool.give(x, v));
    const odd = new Uint8Array(300);
    pool.give(odd, new DataView(odd.buffer));
    expect(pool.counters.given).toBe(2);
    expect(pool.counters.dropped).toBe(2);
  });

  it('replay output is the same with poisoned returns, for 0 and 2 workers (bundled rules + Elastic corpus)', () => {
    const capture = join(dir, 'c.bin');
    const made = spawnSync(process.execPath, [KESTREL_BIN, 'synth', '--events', '30000', '--seed', '9', '--attack-rate', '0.05', '-o', capture], { encoding: 'utf8' });
    expect(made.status, made.stderr).toBe(0);
    const outputs = new Set<string>();
    for (const workers of ['0', '2']) {
      for (const poison of ['0', '1']) {
        const r = spawnSync(process.execPath, [KESTREL_BIN, 'replay', capture, '--rules', 'rules', '../shared/rules-corpus/elastic-detection-rules', '--workers', workers, '--log-level', 'warn'], {
          encoding: 'utf8',
          env: { ...process.env, KESTREL_DEBUG_RECORD_POOL: poison },
          maxBuffer: 1 << 26,
        });
        expect(r.status, r.stderr).toBe(0);
        outputs.add(r.stdout);
      }
    }
    expect(outputs.size).toBe(1);
    expect([...outputs][0]!.split('\n').length).toBeGreaterThan(20);
  }, 120_000);
});

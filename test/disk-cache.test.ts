// The on-disk cache (src/main/cache/disk-cache.ts): whole entries or none, damage detected, and a
// cache that cannot be written never fails the run.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DiskCache, RETIRED_NAMESPACES, defaultCacheDir } from '../src/main/cache/disk-cache.js';
import { distModule } from './helpers/dist.js';

const KEY = 'ab'.repeat(32);

describe('DiskCache', () => {
  it('reads back what it wrote, and nothing for an unknown key', () => {
    const c = new DiskCache(mkdtempSync(join(tmpdir(), 'kc-')));
    expect(c.read('x', KEY)).toBeUndefined();
    c.write('x', KEY, new Uint8Array([1, 2, 3]));
    expect([...c.read('x', KEY)!]).toEqual([1, 2, 3]);
    expect(c.counters).toMatchObject({ hits: 1, misses: 1, writes: 1, corrupt: 0 });
  });

  it('drops a truncated, altered or foreign entry as damaged', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kc-'));
    const c = new DiskCache(dir);
    const file = join(dir, 'x', KEY);
    const damaged = (change: (entry: Buffer) => Buffer) => {
      c.write('x', KEY, new Uint8Array(1000).fill(7));
      writeFileSync(file, change(readFileSync(file)));
      return c.read('x', KEY);
    };
    expect(damaged((e) => e.subarray(0, e.length - 1))).toBeUndefined(); // cut short
    expect(damaged((e) => Buffer.from(e.subarray(0, 20)))).toBeUndefined(); // cut inside the head
    expect(damaged((e) => ((e[e.length - 500] = 6), e))).toBeUndefined(); // one byte changed
    expect(damaged(() => Buffer.from('not a cache entry at all'))).toBeUndefined();
    expect(c.counters.corrupt).toBe(4);
    expect(readdirSync(join(dir, 'x'))).toEqual([]);
    // The undamaged entry reads back whole.
    c.write('x', KEY, new Uint8Array(1000).fill(7));
    expect(c.read('x', KEY)!.equals(Buffer.alloc(1000, 7))).toBe(true);
  });

  it('takes an entry of another format version for a miss, not for damage', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kc-'));
    const c = new DiskCache(dir);
    c.write('x', KEY, new Uint8Array([1]));
    writeFileSync(join(dir, 'x', KEY), Buffer.concat([Buffer.from('KESTREL-CACHE 1\n'), Buffer.alloc(32), Buffer.from([1])]));
    expect(c.read('x', KEY)).toBeUndefined();
    expect(c.counters).toMatchObject({ corrupt: 0, misses: 1 });
    expect(readdirSync(join(dir, 'x'))).toEqual([]);
  });

  it('leaves one whole entry when several processes write the same key at once', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kc-'));
    const script = `const { DiskCache } = await import(${JSON.stringify(distModule('main/cache/disk-cache.js'))});
      const c = new DiskCache(${JSON.stringify(dir)});
      for (let i = 0; i < 50; i++) c.write('x', '${KEY}', new Uint8Array(200000).fill(9));`;
    const procs = Array.from({ length: 3 }, () => spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }));
    for (const p of procs) expect(p.status, p.stderr).toBe(0);
    expect(readdirSync(join(dir, 'x'))).toEqual([KEY]); // no temporary file left behind
    const got = new DiskCache(dir).read('x', KEY)!;
    expect(got.length).toBe(200000);
    expect(got.every((b) => b === 9)).toBe(true);
  });

  it('keeps the most recently used entries of a namespace and deletes older ones on write', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kestrel-cache-'));
    const cache = new DiskCache(dir, 3);
    const key = (i: number) => i.toString(16).padStart(16, '0');
    const past = (s: number) => new Date(Date.now() - s * 1000);
    for (let i = 0; i < 3; i++) {
      cache.write('ns', key(i), new Uint8Array([i]));
      utimesSync(join(dir, 'ns', key(i)), past(100 - i), past(100 - i)); // written long ago, in order
    }
    // Entry 0 is read (used) now; a fourth write drops the least recently used: entry 1.
    expect(cache.read('ns', key(0))).toEqual(Buffer.from([0]));
    cache.write('ns', key(3), new Uint8Array([3]));
    expect(readdirSync(join(dir, 'ns')).sort()).toEqual([key(0), key(2), key(3)]);
    expect(cache.counters.pruned).toBe(1);
    expect(cache.read('ns', key(1))).toBeUndefined();
  });

  it('deletes the namespaces no version reads any more when it writes, and leaves the others', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kestrel-cache-'));
    expect(RETIRED_NAMESPACES).toContain('parsed');
    for (const ns of [...RETIRED_NAMESPACES, 'checked', 'someone-elses']) {
      mkdirSync(join(dir, ns));
      writeFileSync(join(dir, ns, KEY), 'old');
    }
    const cache = new DiskCache(dir);
    cache.read('checked', 'cd'.repeat(32)); // reading alone removes nothing
    expect(readdirSync(dir).sort()).toEqual([...RETIRED_NAMESPACES, 'checked', 'someone-elses'].sort());
    cache.write('predicates', KEY, new Uint8Array([1]));
    expect(readdirSync(dir).sort()).toEqual(['checked', 'predicates', 'someone-elses']);
    expect(readFileSync(join(dir, 'checked', KEY), 'utf8')).toBe('old');
  });

  it('ignores a directory it cannot write', () => {
    if (process.getuid?.() === 0) {
      // root writes anywhere: use a path under a regular file instead
      const file = join(mkdtempSync(join(tmpdir(), 'kc-')), 'f');
      writeFileSync(file, '');
      const c = new DiskCache(join(file, 'cache'));
      c.write('x', KEY, new Uint8Array([1]));
      expect(c.counters.writeFailures).toBe(1);
      expect(c.read('x', KEY)).toBeUndefined();
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'kc-'));
    mkdirSync(join(dir, 'x'));
    chmodSync(join(dir, 'x'), 0o500);
    const c = new DiskCache(dir);
    c.write('x', KEY, new Uint8Array([1]));
    expect(c.counters.writeFailures).toBe(1);
  });

  it('lives where a user expects it, and can be turned off', () => {
    expect(defaultCacheDir({ KESTREL_CACHE_DIR: '/a' })).toBe('/a');
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/b' })).toBe('/b/kestrel');
    expect(defaultCacheDir({ HOME: '/h' })).toMatch(/\.cache\/kestrel$/);
    expect(defaultCacheDir({ KESTREL_CACHE: 'off', KESTREL_CACHE_DIR: '/a' })).toBeNull();
  });
});

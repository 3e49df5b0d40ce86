// The per-thread cache of compiled predicate modules is bounded and keeps the most recently used.
import { describe, expect, it } from 'vitest';
import { MODULE_CACHE_ENTRIES, compileCached, predicateCacheStats } from '../src/shared/eql/codegen/evaluator.js';

/** An empty module made distinct by a one-byte custom section "k" holding `n`. */
function tinyModule(n: number): Uint8Array {
  return new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x00, 0x03, 0x01, 0x6b, n]);
}

describe('compileCached', () => {
  it('keeps at most MODULE_CACHE_ENTRIES modules, dropping the least recently used', async () => {
    const before = predicateCacheStats();
    const first = await compileCached(tinyModule(200));
    for (let i = 0; i < MODULE_CACHE_ENTRIES - 1; i++) await compileCached(tinyModule(i));
    // Touch the first: it becomes the most recently used, so the next insert drops module 0.
    expect(await compileCached(tinyModule(200))).toBe(first);
    await compileCached(tinyModule(100));
    const after = predicateCacheStats();
    expect(after.entries).toBe(MODULE_CACHE_ENTRIES);
    expect(after.hits - before.hits).toBe(1);
    expect(await compileCached(tinyModule(200))).toBe(first);
    const misses = predicateCacheStats().misses;
    await compileCached(tinyModule(0));
    expect(predicateCacheStats().misses).toBe(misses + 1);
  });
});

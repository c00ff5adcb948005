import { describe, expect, it } from 'vitest';
import { type Evictable, ModelCache } from './model-cache.ts';

/** A holder that records when it is told to drop its model. */
function holder(name: string) {
  const h = { pipeline: { name }, unloaded: 0, unload: () => void h.unloaded++ } satisfies Evictable & {
    unloaded: number;
  };
  return h;
}

describe('ModelCache (MODEL_CACHE_MB)', () => {
  it('evicts the least recently used forests until the newest fits, never the one admitted', () => {
    const cache = new ModelCache(100);
    const [a, b, c] = [holder('a'), holder('b'), holder('c')];
    cache.admit(a, 40);
    cache.admit(b, 40);
    cache.touch(a); // b is now the least recently used
    cache.admit(c, 40);
    expect([a.unloaded, b.unloaded, c.unloaded]).toEqual([0, 1, 0]);
    expect(cache.bytes).toBe(80);
    expect(cache.evictions).toBe(1);
    // A model larger than the whole budget still serves, alone.
    const big = holder('big');
    cache.admit(big, 500);
    expect([a.unloaded, c.unloaded, big.unloaded]).toEqual([1, 1, 0]);
    expect(cache.size).toBe(1);
    expect(cache.bytes).toBe(500);
  });

  it('forgets a released holder and re-admits a reloaded one with its new size', () => {
    const cache = new ModelCache(100);
    const a = holder('a');
    cache.admit(a, 30);
    cache.admit(a, 60);
    expect(cache.bytes).toBe(60);
    cache.release(a);
    expect(cache.size).toBe(0);
    expect(a.unloaded).toBe(0);
  });
});

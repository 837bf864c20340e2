import { describe, expect, it } from 'vitest';
import { GenerationCache } from './cache.ts';

describe('GenerationCache', () => {
  it('keeps recently used entries and never holds more than twice its size', () => {
    const cache = new GenerationCache<number, string>(3);
    for (let i = 0; i < 3; i++) cache.set(i, `v${i}`);
    cache.set(3, 'v3'); // 0..2 become the previous generation
    expect(cache.get(0)).toBe('v0'); // promoted
    for (let i = 4; i < 6; i++) cache.set(i, `v${i}`); // current full again: 0,3,4 → previous
    cache.set(6, 'v6');
    expect(cache.get(1)).toBeUndefined(); // dropped with the oldest generation
    expect(cache.get(0)).toBe('v0');
    for (let i = 0; i < 100; i++) cache.set(100 + i, 'x');
    expect(cache.size).toBeLessThanOrEqual(6);
  });
});

describe('GenerationCache with maxAgeMs', () => {
  it('forgets entries older than two windows of maxAgeMs, and has() does not promote', () => {
    let now = 0;
    const cache = new GenerationCache<string, true>(100, { maxAgeMs: 1000, now: () => now });
    cache.set('a', true);
    now = 1500;
    cache.set('b', true); // turns: a is in the old generation
    expect(cache.has('a')).toBe(true);
    now = 3000;
    cache.set('c', true); // turns again: a is gone (has() did not bring it back)
    expect([cache.has('a'), cache.has('b'), cache.has('c')]).toEqual([false, true, true]);
  });
});

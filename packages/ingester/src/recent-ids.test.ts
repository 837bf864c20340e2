import { describe, expect, it } from 'vitest';
import { createRecentIds } from './recent-ids.ts';

describe('recent ids', () => {
  it('remembers at least `capacity` ids, in at most twice as many entries', () => {
    const ids = createRecentIds({ capacity: 3 });
    for (const id of ['a', 'b', 'c', 'd', 'e']) ids.add(id);
    expect(['a', 'b', 'c', 'd', 'e'].map((id) => ids.has(id))).toEqual([true, true, true, true, true]);
    for (const id of ['f', 'g', 'h']) ids.add(id);
    expect(ids.has('a')).toBe(false); // two turns ago
    expect(ids.has('d')).toBe(true);
    expect(ids.size()).toBeLessThanOrEqual(6);
  });

  it('forgets ids older than two windows of `maxAgeMs`', () => {
    let now = 0;
    const ids = createRecentIds({ capacity: 100, maxAgeMs: 1000, now: () => now });
    ids.add('a');
    now = 1500;
    ids.add('b'); // turns: a is in the old generation
    expect(ids.has('a')).toBe(true);
    now = 3000;
    ids.add('c'); // turns again: a is gone
    expect([ids.has('a'), ids.has('b'), ids.has('c')]).toEqual([false, true, true]);
  });
});

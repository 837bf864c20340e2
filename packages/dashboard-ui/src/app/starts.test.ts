import { describe, expect, it } from 'vitest';
import { batchedStarts } from './starts';

describe('batchedStarts', () => {
  it('starts nothing at once, then the first loads before the rest, each in the order scheduled', async () => {
    const started: string[] = [];
    const schedule = batchedStarts();
    // A commit's effects: the panels' (children) run before the page's own.
    schedule(false, () => started.push('pages'));
    schedule(false, () => started.push('sources'));
    schedule(true, () => started.push('top'));
    schedule(true, () => started.push('chart'));
    expect(started).toEqual([]);
    await Promise.resolve();
    expect(started).toEqual(['top', 'chart', 'pages', 'sources']);
  });

  it('a load scheduled after a batch started goes in the next batch', async () => {
    const started: string[] = [];
    const deferred: (() => void)[] = [];
    const schedule = batchedStarts((f) => deferred.push(f));
    schedule(false, () => {
      started.push('a');
      schedule(true, () => started.push('c'));
    });
    expect(deferred).toHaveLength(1);
    deferred.shift()?.();
    expect(started).toEqual(['a']);
    expect(deferred).toHaveLength(1);
    deferred.shift()?.();
    expect(started).toEqual(['a', 'c']);
  });
});

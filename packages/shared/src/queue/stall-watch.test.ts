import { describe, expect, it } from 'vitest';
import { createStallWatch } from './stall-watch.ts';

const NONE = new Set<number>();

describe('stall watch', () => {
  const setup = () => {
    let t = 1_000;
    const watch = createStallWatch(30_000, () => t);
    return { watch, at: (ms: number) => (t = ms) };
  };

  it('names an assigned partition with waiting messages that no fetch reached for the whole window', () => {
    const { watch, at } = setup();
    watch.assigned([0, 1]);
    watch.started(0);
    watch.ended(0);
    at(30_999);
    expect(watch.stalled([{ partition: 0, lag: 5 }], NONE)).toEqual([]); // 29.999 s
    at(31_000);
    expect(watch.stalled([{ partition: 0, lag: 5 }], NONE)).toEqual([0]);
    expect(watch.stalled([{ partition: 0, lag: 0 }], NONE)).toEqual([]); // nothing waits
  });

  it('leaves paused partitions, partitions of other members and a batch in hand alone', () => {
    const { watch, at } = setup();
    watch.assigned([0]);
    at(100_000);
    const lags = [
      { partition: 0, lag: 3 },
      { partition: 1, lag: 9 },
    ];
    expect(watch.stalled(lags, new Set([0]))).toEqual([]); // 0 paused (a schema too new), 1 not ours
    expect(watch.stalled(lags, NONE)).toEqual([0]);
    watch.started(1);
    at(200_000);
    expect(watch.stalled(lags, NONE)).toEqual([]); // a fetch is being handled: progress of its own
    watch.ended(1);
    expect(watch.stalled(lags, NONE)).toEqual([0]);
  });

  it('gives a newly assigned partition and a fresh consumer the whole window again', () => {
    const { watch, at } = setup();
    at(100_000);
    expect(watch.stalled([{ partition: 2, lag: 1 }], NONE)).toEqual([2]); // no assignment yet: every partition counts
    watch.assigned([2]);
    expect(watch.stalled([{ partition: 2, lag: 1 }], NONE)).toEqual([]);
    at(140_000);
    expect(watch.stalled([{ partition: 2, lag: 1 }], NONE)).toEqual([2]);
    watch.restarted();
    expect(watch.stalled([{ partition: 2, lag: 1 }], NONE)).toEqual([]);
    at(170_000);
    expect(watch.stalled([{ partition: 2, lag: 1 }], NONE)).toEqual([2]);
  });
});

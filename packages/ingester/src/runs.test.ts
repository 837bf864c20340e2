import { describe, expect, it } from 'vitest';
import type { OffsetRange } from './ranges.ts';
import { cutRun } from './runs.ts';

const offsets = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => BigInt(from + i));
const range = (first: number, last: number): OffsetRange => ({ topic: 't', partition: 0, first: BigInt(first), last: BigInt(last) });

describe('cutRun', () => {
  it('cuts runs of at most maxRows when nothing is recorded', () => {
    const batch = offsets(100, 349);
    expect(cutRun(batch, 0, [], 100, 350n)).toEqual({ end: 100, last: 199n, recorded: false });
    expect(cutRun(batch, 200, [], 100, 350n)).toEqual({ end: 250, last: 349n, recorded: false });
  });

  it('re-cuts a replay to exactly the recorded range, however much the fetch returned', () => {
    const batch = offsets(100, 399);
    expect(cutRun(batch, 0, [range(100, 149)], 10_000, 400n)).toEqual({ end: 50, last: 149n, recorded: true });
    expect(cutRun(batch, 0, [range(100, 349)], 100, 400n)).toEqual({ end: 250, last: 349n, recorded: true }); // even above maxRows
  });

  it('stops a new run before the next recorded range', () => {
    expect(cutRun(offsets(100, 399), 0, [range(150, 199)], 10_000, 400n)).toEqual({ end: 50, last: 149n, recorded: false });
  });

  it('asks for a refetch when the batch ends inside a recorded range the log still holds', () => {
    expect(cutRun(offsets(100, 119), 0, [range(100, 149)], 10_000, 400n)).toBeNull();
    // …but takes what exists when the log ends first (nothing more will come).
    expect(cutRun(offsets(100, 119), 0, [range(100, 149)], 10_000, 120n)).toEqual({ end: 20, last: 149n, recorded: true });
  });

  it('follows gaps in offsets (compacted or transaction markers)', () => {
    const batch = [10n, 11n, 15n, 16n, 20n];
    expect(cutRun(batch, 0, [range(10, 16)], 100, 21n)).toEqual({ end: 4, last: 16n, recorded: true });
    expect(cutRun(batch, 4, [], 100, 21n)).toEqual({ end: 5, last: 20n, recorded: false });
  });

  it('counts the events a message holds against maxRows, taking one message at least', () => {
    const batch = offsets(0, 5);
    const events = [40, 50, 10, 200, 1, 1];
    expect(cutRun(batch, 0, [], 100, 6n, events)).toEqual({ end: 3, last: 2n, recorded: false }); // 40 + 50 + 10
    expect(cutRun(batch, 3, [], 100, 6n, events)).toEqual({ end: 4, last: 3n, recorded: false }); // 200 alone
    expect(cutRun(batch, 4, [], 100, 6n, events)).toEqual({ end: 6, last: 5n, recorded: false });
  });
});

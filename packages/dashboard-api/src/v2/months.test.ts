import { describe, expect, it } from 'vitest';
import type { CountedDay } from './counted.ts';
import { monthTotals, wholeMonthsOf } from './months.ts';

const day = (y: number, m: number, d: number) => Date.UTC(y, m, d);

describe('wholeMonthsOf', () => {
  it('gives the whole UTC months inside whole UTC days, across a year end', () => {
    expect(wholeMonthsOf(day(2026, 0, 1), day(2026, 11, 3))).toEqual({ m0: day(2026, 0, 1), m1: day(2026, 11, 1) });
    expect(wholeMonthsOf(day(2025, 11, 3), day(2026, 11, 1))).toEqual({ m0: day(2026, 0, 1), m1: day(2026, 11, 1) });
    expect(wholeMonthsOf(day(2026, 1, 1), day(2026, 2, 1))).toEqual({ m0: day(2026, 1, 1), m1: day(2026, 2, 1) });
    expect(wholeMonthsOf(day(2026, 1, 2), day(2026, 2, 31))).toBeNull();
    expect(wholeMonthsOf(day(2026, 1, 1), day(2026, 1, 28))).toBeNull();
  });
});

describe('monthTotals', () => {
  it("sums each site's days' events per month inside [m0, m1) only, as exact 64-bit numbers", () => {
    const counted = (site: string, at: number, events: string): CountedDay => ({
      site,
      day: at,
      whole: true,
      split: false,
      page: true,
      events,
    });
    const days = [
      counted('a', day(2026, 0, 31), '5'),
      counted('a', day(2026, 1, 1), '9007199254740993'),
      counted('a', day(2026, 1, 28), '2'),
      counted('b', day(2026, 1, 3), '7'),
      counted('a', day(2026, 2, 1), '11'),
    ];
    expect(monthTotals(days, day(2026, 1, 1), day(2026, 2, 1))).toEqual([
      { site: 'a', month: day(2026, 1, 1), events: 9007199254740995n },
      { site: 'b', month: day(2026, 1, 1), events: 7n },
    ]);
  });
});

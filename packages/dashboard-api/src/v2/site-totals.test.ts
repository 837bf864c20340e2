import { describe, expect, it } from 'vitest';
import { comparisonRange, resolveRange } from './dates.ts';
import { parseQuery } from './parse.ts';
import { siteSeriesPlan } from './site-totals.ts';
import type { Interval } from './vocabulary.ts';
import { bucketStart, nextBucket } from './zone.ts';

const DAY = 86_400_000;

/** The plan of a whole-site series for a query body at `now`, with its periods and buckets computed as the engine does. */
function planOf(body: Record<string, unknown>, now: number) {
  const query = parseQuery({ site: 'a.example', metrics: ['visitors', 'pageviews'], dateRange: '12mo', dimensions: ['time:day'], ...body });
  const span = resolveRange(query.dateRange, query.timezone, now);
  const interval = (query.dimensions[0] as string).slice(5) as Interval;
  const spans = query.compare ? [span, comparisonRange(query.compare, span, query.timezone)] : [span];
  const buckets = spans.map((s) => {
    const out: number[] = [];
    for (let t = bucketStart(s.from, interval, query.timezone); t < s.to; t = nextBucket(t, interval, query.timezone)) out.push(t);
    return out;
  });
  return siteSeriesPlan(query, spans, interval, buckets);
}

describe('siteSeriesPlan', () => {
  const morning = Date.UTC(2026, 11, 3, 9, 7); // 14:37 in Kolkata
  const evening = Date.UTC(2026, 11, 3, 19, 7); // past the local midnight (18:30 UTC): today's partial UTC day holds a bucket start

  it('answers UTC days, weeks and months without splits (each whole UTC day in one bucket)', () => {
    expect(planOf({}, morning)).toEqual({ interval: 'day', zone: 'UTC' });
    expect(planOf({ dimensions: ['time:week'], dateRange: '30d', compare: 'previous_period' }, morning)).toEqual({
      interval: 'week',
      zone: 'UTC',
    });
    expect(planOf({ dimensions: ['time:month'] }, morning)).toEqual({ interval: 'month', zone: 'UTC' });
  });

  it('cuts every whole UTC day at 18:30 (quarter-hour 74) for days in Asia/Kolkata', () => {
    const plan = planOf({ timezone: 'Asia/Kolkata' }, morning);
    const from = Date.UTC(2025, 11, 31, 18, 30);
    expect(plan?.splits?.d0).toBe(Date.UTC(2026, 0, 1));
    expect(plan?.splits?.q.length).toBe((Date.UTC(2026, 11, 3) - Date.UTC(2026, 0, 1)) / DAY);
    expect(new Set(plan?.splits?.q)).toEqual(new Set([74]));
    expect(from).toBeLessThan(plan?.splits?.d0 ?? 0);
  });

  it('cuts a DST zone’s days where its midnights fall (New York: 04:00 or 05:00 UTC)', () => {
    const plan = planOf({ timezone: 'America/New_York', dateRange: ['2026-03-01', '2026-03-20'] }, morning);
    expect(new Set(plan?.splits?.q)).toEqual(new Set([16, 20]));
  });

  it('answers no series it cannot split exactly: a partial day holding a bucket start, hours, filters, dimensions beside time', () => {
    expect(planOf({ timezone: 'Asia/Kolkata' }, evening)).toBeNull();
    expect(planOf({ dimensions: ['time:hour'], dateRange: '7d' }, morning)).toBeNull();
    expect(planOf({ filters: [['is', 'page', ['/']]] }, morning)).toBeNull();
    expect(planOf({ dimensions: ['time:day', 'page'] }, morning)).toBeNull();
    expect(planOf({ metrics: ['visitors', 'scroll_depth'] }, morning)).toBeNull();
  });
});

import { describe, expect, it } from 'vitest';
import { goalCountsEligible, goalCountsStatement, uncountedDaysStatement } from './goal-counts.ts';
import type { Filter } from './parse.ts';
import { DAY, statementInput } from './statement-input.fixture.ts';
import type { StatementInput } from './statements.ts';
import { markedParts, marksEligible, visitCountsEligible, visitCountsStatement } from './visit-counts.ts';
import type { Dimension } from './vocabulary.ts';

const HOUR = 3_600_000;
const channel: Filter = { op: 'is', dimension: 'channel', values: ['Direct'], pointer: '/filters/0' } as Filter;

function input(dimensions: Dimension[], from = 100 * DAY, to = 130 * DAY, zone = 'UTC'): StatementInput {
  return statementInput(dimensions, [channel], { from, to, zone, metrics: ['visitors'] });
}

describe('event metrics under one visit filter from the visit counts (visit-counts.ts)', () => {
  it('answers a range holding a whole UTC day: its partial days too, but no bucket starting inside a UTC day', () => {
    expect(visitCountsEligible(input([]), [])).toBe(true);
    expect(visitCountsEligible(input(['page']), [])).toBe(true);
    // 30 days in Europe/Berlin (winter): 23:00 UTC to 23:00 UTC.
    expect(visitCountsEligible(input([], 100 * DAY - HOUR, 130 * DAY - HOUR, 'Europe/Berlin'), [])).toBe(true);
    expect(visitCountsEligible(input(['page'], 100 * DAY - HOUR, 130 * DAY - HOUR, 'Europe/Berlin'), [])).toBe(true);
    // No whole UTC day.
    expect(visitCountsEligible(input([], 100 * DAY + HOUR, 101 * DAY + 2 * HOUR), [])).toBe(false);
    // Daily buckets off UTC midnights (the chart in Berlin): visitors only, from the quarter-hour marks; not hours.
    const berlinDays = Array.from({ length: 30 }, (_, i) => (100 + i) * DAY - HOUR);
    const berlin = input(['time:day'], 100 * DAY - HOUR, 130 * DAY - HOUR, 'Europe/Berlin');
    expect(visitCountsEligible(berlin, berlinDays)).toBe(true);
    expect(visitCountsEligible({ ...berlin, metrics: ['visitors', 'visits'] }, berlinDays)).toBe(true);
    expect(visitCountsEligible({ ...berlin, metrics: ['visitors', 'pageviews'] }, berlinDays)).toBe(false);
    const hours = Array.from({ length: 30 * 24 }, (_, i) => 100 * DAY - HOUR + i * HOUR);
    expect(visitCountsEligible({ ...berlin, interval: 'hour' }, hours)).toBe(false);
    // UTC days with a partial first and last day (a range of instants): the buckets start at midnights.
    const utcDays = Array.from({ length: 31 }, (_, i) => (99 + i) * DAY);
    expect(visitCountsEligible(input(['time:day'], 100 * DAY - HOUR, 130 * DAY - HOUR), utcDays)).toBe(true);
  });

  it('cuts each UTC day at the local midnight from its marks; the days without current marks raw', () => {
    const berlinDays = Array.from({ length: 30 }, (_, i) => (100 + i) * DAY - HOUR);
    const berlin = input(['time:day'], 100 * DAY - HOUR, 130 * DAY - HOUR, 'Europe/Berlin');
    // Day 99: its last hour; days 100 … 128: before 23:00 (quarter-hour 92) and after; day 129: before 23:00.
    const parts = markedParts(berlin, berlinDays);
    expect(parts).toHaveLength(31);
    expect(parts[0]).toEqual([[92, 96]]);
    expect(parts[1]).toEqual([
      [0, 92],
      [92, 96],
    ]);
    expect(parts[30]).toEqual([[0, 92]]);
    // Off a quarter-hour, or a part inside the day: no marks for that day.
    expect(markedParts({ from: 100 * DAY + 1000, to: 102 * DAY }, [])[0]).toEqual([]);
    expect(markedParts({ from: 100 * DAY + HOUR, to: 100 * DAY + 2 * HOUR }, [])[0]).toEqual([]);
    expect(marksEligible(berlin, berlinDays)).toBe(true);
    expect(marksEligible(input([], 100 * DAY - HOUR, 130 * DAY - HOUR, 'Europe/Berlin'), [])).toBe(true);
    expect(marksEligible(input(['page'], 100 * DAY - HOUR, 130 * DAY - HOUR, 'Europe/Berlin'), [])).toBe(false);
    expect(
      marksEligible(
        input(['time:day']),
        Array.from({ length: 30 }, (_, i) => (100 + i) * DAY),
      ),
    ).toBe(false);
    // Every day's marks current but day 110's: that day alone is read raw (the span it has in the range).
    const marked = Array.from({ length: 31 }, (_, i) => ({ site: 'a.example', day: (99 + i) * DAY, events: 5 })).filter(
      (m) => m.day !== 110 * DAY,
    );
    const chart = visitCountsStatement({ ...berlin, marked }, berlinDays);
    expect(chart.sql).toContain('quartered = 1');
    expect(chart.sql).toContain('arrayLast((u, m) -> m < pb, us, qs)');
    expect(chart.sql).toContain('arrayFirst((x, m) -> m >= pa, ss, qs)');
    expect(chart.sql.match(/FROM db\.events AS e\s/g)).toHaveLength(1);
    expect(Object.values(chart.params)).toEqual(expect.arrayContaining(['1970-04-21 00:00:00.000', '1970-04-22 00:00:00.000']));
    // No visit crosses a UTC midnight: the joined visits start on the UTC day of the span read, or later.
    expect(chart.sql).toContain('first_at >= toStartOfDay(');
    // Without the check's days, every part is read raw (adjoining days as one span).
    expect(visitCountsStatement(berlin, berlinDays).sql.match(/FROM db\.events AS e\s/g)).toHaveLength(1);
  });

  it('reads whole UTC days from the counts and the partial ones raw, each edge apart', () => {
    const whole = visitCountsStatement(input(['page']));
    expect(whole.sql).toContain('FROM db.visit_visitors_1d');
    expect(whole.sql).not.toMatch(/FROM db\.events\s/);
    const zoned = visitCountsStatement(input(['page'], 100 * DAY - HOUR, 130 * DAY - HOUR, 'Europe/Berlin'));
    expect(zoned.sql.match(/FROM db\.events\s/g)).toHaveLength(2);
    const values = Object.values(zoned.params);
    // The counted days [day 100, day 129), the edges [day 100 − 1 h, day 100) and [day 129, day 130 − 1 h).
    expect(values).toEqual(expect.arrayContaining(['1970-04-11 00:00:00', '1970-05-10 00:00:00']));
    expect(values).toEqual(expect.arrayContaining(['1970-04-10 23:00:00.000', '1970-04-11 00:00:00.000', '1970-05-10 23:00:00.000']));
    // By page, an edge's visits inside it from their pairs; the raw events joined only to the visits crossing its bounds.
    const param = String.raw`(\{p\d+:[^}]+\})`;
    const inside = String.raw`ARRAY JOIN arrayDistinct\(v\.pairs\.path\) AS page\s+WHERE v\.site IN \S+ AND v\.first_at >= ${param} AND v\.first_at < ${param} AND v\.last_at < \2`;
    expect(zoned.sql.match(new RegExp(inside, 'g'))).toHaveLength(2);
    expect(zoned.sql.match(new RegExp(String.raw`last_at >= ${param} AND \(first_at < \1 OR last_at >= ${param}\)`, 'g'))).toHaveLength(2);
    expect(zoned.sql.match(/AND name != 'engagement'\s+LIMIT 1 BY event_id/g)).toHaveLength(2);
  });

  it('reads the visits of the days not current only, between the first and the last of them', () => {
    const whole = visitCountsStatement(input([]));
    expect(whole.sql).toContain('AS late_days');
    expect(whole.sql).toContain("AND has(late_days, (toString(v.site), toDateTime(toStartOfDay(v.first_at), 'UTC')))");
    expect(whole.sql).toMatch(
      /v\.first_at >= if\(empty\(late_starts\), (\{p\d+:[^}]+\}), arrayMin\(late_starts\)\) AND v\.first_at < if\(empty\(late_starts\), \1, arrayMax/,
    );
    // The days listed: the range's whole UTC days.
    const days = Object.values(whole.params).find((v) => Array.isArray(v) && v.length === 30) as string[];
    expect(days[0]).toBe('1970-04-11 00:00:00');
    expect(days[29]).toBe('1970-05-10 00:00:00');
  });

  it('in a zone off UTC, with every whole day marked current when asked, reads those days’ counts of the stamps found and no visits', () => {
    const berlin = statementInput([], [channel], {
      from: 100 * DAY - HOUR,
      to: 130 * DAY - HOUR,
      zone: 'Europe/Berlin',
      metrics: ['visitors', 'pageviews'],
    });
    const marked = Array.from({ length: 31 }, (_, i) => ({ site: 'a.example', day: (99 + i) * DAY, events: 5 + i }));
    const all = visitCountsStatement({ ...berlin, marked });
    expect(all.sql).not.toContain('late_days');
    expect(all.sql).not.toMatch(/FROM db\.visits AS v FINAL/);
    expect(all.sql).toContain('(toString(site), bucket, events) IN (SELECT tupleElement(t, 1)');
    // The stamps listed: the whole days' (days 100 … 129), not the partial ones'.
    const starts = Object.values(all.params).find((v) => Array.isArray(v) && v.length === 29 && typeof v[0] === 'number') as number[];
    expect(starts[0]).toBe((100 * DAY) / 1000);
    // One whole day not marked: the counts' stamps from the day rollup, the days not current from their visits.
    const some = visitCountsStatement({ ...berlin, marked: marked.filter((m) => m.day !== 110 * DAY) });
    expect(some.sql).toContain('late_days');
    expect(some.sql).toMatch(/FROM db\.visits AS v FINAL/);
    expect(some.sql).toMatch(/\(site, bucket, events\) IN \(SELECT site, bucket, sum\(events\) FROM db\.events_1d/);
  });
});

describe('the goals panel under one visit filter from the visit counts (goal-counts.ts)', () => {
  const byGoal = (from: number, to: number) =>
    statementInput(['goal'], [channel], {
      from,
      to,
      zone: 'Europe/Berlin',
      metrics: ['visitors', 'conversions', 'conversion_rate'],
      conversions: true,
      converters: true,
    });
  it('by goal and in the totals, reads a range’s partial UTC days raw beside the counted whole days', () => {
    expect(goalCountsEligible(byGoal(100 * DAY, 130 * DAY), [])).toBe(true);
    expect(goalCountsEligible(byGoal(100 * DAY - HOUR, 130 * DAY - HOUR), [])).toBe(true);
    expect(goalCountsEligible(byGoal(100 * DAY + HOUR, 101 * DAY + 2 * HOUR), [])).toBe(false);
    const totals = statementInput([], [channel], {
      from: 100 * DAY - HOUR,
      to: 130 * DAY - HOUR,
      metrics: ['conversions'],
      conversions: true,
    });
    expect(goalCountsEligible(totals, [])).toBe(true);
    expect(goalCountsEligible({ ...totals, to: totals.from + DAY }, [])).toBe(false);
    // The totals' edges count conversions and converters of the goal names too.
    const zonedTotals = goalCountsStatement(totals);
    expect(zonedTotals.sql.match(/FROM db\.events\s/g)).toHaveLength(2);
    expect(zonedTotals.sql.match(/countIf\(e\.name NOT IN \('pageview', 'engagement'\) AND \(has\(/g)).toHaveLength(2);
    const whole = goalCountsStatement(byGoal(100 * DAY, 130 * DAY));
    expect(whole.sql).not.toMatch(/FROM db\.events\s/);
    const zoned = goalCountsStatement(byGoal(100 * DAY - HOUR, 130 * DAY - HOUR));
    // Each edge reads its custom events alone (before one row per event id), and joins only the visits holding one.
    expect(zoned.sql.match(/FROM db\.events AS e\s/g)).toHaveLength(2);
    expect(zoned.sql.match(/AND name NOT IN \('pageview', 'engagement'\)\s+LIMIT 1 BY event_id/g)).toHaveLength(2);
    expect(zoned.sql.match(/FROM db\.visits FINAL WHERE [^\n]* AND events > 0\) AS v/g)).toHaveLength(2);
    // The check of counted days looks at the whole UTC days only.
    expect(Object.values(uncountedDaysStatement(byGoal(100 * DAY - HOUR, 130 * DAY - HOUR)).params)).toEqual(
      expect.arrayContaining(['1970-04-11 00:00:00', '1970-05-10 00:00:00']),
    );
  });
});

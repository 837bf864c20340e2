import { describe, expect, it } from 'vitest';
import { type Goal, siteGoals } from './goals.ts';
import { countedNames, nameCountsEligible, nameCountsStatement } from './name-counts.ts';
import type { Filter } from './parse.ts';
import { DAY, statementInput } from './statement-input.fixture.ts';
import type { StatementInput } from './statements.ts';
import type { Dimension, Metric } from './vocabulary.ts';

const leaf = (op: string, dimension: string, values: string[]): Filter => ({ op, dimension, values, pointer: '/filters/0' }) as Filter;
const GOALS: Goal[] = [
  { name: 'Signup', event: 'signup' },
  { name: 'Pricing', path: '/pricing' },
];
const PROP_GOALS: Goal[] = [...GOALS, { name: 'Pro signup', event: 'signup', props: { plan: 'pro' } }];

function input(
  dimensions: Dimension[],
  filters: Filter[],
  metrics: Metric[] = ['visitors'],
  goals: readonly Goal[] | null = GOALS,
  from = 100 * DAY,
  to = 130 * DAY,
): StatementInput {
  return statementInput(dimensions, filters, {
    from,
    to,
    goals: siteGoals(['a.example'], () => goals),
    conversions: metrics.includes('conversions') || metrics.includes('conversion_rate'),
    converters: metrics.includes('conversion_rate'),
    metrics,
  });
}

describe('event metrics under one goal or custom event filter (name-counts.ts)', () => {
  const signup = leaf('is', 'goal', ['Signup']);
  const customOnly = leaf('is_not', 'event', ['pageview', 'engagement']);

  it('answers the top numbers, the chart, the pages panel, the custom events tab and the goals panel of a row click', () => {
    const days = Array.from({ length: 30 }, (_, i) => (100 + i) * DAY);
    expect(nameCountsEligible(input([], [signup], ['visitors', 'visits', 'pageviews', 'bounce_rate']), [])).toBe(true);
    expect(nameCountsEligible(input(['time:day'], [signup]), days)).toBe(true);
    expect(nameCountsEligible(input(['page'], [signup], ['visitors', 'pageviews', 'time_on_page', 'percentage']), [])).toBe(true);
    expect(nameCountsEligible(input(['event'], [signup, customOnly], ['visitors', 'events']), [])).toBe(true);
    expect(nameCountsEligible(input(['goal'], [leaf('is', 'event', ['signup'])], ['visitors', 'conversions', 'conversion_rate']), [])).toBe(
      true,
    );
    // A range off UTC midnights (a zone off UTC) without time buckets: its partial days are read raw.
    expect(nameCountsEligible(input([], [signup], ['visitors'], GOALS, 100 * DAY + 5_400_000, 130 * DAY + 5_400_000), [])).toBe(true);
  });

  it('leaves the rest to the rollups and raw events', () => {
    // A pageview goal (a visitor on two matching paths), pageviews and engagements as the event, two filters.
    expect(nameCountsEligible(input([], [leaf('is', 'goal', ['Pricing'])]), [])).toBe(false);
    expect(nameCountsEligible(input([], [leaf('is', 'event', ['pageview'])]), [])).toBe(false);
    expect(nameCountsEligible(input([], [signup, leaf('is', 'page', ['/'])]), [])).toBe(false);
    expect(
      countedNames({ filters: [signup, customOnly, customOnly], sites: ['a.example'], goals: siteGoals(['a.example'], () => GOALS) }),
    ).toBeNull();
    // Buckets off UTC midnights, two dimensions, a visit dimension, scroll depth.
    expect(nameCountsEligible(input(['time:day'], [signup]), [100 * DAY + 5_400_000])).toBe(false);
    expect(nameCountsEligible(input(['page', 'event'], [signup]), [])).toBe(false);
    expect(nameCountsEligible(input(['country'], [signup]), [])).toBe(false);
    expect(nameCountsEligible(input([], [signup], ['visitors', 'scroll_depth']), [])).toBe(false);
    // Property goals where goals are evaluated (the filter, the goal dimension, conversions): rows hold no properties.
    expect(nameCountsEligible(input([], [signup], ['visitors'], PROP_GOALS), [])).toBe(false);
    expect(nameCountsEligible(input(['goal'], [leaf('is', 'event', ['signup'])], ['visitors'], PROP_GOALS), [])).toBe(false);
    expect(nameCountsEligible(input([], [leaf('is', 'event', ['signup'])], ['visitors'], PROP_GOALS), [])).toBe(true);
  });

  it('reads a day’s row only while its stamp is the day’s events in events_1d, and the other days raw', () => {
    const { sql } = nameCountsStatement(input(['page'], [signup]));
    expect(sql).toContain('db.name_pages_1d');
    expect(sql).toMatch(
      /WHERE site IN \{p\d+:Array\(String\)\} AND bucket >= .* AND \(site, bucket, events\) IN \(SELECT site, bucket, sum\(events\) AS e FROM db\.events_1d/,
    );
    // The other days are every (site, whole day) of the range but the rows read: also a day not in events_1d yet.
    const { sql: days, params } = nameCountsStatement(input([], [signup]));
    expect(days).toMatch(
      /WHERE \(site, bucket\) NOT IN \(SELECT site, bucket FROM db\.name_pages_1d WHERE .* AND \(site, bucket, events\) IN \(/,
    );
    expect(days).toMatch(/arrayJoin\(arrayMap\(i -> \{p\d+:DateTime\('UTC'\)\} \+ toIntervalDay\(i\), range\(\{p\d+:UInt32\}\)\)\)/);
    expect(Object.values(params)).toContain(30);
    // No whole UTC day in the range: raw events only.
    expect(nameCountsStatement(input([], [signup], ['visitors'], GOALS, 100 * DAY + 1000, 100 * DAY + 9000)).sql).not.toContain(
      'events_1d',
    );
  });
});

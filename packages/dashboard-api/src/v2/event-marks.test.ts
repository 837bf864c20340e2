import { describe, expect, it } from 'vitest';
import { eventMarksEligible, eventMarksStatement, eventMarksTable } from './event-marks.ts';
import { type Goal, siteGoals } from './goals.ts';
import type { Filter } from './parse.ts';
import { DAY, statementInput } from './statement-input.fixture.ts';
import type { StatementInput } from './statements.ts';

const HOUR = 3_600_000;
const SITES = ['a.example', 'b.example'];
const GOALS: Goal[] = [
  { name: 'Signup', event: 'signup' },
  { name: 'Pricing', path: '/pricing' },
  { name: 'Blog', path: '/blog/*' },
  { name: 'Pro signup', event: 'signup', props: { plan: 'pro' } },
];
const goalIs = (name: string): Filter => ({ op: 'is', dimension: 'goal', values: [name], pointer: '/filters/0' }) as Filter;
// 30 days in Europe/Berlin (winter), by day: each local day starts at 23:00 UTC.
const BERLIN_DAYS = Array.from({ length: 30 }, (_, i) => (100 + i) * DAY - HOUR);

/** The daily chart in Europe/Berlin under `filter`, the sites' goals from `lookup`. */
function chart(
  filter: Filter,
  lookup: (site: string) => Goal[] | null,
  sites = ['a.example'],
  over: Partial<StatementInput> = {},
): StatementInput {
  return statementInput(['time:day'], [filter], {
    sites,
    goals: siteGoals(sites, lookup),
    from: 100 * DAY - HOUR,
    to: 130 * DAY - HOUR,
    zone: 'Europe/Berlin',
    metrics: ['visitors'],
    ...over,
  });
}

describe('visitors under one page, goal or event filter from the quarter-hour marks (event-marks.ts)', () => {
  it('reads a pageview goal of a literal path from its pageview marks, per site, and the pageviews of the path from the rollup', () => {
    const input = chart(goalIs('Pricing'), () => GOALS);
    expect(eventMarksEligible(input, BERLIN_DAYS)).toBe(true);
    expect(eventMarksTable(input)).toBe('db.pageview_marks_1d');
    const { sql, params } = eventMarksStatement(input, BERLIN_DAYS);
    expect(sql).toContain('FROM db.pageview_marks_1d');
    expect(sql).not.toContain('event_marks_1d');
    // Its rows are the path's (dimension 'page'), the rollup's the path's pageviews alone (not its custom events).
    expect(sql).toMatch(/dimension = 'page' AND has\(\{p\d+:Array\(String\)\}, toString\(site\)\) AND value = transform/);
    expect(sql).toMatch(/has\(\{p\d+:Array\(String\)\}, toString\(site\)\) AND name = 'pageview' AND path = transform/);
    expect(Object.values(params)).toContainEqual(['/pricing']);
    expect(Object.values(params)).not.toContainEqual(expect.stringMatching(/\^/));
    // No dimension (a range with partial UTC days) too; not with other metrics nor conversions.
    expect(eventMarksEligible({ ...input, dimensions: [], pointers: [] }, [])).toBe(true);
    expect(eventMarksEligible({ ...input, metrics: ['visitors', 'pageviews'] }, BERLIN_DAYS)).toBe(false);
    expect(eventMarksEligible({ ...input, conversions: true }, BERLIN_DAYS)).toBe(false);
  });

  it('leaves a pageview goal with a wildcard, and a site where the value names a custom event, to the rollups', () => {
    expect(
      eventMarksEligible(
        chart(goalIs('Blog'), () => GOALS),
        BERLIN_DAYS,
      ),
    ).toBe(false);
    // b.example has no configured goals: there `Pricing` would be a custom event's name.
    expect(
      eventMarksEligible(
        chart(goalIs('Pricing'), (s) => (s === SITES[0] ? GOALS : null), SITES),
        BERLIN_DAYS,
      ),
    ).toBe(false);
    // Another value or operator, or imported rows beside.
    expect(
      eventMarksEligible(
        chart({ ...goalIs('Pricing'), op: 'is_not' } as Filter, () => GOALS),
        BERLIN_DAYS,
      ),
    ).toBe(false);
    expect(
      eventMarksEligible(
        chart({ ...goalIs('Pricing'), values: ['Pricing', 'Signup'] } as Filter, () => GOALS),
        BERLIN_DAYS,
      ),
    ).toBe(false);
    expect(
      eventMarksEligible(
        chart(goalIs('Pricing'), () => GOALS, ['a.example'], { imported: { fromDay: '1970-04-11', toDay: '1970-05-10' } }),
        BERLIN_DAYS,
      ),
    ).toBe(false);
  });

  it('reads each site its own path, none for a site without the goal', () => {
    const other: Goal[] = [
      { name: 'Signup', event: 'signup' },
      { name: 'Pricing', path: '/en/pricing' },
    ];
    const input = chart(goalIs('Pricing'), (s) => (s === SITES[0] ? GOALS : other), SITES);
    expect(eventMarksTable(input)).toBe('db.pageview_marks_1d');
    const values = Object.values(eventMarksStatement(input, BERLIN_DAYS).params);
    expect(values).toContainEqual(SITES);
    expect(values).toContainEqual(['/pricing', '/en/pricing']);
    const without = chart(goalIs('Pricing'), (s) => (s === SITES[0] ? GOALS : [{ name: 'Signup', event: 'signup' }]), SITES);
    const pairs = Object.values(eventMarksStatement(without, BERLIN_DAYS).params);
    expect(pairs).toContainEqual(['a.example']);
    expect(pairs).toContainEqual(['/pricing']);
  });

  it('keeps an event goal and a page filter on event_marks_1d', () => {
    const signup = chart(goalIs('Signup'), (s) => (s === SITES[0] ? GOALS.filter((g) => !('props' in g)) : null));
    expect(eventMarksEligible(signup, BERLIN_DAYS)).toBe(true);
    expect(eventMarksTable(signup)).toBe('db.event_marks_1d');
    expect(eventMarksStatement(signup, BERLIN_DAYS).sql).toContain("dimension = 'event'");
    const page = chart({ op: 'is', dimension: 'page', values: ['/pricing'], pointer: '/filters/0' } as Filter, () => GOALS);
    expect(eventMarksEligible(page, BERLIN_DAYS)).toBe(true);
    expect(eventMarksTable(page)).toBe('db.event_marks_1d');
    // UTC days, by day: the day rollups answer.
    const utc = chart(goalIs('Pricing'), () => GOALS, ['a.example'], { from: 100 * DAY, to: 130 * DAY, zone: 'UTC' });
    expect(
      eventMarksEligible(
        utc,
        Array.from({ length: 30 }, (_, i) => (100 + i) * DAY),
      ),
    ).toBe(false);
  });
});

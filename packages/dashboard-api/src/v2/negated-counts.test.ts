import { describe, expect, it } from 'vitest';
import { type Goal, siteGoals } from './goals.ts';
import {
  negatedCountsPlan,
  negatedCountsStatement,
  negatedFilters,
  negatedVisitsPlan,
  negatedVisitsStatement,
  subtractNegated,
  subtractVisits,
} from './negated-counts.ts';
import type { Filter } from './parse.ts';
import { DAY, statementInput } from './statement-input.fixture.ts';
import type { StatementInput } from './statements.ts';
import type { Dimension, Metric } from './vocabulary.ts';

const leaf = (op: string, dimension: string, values: string[]): Filter => ({ op, dimension, values, pointer: '/filters/0' }) as Filter;
const not = (f: Filter): Filter => ({ op: 'not', filter: f, pointer: '/filters/0' }) as Filter;
const isNotFree = leaf('is_not', 'prop:plan', ['free']);

function input(
  dimensions: Dimension[],
  filters: Filter[],
  metrics: Metric[] = ['visitors', 'pageviews'],
  over: Partial<StatementInput> = {},
) {
  return statementInput(dimensions, filters, { metrics, rawFrom: 90 * DAY, ...over });
}

describe('negations counted from the counts without them (negated-counts.ts)', () => {
  it('splits the negations of a property or event attribute whose positive form passes few events', () => {
    expect(negatedFilters([isNotFree])).toEqual({ kept: [], positive: leaf('is', 'prop:plan', ['free']) });
    expect(negatedFilters([not(leaf('contains', 'event:device', ['mob']))])?.positive).toEqual(leaf('contains', 'event:device', ['mob']));
    const country = leaf('is', 'country', ['NL']);
    const page = leaf('is_not', 'page', ['/a']);
    const two = negatedFilters([isNotFree, country, page, leaf('matches_not', 'event:os', ['^Mac'])]);
    // The page negation and the visit filter stay with the counts (the rollups and visit counts answer them).
    expect(two?.kept).toEqual([country, page]);
    expect(two?.positive).toMatchObject({ op: 'or', filters: [leaf('is', 'prop:plan', ['free']), leaf('matches', 'event:os', ['^Mac'])] });
    // '' among the values (a missing property passes the positive form: nearly every event), a pattern matching '',
    // a positive property filter beside (the plain statement reads few already), page and goal negations alone: none.
    expect(negatedFilters([leaf('is_not', 'prop:plan', ['free', ''])])).toBeNull();
    expect(negatedFilters([leaf('matches_not', 'prop:plan', ['^f?'])])).toBeNull();
    expect(negatedFilters([isNotFree, leaf('is', 'prop:ab', ['x'])])).toBeNull();
    expect(negatedFilters([leaf('is_not', 'prop:plan', [''])])).toBeNull();
    expect(negatedFilters([page, leaf('is_not', 'goal', ['Signup'])])).toBeNull();
    // A negation inside an `or` is not one of the query's negations.
    expect(negatedFilters([{ op: 'or', filters: [isNotFree, country], pointer: '' } as Filter])).toBeNull();
  });

  it('is planned where the statement without the negations reads counts or rollups, for counts only', () => {
    for (const dims of [[], ['page'], ['goal'], ['event'], ['time:day']] as Dimension[][]) {
      const plan = negatedCountsPlan(input(dims, [isNotFree]), []);
      expect(plan?.base.filters).toEqual([]);
      expect(plan?.base.dimensions).toEqual(dims);
    }
    expect(negatedCountsPlan(input(['page'], [isNotFree], ['visitors', 'percentage', 'bounce_rate']), [])).not.toBeNull();
    // Means are not sums; a property or event-attribute dimension, a range before the raw events kept, or
    // property goals (no rollup holds them) read raw events either way.
    expect(negatedCountsPlan(input(['page'], [isNotFree], ['visitors', 'time_on_page']), [])).toBeNull();
    expect(negatedCountsPlan(input(['page'], [isNotFree], ['visitors', 'scroll_depth'], { rawOnly: true }), [])).toBeNull();
    expect(negatedCountsPlan(input(['prop:plan'], [isNotFree]), [])).toBeNull();
    expect(negatedCountsPlan(input(['event:device'], [isNotFree]), [])).toBeNull();
    expect(negatedCountsPlan(input([], [isNotFree], ['visitors'], { rawFrom: 110 * DAY }), [])).toBeNull();
    expect(negatedCountsPlan(input([], [isNotFree], ['visitors'], { metrics: undefined }), [])).toBeNull();
    const propGoals: Goal[] = [{ name: 'Pro', event: 'signup', props: { plan: 'pro' } }];
    const goals = siteGoals(['a.example'], () => propGoals);
    expect(negatedCountsPlan(input(['goal'], [isNotFree], ['visitors', 'conversions'], { goals, conversions: true }), [])).toBeNull();
    // Beside two visit filters the remaining statement reads raw events (joined to visits): the plain one answers.
    const visits = [leaf('is', 'country', ['NL']), leaf('is', 'device', ['desktop'])];
    expect(negatedCountsPlan(input([], [isNotFree, ...visits]), [])).toBeNull();
    // Beside one `is` visit filter, the visit counts answer the rest.
    expect(negatedCountsPlan(input([], [isNotFree, leaf('is', 'country', ['NL'])]), [])?.base.filters).toEqual([
      leaf('is', 'country', ['NL']),
    ]);
  });

  it('reads the positive form’s visitors only, each event once, joined to visits only under a visit filter', () => {
    const plain = input(['page'], [isNotFree]);
    const s = negatedCountsStatement(plain, negatedCountsPlan(plain, []) as NonNullable<ReturnType<typeof negatedCountsPlan>>);
    expect(s.sql).toContain('(site, visitor_id) IN (SELECT site, visitor_id FROM db.events AS e WHERE site IN');
    expect(s.sql).toContain('LIMIT 1 BY event_id');
    expect(s.sql).not.toContain('NOT has(');
    expect(s.sql).not.toContain('FROM db.visits');
    expect(s.sql.split('(site, visitor_id) IN (SELECT').length).toBe(2);
    expect(s.sql).toMatch(/GROUP BY d0, vs, vid/);
    expect(s.sql).toContain('countIf(n > 0 AND np = n) AS visitors');
    expect(s.dims).toEqual(['d0']);
    expect(Object.values(s.params)).toContainEqual(['free']);
    const visit = input([], [isNotFree, leaf('is', 'country', ['NL'])]);
    const v = negatedCountsStatement(visit, negatedCountsPlan(visit, []) as NonNullable<ReturnType<typeof negatedCountsPlan>>);
    // The visits joined are those of the same few visitors.
    expect(v.sql).toContain('FROM db.visits FINAL WHERE');
    expect(v.sql.split('(site, visitor_id) IN (SELECT site, visitor_id FROM db.events AS e WHERE').length).toBe(3);
    expect(v.sql).toContain('e.timestamp >= v.first_at AND e.timestamp <= v.last_at');
    expect(v.sql).not.toMatch(/GROUP BY d0/);
  });

  it('subtracts per group and drops a group none of whose events is left', () => {
    const key = (r: Record<string, unknown>) => String(r.d0);
    const base = [
      { d0: '/a', pageviews: '10', events: '2', engagements: '3', visitors: '6', conversions: '2', converters: '2' },
      { d0: '/b', pageviews: '1', events: '0', engagements: '1', visitors: '1', conversions: '0', converters: '0' },
      { d0: '/c', pageviews: '4', events: '0', engagements: '0', visitors: '2', conversions: '0', converters: '0' },
    ];
    const taken = [
      { d0: '/a', pageviews: '3', events: '1', engagements: '1', visitors: '2', conversions: '1', converters: '0' },
      { d0: '/b', pageviews: '1', events: '0', engagements: '1', visitors: '1', conversions: '0', converters: '0' },
    ];
    expect(subtractNegated(base, taken, key)).toEqual([
      { d0: '/a', pageviews: 7, events: 1, engagements: 2, visitors: 4, conversions: 1, converters: 2 },
      base[2],
    ]);
    // A statement of distinct visitors alone (the visit counts' quarter-hour marks: no other count) keeps
    // a group while a visitor is left, and drops it when none is.
    const marks = [
      { d0: '1', pageviews: '0', events: '0', engagements: '0', visitors: '5', conversions: '0', converters: '0' },
      { d0: '2', pageviews: '0', events: '0', engagements: '0', visitors: '2', conversions: '0', converters: '0' },
    ];
    const takenVisitors = [
      { d0: '1', pageviews: '2', events: '1', engagements: '0', visitors: '1', conversions: '0', converters: '0' },
      { d0: '2', pageviews: '1', events: '0', engagements: '0', visitors: '2', conversions: '0', converters: '0' },
    ];
    expect(subtractNegated(marks, takenVisitors, key)).toEqual([
      { d0: '1', pageviews: 0, events: 0, engagements: 0, visitors: 4, conversions: 0, converters: 0 },
    ]);
  });

  it('plans visit metrics by visit attributes and time where the visit rollups or sums answer the rest', () => {
    const visits: Metric[] = ['visits', 'bounce_rate'];
    for (const dims of [[], ['channel'], ['time:day'], ['country']] as Dimension[][])
      expect(negatedVisitsPlan(input(dims, [isNotFree], visits), [])?.base.filters).toEqual([]);
    // An event dimension (a visit under each value of its passing events), a range before the raw events
    // kept, a filter of both levels, or a remaining statement of the visits' pairs or own events: the plain one.
    expect(negatedVisitsPlan(input(['page'], [isNotFree], visits), [])).toBeNull();
    expect(negatedVisitsPlan(input([], [isNotFree], visits, { rawFrom: 110 * DAY }), [])).toBeNull();
    const mixed = { op: 'or', filters: [leaf('is', 'country', ['NL']), leaf('is', 'page', ['/a'])], pointer: '' } as Filter;
    expect(negatedVisitsPlan(input([], [isNotFree, mixed], visits), [])).toBeNull();
    expect(negatedVisitsPlan(input(['channel'], [isNotFree, leaf('is', 'prop:ab', ['x'])], visits), [])).toBeNull();
    const two = [leaf('is', 'country', ['NL']), leaf('is', 'device', ['desktop']), leaf('is', 'browser', ['Chrome'])];
    expect(negatedVisitsPlan(input(['channel'], [isNotFree, ...two], visits), [])).toBeNull();
    // A positive page filter beside: the plain statement reads few visits already.
    expect(negatedVisitsPlan(input([], [isNotFree, leaf('is', 'page', ['/a'])], visits), [])).toBeNull();
    // One visit filter kept: the visit rollups (no dimension) or the pair sums (by another attribute) answer it.
    const nl = leaf('is', 'country', ['NL']);
    expect(negatedVisitsPlan(input([], [isNotFree, nl], visits), [])?.base.filters).toEqual([nl]);
    expect(negatedVisitsPlan(input(['channel'], [isNotFree, nl], visits), [])?.base.filters).toEqual([nl]);
  });

  it('takes the visits of the positive form’s visitors whose kept events all pass it', () => {
    const i = input(['channel'], [isNotFree, leaf('is', 'country', ['NL'])], ['visits']);
    const s = negatedVisitsStatement(i, negatedVisitsPlan(i, []) as NonNullable<ReturnType<typeof negatedVisitsPlan>>);
    expect(s.sql).toContain('FROM db.visits FINAL');
    expect(s.sql).toContain('LIMIT 1 BY event_id');
    expect(s.sql).toContain('HAVING n > 0 AND np = n');
    expect(s.sql).toContain('toString(v.channel) AS d0');
    expect(s.sql.split('(site, visitor_id) IN (SELECT site, visitor_id FROM db.events AS e WHERE').length).toBe(3);
    expect(s.sql).not.toContain('NOT has(');
    expect(s.dims).toEqual(['d0']);
    const key = (r: Record<string, unknown>) => String(r.d0);
    const base = [
      { d0: 'Direct', visits: '5', bounces: '2', duration: '1000', visit_pageviews: '9' },
      { d0: 'Search', visits: '1', bounces: '1', duration: '0', visit_pageviews: '1' },
    ];
    const taken = [
      { d0: 'Direct', visits: '2', bounces: '1', duration: '400', visit_pageviews: '3' },
      { d0: 'Search', visits: '1', bounces: '1', duration: '0', visit_pageviews: '1' },
    ];
    expect(subtractVisits(base, taken, key)).toEqual([{ d0: 'Direct', visits: 3, bounces: 1, duration: 600, visit_pageviews: 6 }]);
  });
});

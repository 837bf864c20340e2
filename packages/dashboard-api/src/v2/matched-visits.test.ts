import { describe, expect, it } from 'vitest';
import { byLevel } from './fields.ts';
import { filtersSkipPropGoals, type Goal, leafSkipsPropGoals, siteGoals, withoutPropGoals } from './goals.ts';
import { matchedVisitsEligible, matchedVisitsStatement, negatedSplit } from './matched-visits.ts';
import type { Filter } from './parse.ts';
import { DAY, statementInput } from './statement-input.fixture.ts';
import { eventStatement, rollupStatement, type StatementInput, visitStatement } from './statements.ts';
import type { Dimension } from './vocabulary.ts';

const leaf = (op: string, dimension: string, values: string[]): Filter => ({ op, dimension, values, pointer: '/filters/0' }) as Filter;
const GOALS: Goal[] = [
  { name: 'Signup', event: 'signup' },
  { name: 'Blog', path: '/blog/*' },
  { name: 'Pro signup', event: 'signup', props: { plan: 'pro' } },
];
const withProps = siteGoals(['a.example'], () => GOALS);
const plain = siteGoals(['a.example'], () => GOALS.slice(0, 2));

function input(dimensions: Dimension[], filters: Filter[], goals = withProps): StatementInput {
  return statementInput(dimensions, filters, { to: 107 * DAY, goals });
}

describe('goal filters that pick no property goal (goals.ts)', () => {
  it('skips the property goals only where a positive leaf cannot pick one', () => {
    expect(leafSkipsPropGoals('is', ['Blog', 'Signup'], withProps)).toBe(true);
    expect(leafSkipsPropGoals('is', ['Blog', 'Pro signup'], withProps)).toBe(false);
    expect(leafSkipsPropGoals('contains', ['Blog'], withProps)).toBe(true);
    expect(leafSkipsPropGoals('contains', ['signup'], withProps)).toBe(false);
    // Negated: an event completing Pro signup and Signup fails `is_not Pro signup`, passes it without the property goal.
    expect(leafSkipsPropGoals('is_not', ['Pro signup'], withProps)).toBe(false);
    expect(leafSkipsPropGoals('matches', ['^Blog$'], withProps)).toBe(false);
    expect(leafSkipsPropGoals('is_not', ['Blog'], plain)).toBe(true);
    const nested: Filter = {
      op: 'or',
      filters: [leaf('is', 'goal', ['Blog']), { op: 'not', filter: leaf('is', 'goal', ['Pro signup']), pointer: '' }],
      pointer: '',
    };
    expect(filtersSkipPropGoals([leaf('is', 'goal', ['Blog']), leaf('is', 'country', ['NL'])], withProps)).toBe(true);
    expect(filtersSkipPropGoals([nested], withProps)).toBe(false);
    expect(withoutPropGoals(withProps).configured).toEqual([['a.example', GOALS.slice(0, 2)]]);
  });

  it('evaluates only the goals a positive goal filter can pass, over visit rows weighted by their sign', () => {
    const bound = (f: Filter) => Object.values(visitStatement(input([], [f], plain)).params).flat();
    const blogPattern = '^\\/blog\\/[^/]*$';
    // `is Blog`: the Signup goal's event is not evaluated; `contains Sign`: the Blog glob is not.
    expect(bound(leaf('is', 'goal', ['Blog']))).toEqual(expect.arrayContaining([blogPattern]));
    expect(bound(leaf('is', 'goal', ['Blog']))).not.toContain('signup');
    expect(bound(leaf('contains', 'goal', ['Sign']))).toContain('signup');
    expect(bound(leaf('contains', 'goal', ['Sign']))).not.toContain(blogPattern);
    // A negation passes an event completing some goal and none of the values: every goal is evaluated.
    expect(bound(leaf('is_not', 'goal', ['Blog']))).toEqual(expect.arrayContaining(['signup', blogPattern]));
    const s = visitStatement(input(['channel'], [leaf('is', 'goal', ['Blog'])], plain));
    expect(s.sql).not.toContain('FINAL');
    expect(s.sql).toContain('sum(v.sign) AS visits');
    expect(s.sql).toContain('HAVING visits != 0');
  });

  it('tests a positive goal filter by the passable goals’ conditions, or’ed, an implicit goal by its name', () => {
    const sql = (f: Filter, goals = plain) => visitStatement(input([], [f], goals)).sql;
    // `is Blog` on a site with configured goals: the Blog glob's condition alone, no array of the pair's goals
    // (under a visit filter or'ed with it too, where the visit's own pairs are matched).
    const either: Filter = { op: 'or', filters: [leaf('is', 'goal', ['Blog']), leaf('is', 'country', ['NL'])], pointer: '' };
    expect(sql(leaf('is', 'goal', ['Blog']))).not.toContain('arrayFilter(gl');
    expect(sql(either)).toMatch(/arrayExists\(p -> \(\(\(v\.site = \{p\d+:String\} AND p\.name = 'pageview' AND match\(p\.path/);
    // Neither goal contains `x`: no pair passes.
    expect(sql(leaf('contains', 'goal', ['x']))).toContain('arrayExists(p -> 0, v.pairs)');
    // A site without configured goals: its custom event names, tested by the filter's values.
    const implicit = siteGoals(['a.example'], () => null);
    const s = visitStatement(input([], [leaf('is', 'goal', ['signup'])], implicit));
    expect(s.sql).toMatch(/p\.name NOT IN \('pageview', 'engagement'\) AND has\(\{p\d+:Array\(String\)\}, toString\(p\.name\)\)/);
    expect(Object.values(s.params)).toContainEqual(['signup']);
    // Negations still read every goal the pair completes.
    expect(sql(leaf('is_not', 'goal', ['Blog']))).toContain('arrayFilter(gl');
  });

  it('expands a positive filter of pageview goals to the hashes of the matching paths of the sites’ visits in the range', () => {
    const s = visitStatement(input(['device'], [leaf('contains', 'goal', ['Blog']), leaf('is', 'country', ['NL'])], plain));
    // One site, its Blog glob: the visit's pageview path hashes against those of the matching paths its visits hold.
    expect(s.sql).toMatch(
      /\(v\.site = \{(p\d+):String\} AND if\(\(SELECT uniqExact\(path\) = uniqExact\(cityHash64\(path\)\) FROM db\.pages_1d WHERE site = \{\1:String\} AND bucket >= /,
    );
    expect(s.sql).toMatch(
      /arrayExists\(h -> h IN \(SELECT cityHash64\(path\) FROM db\.page_visits_1d WHERE .* AND dimension = '' AND \(startsWith\(path, \{(p\d+):String\}\) AND match\(path, \{p\d+:String\}\)\)\), v\.pageview_paths\)/,
    );
    // Two paths sharing a hash: the pairs, as before.
    expect(s.sql).toMatch(/arrayExists\(p -> p\.name = 'pageview' AND \(match\(p\.path, \{p\d+:String\}\)\), v\.pairs\)/);
    expect(s.sql).toContain('v.country');
    expect(Object.values(s.params)).toEqual(expect.arrayContaining(['^\\/blog\\/[^/]*$', '/blog/']));
    // Not expanded: an event goal among the passable ones, a site without configured goals, a negation, two event-level filters.
    const pairs = (f: Filter[], goals = plain) => visitStatement(input([], f, goals)).sql;
    const mixed = siteGoals(['a.example', 'b.example'], (site) => (site === 'a.example' ? GOALS.slice(0, 2) : null));
    expect(pairs([leaf('contains', 'goal', ['g'])])).not.toContain('pageview_paths');
    expect(pairs([leaf('is', 'goal', ['Blog'])], mixed)).not.toContain('pageview_paths');
    expect(pairs([leaf('is_not', 'goal', ['Signup'])])).not.toContain('pageview_paths');
    expect(pairs([leaf('is', 'goal', ['Blog']), leaf('is', 'page', ['/blog/a'])])).not.toContain('pageview_paths');
  });

  it('shares one scan between the view’s visit statements under a pair filter: each picks its own grouping set', () => {
    const f = [leaf('is', 'goal', ['Blog'])];
    const none = visitStatement(input([], f, plain));
    const byChannel = visitStatement(input(['channel'], f, plain));
    const byDevice = visitStatement(input(['device'], f, plain));
    // The same text and parameters (single-flight runs it once), grouped by each dimension and not at all.
    expect(byChannel.sql).toBe(none.sql);
    expect(byDevice.params).toEqual(none.params);
    expect(none.sql).toContain('GROUP BY GROUPING SETS ((), (k0), (k1), (k2))');
    expect(none.dims).toEqual([]);
    expect(byChannel.dims).toEqual(['d0']);
    // `grouping(k0, k1, k2)`: a bit set per key the row's set leaves out (k0 the highest).
    const rows = [
      { g: 7, k0: '', k1: '', k2: '', visits: '5', bounces: '1', duration: '10', visit_pageviews: '9' },
      { g: 3, k0: 'Direct', k1: '', k2: '', visits: '4', bounces: '1', duration: '8', visit_pageviews: '7' },
      { g: 3, k0: '', k1: '', k2: '', visits: '1', bounces: '0', duration: '2', visit_pageviews: '2' },
      { g: 6, k0: '', k1: '', k2: 'Mobile', visits: '5', bounces: '1', duration: '10', visit_pageviews: '9' },
    ];
    expect(none.pick?.(rows)).toEqual([{ visits: '5', bounces: '1', duration: '10', visit_pageviews: '9' }]);
    expect(byChannel.pick?.(rows)).toEqual([
      { d0: 'Direct', visits: '4', bounces: '1', duration: '8', visit_pageviews: '7' },
      { d0: '', visits: '1', bounces: '0', duration: '2', visit_pageviews: '2' },
    ]);
    expect(byDevice.pick?.(rows)).toEqual([{ d0: 'Mobile', visits: '5', bounces: '1', duration: '10', visit_pageviews: '9' }]);
    // No visit passes: the statement without dimensions still answers one row of zeros.
    expect(none.pick?.([])).toEqual([{ visits: 0, bounces: 0, duration: 0, visit_pageviews: 0 }]);
    // Other dimensions, or two: their own statement.
    expect(visitStatement(input(['browser'], f, plain)).pick).toBeUndefined();
    expect(visitStatement(input(['channel', 'country'], f, plain)).pick).toBeUndefined();
    // A visit filter alone (no pairs read): not shared.
    expect(visitStatement(input(['channel'], [leaf('is', 'country', ['NL'])], plain)).pick).toBeUndefined();
  });

  it('shares one read of the page rollups between the top numbers, the chart by day and the pages panel under a filter', () => {
    const f = [leaf('is', 'goal', ['Blog'])];
    const at = (dimensions: Dimension[], over: Partial<StatementInput> = {}) =>
      rollupStatement(statementInput(dimensions, f, { to: 130 * DAY, goals: plain, ...over }), [100 * DAY]);
    const [none, byDay, byPage] = [at([]), at(['time:day']), at(['page'])];
    expect(byDay.sql).toBe(none.sql);
    expect(byPage.sql).toBe(none.sql);
    expect(byPage.params).toEqual(none.params);
    expect(none.sql).toContain('GROUP BY GROUPING SETS ((), (k0), (k1))');
    expect([none.dims, byDay.dims, byPage.dims]).toEqual([[], ['d0'], ['d0']]);
    const metrics = { pageviews: '9', events: '0', visitors: '4', time_on_page: 0, engagements: '0', conversions: 0, converters: 0 };
    // `grouping(k0, k1)`: k0 the page, k1 the day; a bit set per key the row's set leaves out (k0 the highest).
    const rows = [
      { g: 3, k0: '', k1: '1970-04-11', ...metrics },
      { g: 1, k0: '/blog/a', k1: '1970-04-11', ...metrics, visitors: '3' },
      { g: 2, k0: '', k1: '1970-04-12', ...metrics, visitors: '2' },
    ];
    expect(none.pick?.(rows)).toEqual([metrics]);
    expect(byPage.pick?.(rows)).toEqual([{ d0: '/blog/a', ...metrics, visitors: '3' }]);
    expect(byDay.pick?.(rows)).toEqual([{ d0: '1970-04-12', ...metrics, visitors: '2' }]);
    // No row passes: the statement without dimensions still answers one row of zeros.
    expect(none.pick?.([])).toEqual([
      { pageviews: 0, events: 0, visitors: 0, time_on_page: 0, engagements: 0, conversions: 0, converters: 0 },
    ]);
    // Not shared: no filter, another dimension, two, the goals panel's conversions, days by the hour.
    expect(rollupStatement(statementInput(['page'], [], { goals: plain }), []).pick).toBeUndefined();
    expect(at(['event']).pick).toBeUndefined();
    expect(at(['page', 'time:day']).pick).toBeUndefined();
    expect(at([], { conversions: true }).pick).toBeUndefined();
    expect(at(['time:day'], { interval: 'hour' }).pick).toBeUndefined();
  });
});

describe('visit metrics from the visits’ own events (matched-visits.ts)', () => {
  it('answers what the pairs cannot: property goals, props, event attributes, the goal dimension beside property goals', () => {
    expect(matchedVisitsEligible(input([], [leaf('is', 'goal', ['Pro signup'])]))).toBe(true);
    expect(matchedVisitsEligible(input([], [leaf('is_not', 'goal', ['Blog'])]))).toBe(true);
    expect(matchedVisitsEligible(input(['goal'], []))).toBe(true);
    expect(matchedVisitsEligible(input([], [leaf('is', 'prop:plan', ['pro'])], plain))).toBe(true);
    expect(matchedVisitsEligible(input(['prop:plan'], [], plain))).toBe(true);
    expect(matchedVisitsEligible(input(['event:country'], [], plain))).toBe(true);
    expect(matchedVisitsEligible(input([], [leaf('is', 'event:device', ['mobile'])], plain))).toBe(true);
    // The pairs decide these (the property goals left out of a filter that cannot pick one).
    expect(matchedVisitsEligible(input([], [leaf('is', 'goal', ['Blog'])]))).toBe(false);
    expect(matchedVisitsEligible(input(['goal', 'page'], [], plain))).toBe(false);
    expect(matchedVisitsEligible(input(['event'], [leaf('is', 'country', ['NL'])]))).toBe(false);
    expect(() => visitStatement(input([], [leaf('is', 'goal', ['Blog'])]))).not.toThrow();
  });

  it('joins the range’s events to their visits, property conditions bound, never in SQL', () => {
    const s = matchedVisitsStatement(input(['goal', 'time:day'], [leaf('is', 'prop:tier', ['gold'])]));
    expect(s.dims).toEqual(['d0', 'd1']);
    expect(s.sql).toContain('FROM db.events');
    expect(s.sql).toContain('FROM db.visits FINAL');
    expect(s.sql).toContain('INNER JOIN');
    for (const word of ['tier', 'gold', 'Pro signup', 'plan']) expect(s.sql).not.toContain(word);
    expect(Object.values(s.params)).toEqual(expect.arrayContaining(['tier', ['gold'], 'Pro signup', 'plan', 'pro']));
  });

  it('counts instead of joining when every event-level filter is a negation whose positive form no event lacking the value passes', () => {
    const not = (f: Filter): Filter => ({ op: 'not', filter: f, pointer: '/filters/0' });
    const isNot = leaf('is_not', 'prop:plan', ['free', 'team']);
    const channel = leaf('is', 'channel', ['Direct']);
    const split = (dims: Dimension[], filters: Filter[]) => negatedSplit(input(dims, filters, plain));
    expect(split([], [isNot])).toEqual({ visit: [], positive: { ...isNot, op: 'is' } });
    expect(split(['time:day', 'country'], [isNot, channel])).toEqual({ visit: [channel], positive: { ...isNot, op: 'is' } });
    expect(split([], [not(leaf('contains', 'prop:plan', ['re']))])?.positive).toEqual(leaf('contains', 'prop:plan', ['re']));
    expect(split([], [leaf('contains_not', 'event:country', ['U']), leaf('matches_not', 'page', ['^/x'])])?.positive).toEqual({
      op: 'or',
      filters: [leaf('contains', 'event:country', ['U']), leaf('matches', 'page', ['^/x'])],
      pointer: '',
    });
    // Joined: a positive form an event without the property passes (the properties tab's own
    // `is_not ''`), a positive event filter, an event dimension, a goal, a filter across both levels.
    expect(split([], [leaf('is_not', 'prop:plan', ['free', ''])])).toBeNull();
    expect(split([], [leaf('contains_not', 'prop:plan', [''])])).toBeNull();
    expect(split([], [leaf('matches_not', 'prop:plan', ['^(pro)?$'])])).toBeNull();
    expect(split([], [leaf('matches_not', 'prop:plan', ['('])])).toBeNull();
    expect(split([], [isNot, leaf('is', 'prop:ab', ['x'])])).toBeNull();
    expect(split([], [leaf('is', 'channel', ['Direct'])])).toBeNull();
    expect(split(['prop:plan'], [isNot])).toBeNull();
    expect(split(['page'], [isNot])).toBeNull();
    expect(split([], [leaf('is_not', 'goal', ['Blog'])])).toBeNull();
    expect(split([], [not(not(leaf('is', 'prop:plan', ['free'])))])).toBeNull();
    expect(split([], [{ op: 'or', filters: [isNot, channel], pointer: '' }])).toBeNull();
  });

  it('reads only the events of the positive form, per visitor, against the visits’ own counts', () => {
    const counted = matchedVisitsStatement(
      input(['channel'], [leaf('is_not', 'prop:plan', ['free']), leaf('is', 'country', ['NL'])], plain),
    );
    expect(counted.sql).not.toContain('INNER JOIN');
    expect(counted.sql).toContain('LEFT JOIN');
    expect(counted.sql).toContain('v.pageviews + v.events > arrayCount(');
    expect(counted.sql).not.toMatch(/NOT has/);
    expect(Object.values(counted.params)).toEqual(expect.arrayContaining(['plan', ['free'], ['NL']]));
    // A range longer than the raw events: the visits that start before them are joined.
    const cut = matchedVisitsStatement({ ...input([], [leaf('is_not', 'prop:plan', ['free'])], plain), rawFrom: 110 * DAY });
    expect(cut.sql).toContain('INNER JOIN');
    expect(cut.sql).toContain('UNION ALL');
    expect(cut.sql).toContain('LEFT JOIN');
    const joined = matchedVisitsStatement(input([], [leaf('is', 'prop:plan', ['free'])], plain));
    expect(joined.sql).not.toContain('LEFT JOIN');
  });

  it('applies event conditions before one row per event id, visit conditions and mixed ones after', () => {
    const prop = leaf('is', 'prop:plan', ['pro']);
    const mixed: Filter = { op: 'or', filters: [leaf('is', 'prop:ab', ['x']), leaf('is', 'country', ['NL'])], pointer: '' };
    const country = leaf('is', 'country', ['NL']);
    expect(byLevel([prop, country, mixed, leaf('is', 'goal', ['Blog'])])).toEqual({
      event: [prop, leaf('is', 'goal', ['Blog'])],
      rest: [country, mixed],
    });
    const before = (sql: string) => sql.slice(0, sql.indexOf('LIMIT 1 BY event_id'));
    const after = (sql: string) => sql.slice(sql.indexOf('LIMIT 1 BY event_id'));
    for (const s of [
      eventStatement(input(['channel'], [prop, country], plain)),
      matchedVisitsStatement(input(['prop:ab'], [prop, country], plain)),
    ]) {
      expect(before(s.sql)).toMatch(/has\(\{p\d+:Array\(String\)\}, e\.props\[/);
      expect(before(s.sql)).not.toContain('v.country');
      expect(after(s.sql)).toContain('v.country');
      // The join reads only the visits of the passing events' visitors; the condition is not repeated after it.
      expect(after(s.sql)).toContain('AND (site, visitor_id) IN (SELECT site, visitor_id FROM db.events AS e WHERE');
      expect(s.sql.slice(s.sql.indexOf(') AS v ON'))).not.toContain('e.props[');
    }
    // Not under a negation most events pass (every visitor's visits would be listed).
    expect(eventStatement(input(['channel'], [leaf('is_not', 'prop:plan', ['pro'])], plain)).sql).not.toContain('(site, visitor_id) IN');
    expect(eventStatement(input(['channel'], [leaf('is_not', 'prop:plan', ['', 'pro'])], plain)).sql).toContain('(site, visitor_id) IN');
  });
});

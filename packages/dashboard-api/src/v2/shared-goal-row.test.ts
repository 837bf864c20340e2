import { describe, expect, it } from 'vitest';
import { type Goal, siteGoals } from './goals.ts';
import type { Filter } from './parse.ts';
import { DAY, statementInput } from './statement-input.fixture.ts';
import { rollupStatement, type StatementInput, sharedGoalRowStatement } from './statements.ts';
import type { Dimension, Metric } from './vocabulary.ts';

const leaf = (op: string, dimension: string, values: string[]): Filter => ({ op, dimension, values, pointer: '/filters/0' }) as Filter;
const GOALS: Goal[] = [
  { name: 'signup', event: 'signup' },
  { name: 'Pages 1*', path: '/page/1*' },
];
const BERLIN = { zone: 'Europe/Berlin', from: 100 * DAY - 3_600_000, to: 130 * DAY - 3_600_000 };

function input(
  dimensions: Dimension[],
  filters: Filter[],
  over: { goals?: (site: string) => Goal[] | null; metrics?: Metric[]; sites?: string[]; zone?: string; from?: number; to?: number } = {},
): StatementInput {
  const sites = over.sites ?? ['a.example'];
  return statementInput(dimensions, filters, {
    sites,
    goals: siteGoals(sites, over.goals ?? (() => GOALS)),
    metrics: over.metrics ?? ['visitors', 'conversions', 'conversion_rate'],
    conversions: true,
    converters: true,
    ...(over.zone ? { zone: over.zone, from: over.from as number, to: over.to as number } : {}),
  });
}

describe('the goals panel under a filter on its one pageview goal (sharedGoalRowStatement)', () => {
  for (const [zone, over] of [
    ['UTC', {}],
    ['Europe/Berlin', BERLIN],
  ] as const) {
    it(`is the top numbers' own shared text, its no-dimension row the goal's (${zone})`, () => {
      const goalRow = input(['goal'], [leaf('is', 'goal', ['Pages 1*'])], over);
      const statement = sharedGoalRowStatement(goalRow, []);
      // The top numbers' event statement: visitors and pageviews, no conversions.
      const topInput = input([], [leaf('is', 'goal', ['Pages 1*'])], { ...over, metrics: ['visitors', 'pageviews'] });
      const top = rollupStatement({ ...topInput, conversions: false, converters: false }, []);
      expect(top.pick).toBeDefined();
      expect(statement?.sql).toBe(top.sql);
      expect(statement?.params).toEqual(top.params);
      const none = zone === 'UTC' ? 3 : 1; // grouping(k0, k1) or grouping(k0) of the set of no key
      const rows = [
        {
          g: 0,
          k0: '/page/1',
          k1: 1,
          pageviews: 9,
          events: 0,
          visitors: 4,
          time_on_page: 0,
          engagements: 0,
          conversions: 0,
          converters: 0,
        },
        { g: none, k0: '', k1: 0, pageviews: 12, events: 0, visitors: 5, time_on_page: 0, engagements: 0, conversions: 0, converters: 0 },
      ];
      expect(statement?.pick?.(rows)).toEqual([
        { d0: 'Pages 1*', pageviews: 12, events: 0, visitors: 5, time_on_page: 0, engagements: 0, conversions: 12, converters: 5 },
      ]);
      // No pageview passed: no row, as the statement grouped by goal returns none.
      expect(statement?.pick?.([])).toEqual([]);
    });
  }

  it('is not used when another row could show or the rows would not be those of the goal', () => {
    const is = [leaf('is', 'goal', ['Pages 1*'])];
    expect(sharedGoalRowStatement(input(['goal'], is), [])).not.toBeNull();
    // Another goal a pageview completes: its row too.
    const twoPages = () => [...GOALS, { name: 'Page 7', path: '/page/7' }];
    expect(sharedGoalRowStatement(input(['goal'], is, { goals: twoPages }), [])).toBeNull();
    expect(sharedGoalRowStatement(input(['goal'], is, { goals: () => [...GOALS, { name: 'views', event: 'pageview' }] }), [])).toBeNull();
    // The name is an event goal on another site, or a custom event's where no goal is configured.
    const mixed = (site: string) => (site === 'a.example' ? GOALS : [{ name: 'Pages 1*', event: 'signup' }]);
    expect(sharedGoalRowStatement(input(['goal'], is, { sites: ['a.example', 'b.example'], goals: mixed }), [])).toBeNull();
    const implicit = (site: string) => (site === 'a.example' ? GOALS : null);
    expect(sharedGoalRowStatement(input(['goal'], is, { sites: ['a.example', 'b.example'], goals: implicit }), [])).toBeNull();
    // Other filters, operators, several values, other dimensions, metrics the row does not hold.
    expect(sharedGoalRowStatement(input(['goal'], [leaf('is', 'goal', ['Pages 1*', 'signup'])]), [])).toBeNull();
    expect(sharedGoalRowStatement(input(['goal'], [leaf('contains', 'goal', ['Pages'])]), [])).toBeNull();
    expect(sharedGoalRowStatement(input(['goal'], [...is, leaf('is', 'page', ['/page/1'])]), [])).toBeNull();
    expect(sharedGoalRowStatement(input(['goal', 'page'], is), [])).toBeNull();
    expect(sharedGoalRowStatement(input(['page'], is), [])).toBeNull();
    expect(sharedGoalRowStatement(input(['goal'], is, { metrics: ['visitors', 'time_on_page'] }), [])).toBeNull();
    // A visit filter beside it: not the rollups.
    expect(sharedGoalRowStatement(input(['goal'], [...is, leaf('is', 'country', ['NL'])]), [])).toBeNull();
  });
});

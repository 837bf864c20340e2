import { describe, expect, it } from 'vitest';
import { type Goal, siteGoals } from './goals.ts';
import { pageGoalFilter, pageVisitsEligible, pageVisitsStatement } from './page-visits.ts';
import type { Filter } from './parse.ts';
import { DAY, statementInput } from './statement-input.fixture.ts';
import type { StatementInput } from './statements.ts';
import type { Dimension } from './vocabulary.ts';

const leaf = (op: string, dimension: string, values: string[]): Filter => ({ op, dimension, values, pointer: '/filters/0' }) as Filter;
const GOALS: Goal[] = [
  { name: 'Signup', event: 'signup' },
  { name: 'Pricing', path: '/pricing' },
  { name: 'Blog', path: '/blog/*' },
];
const configured = (s: string) => (s === 'c.example' || s === 'd.example' ? GOALS : null);

function input(dimensions: Dimension[], filters: Filter[], sites = ['c.example'], from = 100 * DAY, to = 130 * DAY): StatementInput {
  return statementInput(dimensions, filters, { sites, from, to, goals: siteGoals(sites, configured) });
}

describe('visit metrics under one page or pageview goal filter (page-visits.ts)', () => {
  it('resolves a goal filter to the literal path whose pageviews each site’s visits must hold', () => {
    const goals = siteGoals(['c.example', 'd.example', 'e.example'], configured);
    expect(pageGoalFilter([leaf('is', 'goal', ['Pricing'])], ['c.example', 'd.example'], goals)).toEqual(
      new Map([
        ['c.example', '/pricing'],
        ['d.example', '/pricing'],
      ]),
    );
    // Not: an event goal, a glob with wildcards, a site without configured goals (Pricing is a custom event
    // name there), no site with the goal, other operators, several values, another filter beside it.
    expect(pageGoalFilter([leaf('is', 'goal', ['Signup'])], ['c.example'], goals)).toBeNull();
    expect(pageGoalFilter([leaf('is', 'goal', ['Blog'])], ['c.example'], goals)).toBeNull();
    expect(pageGoalFilter([leaf('is', 'goal', ['Pricing'])], ['c.example', 'e.example'], goals)).toBeNull();
    expect(pageGoalFilter([leaf('is', 'goal', ['Nothing'])], ['c.example'], goals)).toBeNull();
    expect(pageGoalFilter([leaf('is_not', 'goal', ['Pricing'])], ['c.example'], goals)).toBeNull();
    expect(pageGoalFilter([leaf('is', 'goal', ['Pricing', 'Signup'])], ['c.example'], goals)).toBeNull();
    expect(pageGoalFilter([leaf('is', 'goal', ['Pricing']), leaf('is', 'country', ['NL'])], ['c.example'], goals)).toBeNull();
    expect(pageGoalFilter([leaf('is', 'page', ['/pricing'])], ['c.example'], goals)).toBeNull();
  });

  it('answers a whole UTC day or more by at most one low-cardinality visit attribute, time buckets at UTC midnights', () => {
    const goal = [leaf('is', 'goal', ['Pricing'])];
    expect(pageVisitsEligible(input([], goal), [])).toBe(true);
    expect(pageVisitsEligible(input(['channel'], goal), [])).toBe(true);
    expect(pageVisitsEligible(input(['device'], goal, ['c.example'], 100 * DAY + 1, 130 * DAY - 1), [])).toBe(true);
    const days = Array.from({ length: 30 }, (_, i) => (100 + i) * DAY);
    expect(pageVisitsEligible(input(['time:day'], goal), days)).toBe(true);
    expect(
      pageVisitsEligible(
        input(['time:day'], goal),
        days.map((d) => d - 5.5 * 3_600_000),
      ),
    ).toBe(false);
    expect(pageVisitsEligible(input(['entry_page'], goal), [])).toBe(false);
    expect(pageVisitsEligible(input(['channel', 'device'], goal), [])).toBe(false);
    expect(pageVisitsEligible(input([], goal, ['c.example'], 100 * DAY + 1, 101 * DAY + 5), [])).toBe(false);
    expect(pageVisitsEligible(input([], [leaf('is', 'goal', ['Blog'])]), [])).toBe(false);
  });

  it('reads the pageview sums of each site’s path, and the partial days from the visits’ pageviews', () => {
    const whole = pageVisitsStatement(input(['channel'], [leaf('is', 'goal', ['Pricing'])], ['c.example', 'd.example']));
    expect(whole.sql).toContain('FROM db.page_visits_1d');
    expect(whole.sql).toContain('visits - ev_visits AS s0');
    expect(whole.sql).not.toContain('db.visits');
    expect(Object.values(whole.params)).toEqual(expect.arrayContaining(['c.example', 'd.example', '/pricing', 'channel']));
    const edges = pageVisitsStatement(input(['channel'], [leaf('is', 'goal', ['Pricing'])], ['c.example'], 100 * DAY - 5, 130 * DAY + 5));
    expect(edges.sql).toMatch(/FROM db\.visits AS v\s+WHERE/);
    expect(edges.sql).toContain('toInt64(v.sign) AS s0');
    expect(edges.sql).toMatch(/has\(arrayFilter\(\(p, n\) -> n = 'pageview', v\.pairs\.path, v\.pairs\.name\), \{p\d+:String\}\)/);
    // A page filter: every visit holding the path (pageviews' and custom events' paths), its partial days too.
    const page = pageVisitsStatement(input([], [leaf('is', 'page', ['/pricing'])], ['c.example'], 100 * DAY - 5, 130 * DAY));
    expect(page.sql).toContain('SELECT site, bucket AS first_at, value, visits AS s0');
    expect(page.sql).toMatch(/has\(v\.pairs\.path, \{p\d+:String\}\)/);
  });
});

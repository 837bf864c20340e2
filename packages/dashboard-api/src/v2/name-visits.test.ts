import { describe, expect, it } from 'vitest';
import { type Goal, siteGoals } from './goals.ts';
import { nameFilter, nameVisitsEligible, nameVisitsStatement } from './name-visits.ts';
import type { Filter } from './parse.ts';
import { DAY, statementInput } from './statement-input.fixture.ts';
import type { StatementInput } from './statements.ts';
import type { Dimension } from './vocabulary.ts';

const leaf = (op: string, dimension: string, values: string[]): Filter => ({ op, dimension, values, pointer: '/filters/0' }) as Filter;
const GOALS: Goal[] = [
  { name: 'Signup', event: 'signup' },
  { name: 'Pricing', path: '/pricing' },
  { name: 'Pro signup', event: 'signup', props: { plan: 'pro' } },
  { name: 'Engaged', event: 'engagement' },
];

function input(dimensions: Dimension[], filters: Filter[], sites = ['a.example'], from = 100 * DAY, to = 130 * DAY): StatementInput {
  return statementInput(dimensions, filters, { sites, from, to, goals: siteGoals(sites, (s) => (s === 'c.example' ? GOALS : null)) });
}

describe('visit metrics under one goal or custom event filter (name-visits.ts)', () => {
  it('resolves the filter to the custom event name each site’s visits must hold', () => {
    const goals = siteGoals(['a.example', 'c.example'], (s) => (s === 'c.example' ? GOALS : null));
    expect(nameFilter([leaf('is', 'event', ['signup'])], ['a.example'], goals)).toEqual(new Map([['a.example', 'signup']]));
    // A site without goals: each custom event name is a goal; a configured event goal: its event; no such goal: none.
    expect(nameFilter([leaf('is', 'goal', ['Signup'])], ['a.example', 'c.example'], goals)).toEqual(
      new Map([
        ['a.example', 'Signup'],
        ['c.example', 'signup'],
      ]),
    );
    expect(nameFilter([leaf('is', 'goal', ['signup'])], ['c.example'], goals)).toEqual(new Map([['c.example', null]]));
    // Not: a pageview goal, a goal with property conditions, an engagement goal, pageviews, other operators, several values.
    expect(nameFilter([leaf('is', 'goal', ['Pricing'])], ['c.example'], goals)).toBeNull();
    expect(nameFilter([leaf('is', 'goal', ['Pro signup'])], ['c.example'], goals)).toBeNull();
    expect(nameFilter([leaf('is', 'goal', ['Engaged'])], ['c.example'], goals)).toBeNull();
    expect(nameFilter([leaf('is', 'event', ['pageview'])], ['a.example'], goals)).toBeNull();
    expect(nameFilter([leaf('is_not', 'event', ['signup'])], ['a.example'], goals)).toBeNull();
    expect(nameFilter([leaf('is', 'event', ['signup', 'download'])], ['a.example'], goals)).toBeNull();
    expect(nameFilter([leaf('is', 'event', ['signup']), leaf('is', 'country', ['NL'])], ['a.example'], goals)).toBeNull();
  });

  it('answers whole UTC days by at most one low-cardinality visit attribute', () => {
    const goal = [leaf('is', 'goal', ['Signup'])];
    expect(nameVisitsEligible(input([], goal), [])).toBe(true);
    expect(nameVisitsEligible(input(['channel'], goal), [])).toBe(true);
    expect(nameVisitsEligible(input(['device'], [leaf('is', 'event', ['signup'])]), [])).toBe(true);
    expect(
      nameVisitsEligible(
        input(['time:day'], goal),
        Array.from({ length: 30 }, (_, i) => (100 + i) * DAY),
      ),
    ).toBe(true);
    expect(nameVisitsEligible(input(['entry_page'], goal), [])).toBe(false);
    expect(nameVisitsEligible(input(['channel', 'device'], goal), [])).toBe(false);
    // Partial UTC days (a zone off UTC) beside a whole one: read from the visits; no whole UTC day: not.
    expect(nameVisitsEligible(input(['channel'], goal, ['a.example'], 100 * DAY - 3_600_000, 130 * DAY - 3_600_000), [])).toBe(true);
    expect(nameVisitsEligible(input(['channel'], goal, ['a.example'], 100 * DAY + 1, 101 * DAY + 5), [])).toBe(false);
    expect(
      nameVisitsEligible(input(['time:day'], goal, ['a.example'], 100 * DAY - 3_600_000, 102 * DAY - 3_600_000), [
        100 * DAY - 3_600_000,
        101 * DAY - 3_600_000,
      ]),
    ).toBe(false);
    expect(nameVisitsEligible(input(['channel'], [leaf('is', 'goal', ['Pricing'])], ['c.example']), [])).toBe(false);
  });

  it('reads the rows of each site’s name, none for a site without the goal', () => {
    const st = nameVisitsStatement(input(['channel'], [leaf('is', 'goal', ['Signup'])], ['a.example', 'c.example']));
    expect(st.sql).toContain('FROM db.name_visits_1d');
    expect(Object.values(st.params)).toEqual(expect.arrayContaining(['a.example', 'Signup', 'c.example', 'signup', 'channel']));
    const none = nameVisitsStatement(input([], [leaf('is', 'goal', ['Nothing'])], ['c.example']));
    expect(none.sql).toMatch(/WHERE 0 AND/);
    expect(st.sql).not.toContain('FINAL');
  });

  it('reads a range’s partial UTC days from the visits holding the name', () => {
    const st = nameVisitsStatement(
      input(['channel'], [leaf('is', 'goal', ['Signup'])], ['a.example'], 100 * DAY - 3_600_000, 130 * DAY + 5),
    );
    expect(st.sql).toContain('FROM db.name_visits_1d');
    expect(st.sql).toMatch(/FROM db\.visits AS v\s+WHERE \(\(v\.site = \{p\d+:String\} AND has\(v\.pairs\.name, \{p\d+:String\}\)\)\)/);
    expect(Object.values(st.params)).toEqual(
      expect.arrayContaining(['1970-04-11 00:00:00', '1970-05-11 00:00:00', '1970-04-10 23:00:00.000', '1970-05-11 00:00:00.005']),
    );
  });
});

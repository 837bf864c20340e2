import { describe, expect, it } from 'vitest';
import { siteGoals } from './goals.ts';
import type { Filter } from './parse.ts';
import { statementInput } from './statement-input.fixture.ts';
import type { StatementInput } from './statements.ts';
import { visitEventsEligible, visitEventsStatement } from './visit-events.ts';
import type { Dimension, Metric } from './vocabulary.ts';

const country: Filter = { op: 'is', dimension: 'country', values: ['NL'], pointer: '/filters/0' };

function input(dimensions: Dimension[], metrics: Metric[], goals: Parameters<typeof siteGoals>[1] = () => null): StatementInput {
  return statementInput(dimensions, [country], {
    goals: siteGoals(['a.example'], goals),
    conversions: metrics.includes('conversions') || metrics.includes('conversion_rate'),
    converters: metrics.includes('conversion_rate'),
    metrics,
  });
}

const GOALS = ['visitors', 'conversions', 'conversion_rate'] as Metric[];

describe('goals under a visit filter from the visits (visit-events.ts)', () => {
  it('answers the goals panel from the visits, unless a goal needs what pairs do not hold', () => {
    expect(visitEventsEligible(input(['goal'], GOALS))).toBe(true);
    expect(visitEventsEligible(input(['goal'], GOALS, () => [{ name: 'Blog', path: '/blog/*' }]))).toBe(true);
    expect(visitEventsEligible(input(['goal'], GOALS, () => [{ name: 'Pro', event: 'signup', props: { plan: 'pro' } }]))).toBe(false);
    expect(visitEventsEligible(input(['goal'], GOALS, () => [{ name: 'Engaged', event: 'engagement' }]))).toBe(false);
    expect(visitEventsEligible(input(['goal'], ['visitors', 'time_on_page']))).toBe(false);
    expect(visitEventsEligible(input(['goal', 'page'], ['visitors']))).toBe(false);
  });

  it('reads raw events only for the visits a row cannot tell: none without the goal dimension and configured goals', () => {
    // A 30-day range of whole UTC days: no visit crosses an edge.
    const implicitTotals = visitEventsStatement(input([], GOALS), []).sql;
    expect(implicitTotals).not.toContain('.events AS e0');
    const byGoal = visitEventsStatement(input(['goal'], GOALS), []).sql;
    expect(byGoal).toContain('.events AS e0');
    expect(byGoal).toContain('ARRAY JOIN');
    // Converters alone (visitors by goal) never need counts: no raw read.
    expect(visitEventsStatement(input(['goal'], ['visitors']), []).sql).not.toContain('.events AS e0');
  });
});

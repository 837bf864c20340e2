/**
 * A statement input for the statements' unit tests (`*.test.ts` of this folder): a.example over
 * days 100–130 since the epoch, UTC, by day, visits asked, no goals; `over` replaces any of it.
 */
import { tableNames } from '../queries/tables.ts';
import { siteGoals } from './goals.ts';
import type { Filter } from './parse.ts';
import type { StatementInput } from './statements.ts';
import type { Dimension } from './vocabulary.ts';

export const DAY = 86_400_000;

export function statementInput(dimensions: Dimension[], filters: Filter[], over: Partial<StatementInput> = {}): StatementInput {
  const sites = over.sites ?? ['a.example'];
  return {
    tables: tableNames('db'),
    sites,
    from: 100 * DAY,
    to: 130 * DAY,
    zone: 'UTC',
    interval: 'day',
    dimensions,
    pointers: dimensions.map((_, i) => `/dimensions/${i}`),
    filters,
    goals: siteGoals(sites, () => null),
    conversions: false,
    metrics: ['visits'],
    ...over,
  };
}

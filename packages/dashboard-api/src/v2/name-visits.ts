/**
 * Visit metrics under one goal or custom event filter (`goal is Signup`, `event is signup`: a click
 * on a goals panel row) from `name_visits_1d` (clickhouse/037): per site, custom event name, UTC day
 * and visit attribute value, the sign-weighted sums of the visits holding the name among their
 * (name, path) pairs. A visit passes `event is n` when one of its pairs has the name n, and `goal is
 * G` when one of its pairs completes G: for a goal that is an event name (a site without configured
 * goals: every custom event name; a configured event goal without property conditions: its event),
 * when one of its pairs has that name. Sums add up, so whole UTC days of those rows answer exactly
 * what `visits` FINAL with its pairs answers (docs/query.md "Which tables answer").
 */
import { Params } from './fields.ts';
import type { SiteGoals } from './goals.ts';
import { daySumsStatement, PAGE_VISIT_DIMENSIONS } from './page-visits.ts';
import type { Filter } from './parse.ts';
import { dayAligned, type Statement, type StatementInput, wholeUtcDays } from './statements.ts';
import { isTimeDimension } from './vocabulary.ts';

/** The visit attributes the table holds per name: `page_visits_1d`'s (037 lists 031's). */
const NAME_VISIT_DIMENSIONS = PAGE_VISIT_DIMENSIONS;

/** Names the table does not hold (the pairs keep no engagement; pageviews are per path: `page_visits_1d`). */
const NOT_CUSTOM = ['pageview', 'engagement'];

/**
 * The custom event name each site's visits must hold under the query's one filter (`event is n`, or
 * `goal is G` with G an event name on each site), null for a site none of whose visits can pass, or
 * null overall when the table cannot answer the filter.
 */
export function nameFilter(filters: readonly Filter[], sites: readonly string[], goals: SiteGoals): Map<string, string | null> | null {
  if (filters.length !== 1) return null;
  const f = filters[0] as Filter;
  if (!('values' in f) || f.op !== 'is' || f.values.length !== 1) return null;
  const value = f.values[0] as string;
  const out = new Map<string, string | null>();
  if (f.dimension === 'event') {
    if (NOT_CUSTOM.includes(value)) return null;
    for (const site of sites) out.set(site, value);
    return out;
  }
  if (f.dimension !== 'goal') return null;
  const configured = new Map(goals.configured);
  for (const site of sites) {
    const list = configured.get(site);
    if (list === undefined) {
      // Implicit goals: each custom event name (never a pageview or engagement).
      out.set(site, NOT_CUSTOM.includes(value) ? null : value);
      continue;
    }
    const goal = list.find((g) => g.name === value);
    if (goal === undefined) out.set(site, null);
    else if (!('event' in goal) || goal.props || NOT_CUSTOM.includes(goal.event)) return null;
    else out.set(site, goal.event);
  }
  return out;
}

/**
 * Whether the visit statement can read `name_visits_1d`: one `is` filter of one value on `event`
 * (a custom event name) or on `goal` (a goal that is an event name on each site), and no other;
 * a whole UTC day in the range (its partial days — a zone off UTC, a range of instants — read from
 * `visits`), time buckets (if any) at UTC midnights, and at most one visit dimension, one the table holds.
 */
export function nameVisitsEligible(input: StatementInput, buckets: readonly number[]): boolean {
  if (nameFilter(input.filters, input.sites, input.goals) === null) return false;
  const [d0, d1] = wholeUtcDays(input);
  if (d0 >= d1) return false;
  const attributes = input.dimensions.filter((d) => !isTimeDimension(d));
  if (attributes.length > 1 || !attributes.every((d) => NAME_VISIT_DIMENSIONS.includes(d))) return false;
  return !input.dimensions.some(isTimeDimension) || dayAligned(input, buckets);
}

export function nameVisitsStatement(input: StatementInput): Statement {
  const params = new Params();
  const zone = params.add('String', input.zone);
  const names = nameFilter(input.filters, input.sites, input.goals) as Map<string, string | null>;
  const pairs = [...names].filter((e): e is [string, string] => e[1] !== null);
  const bound = pairs.map(([site, name]) => [params.add('String', site), params.add('String', name)]);
  const held = bound.length === 0 ? '0' : `(${bound.map(([site, name]) => `(site = ${site} AND name = ${name})`).join(' OR ')})`;
  // The partial days' visits: those holding the name among their (name, path) pairs, as the view's rows.
  const visits =
    bound.length === 0 ? '0' : `(${bound.map(([site, name]) => `(v.site = ${site} AND has(v.pairs.name, ${name}))`).join(' OR ')})`;
  return daySumsStatement(input, params, zone, input.tables.nameVisits1d, held, { held: visits, visits: input.tables.visits });
}

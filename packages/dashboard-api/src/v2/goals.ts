/**
 * Goals (SPEC §12): what counts as a conversion on a site. A pageview goal is a path glob
 * (`*` any characters but `/`, `**` any characters, the rest literal, the whole path); an event
 * goal is a custom event name with optional property values (each listed key must hold its
 * value). A site without configured goals has one implicit goal per custom event name. Goals are
 * a site's settings in the sites registry (SPEC §11: `PATCH /api/v2/sites/{site}`).
 *
 * An event may complete several goals; `goalsSql` is the array of the goals one event (or one
 * (name, path) pair of a visit) completes, with every name, path and value bound, never in SQL.
 * A glob becomes the collector's own anchored pattern (`globToRegExp`), which RE2 reads alike.
 */
import { type Goal, globToRegExp } from '@tidemark/shared';
import type { Params } from './fields.ts';
import type { Filter } from './parse.ts';

/** A site's goal as the sites registry keeps it (admin/schemas.ts checks it; names are unique per site). */
export type { Goal };

/** The goals of a site (its settings in the sites registry), or null / [] when it has none (then every custom event name is a goal). */
export type GoalLookup = (site: string) => readonly Goal[] | null;

export const NO_GOALS: GoalLookup = () => null;

export interface SiteGoals {
  /** Configured goals by site. */
  configured: [string, readonly Goal[]][];
  /** Sites without configured goals (one implicit goal per custom event name). */
  implicit: string[];
}

export function siteGoals(sites: readonly string[], lookup: GoalLookup): SiteGoals {
  const configured: SiteGoals['configured'] = [];
  const implicit: string[] = [];
  for (const site of sites) {
    const goals = lookup(site);
    if (goals && goals.length > 0) configured.push([site, goals]);
    else implicit.push(site);
  }
  return { configured, implicit };
}

/** A goal with property conditions: the (name, path) pairs of a visit cannot say whether one of its events completes it. */
const isPropGoal = (g: Goal) => 'event' in g && Boolean(g.props);

export const hasPropGoals = (g: SiteGoals) => g.configured.some(([, list]) => list.some(isPropGoal));

/**
 * Whether a goal filter leaf can pick no property goal on any site, so a visit's pairs decide it
 * with the property goals left out (`withoutPropGoals`): `is` naming none of them, `contains` of a
 * value none of their names contains. Only positive operators: an event completing a property goal
 * and another goal fails `is_not Pro` with every goal and passes it without the property ones;
 * `matches` is RE2's, not checked here.
 */
export function leafSkipsPropGoals(op: Filter['op'], values: readonly string[], goals: SiteGoals): boolean {
  const names = goals.configured.flatMap(([, list]) => list.filter(isPropGoal).map((g) => g.name));
  if (op === 'is') return !names.some((n) => values.includes(n));
  if (op === 'contains') return !names.some((n) => values.some((v) => n.includes(v)));
  return names.length === 0;
}

/** Whether every goal leaf of the filters (any depth) skips the property goals (`leafSkipsPropGoals`). */
export function filtersSkipPropGoals(filters: readonly Filter[], goals: SiteGoals): boolean {
  return filters.every((f) =>
    'filters' in f
      ? filtersSkipPropGoals(f.filters, goals)
      : 'filter' in f
        ? filtersSkipPropGoals([f.filter], goals)
        : f.dimension !== 'goal' || leafSkipsPropGoals(f.op, f.values, goals),
  );
}

/** The goals without those with property conditions (a site left with none keeps an empty list: its custom events are no goals). */
export function withoutPropGoals(goals: SiteGoals): SiteGoals {
  return { ...goals, configured: goals.configured.map(([site, list]) => [site, list.filter((g) => !isPropGoal(g))]) };
}

/**
 * The goals named so that `keep` holds (each site's configured list; sites without configured goals
 * keep their implicit goals): under a positive goal filter (`is`, `contains`) an event passes when
 * one of its goals passes, so the goals no value can pass need not be evaluated (each is a `match`
 * per event or pair).
 */
export function goalsNamed(goals: SiteGoals, keep: (name: string) => boolean): SiteGoals {
  return { ...goals, configured: goals.configured.map(([site, list]) => [site, list.filter((g) => keep(g.name))]) };
}

export const hasPathGoals = (g: SiteGoals) => g.configured.some(([, list]) => list.some((x) => 'path' in x));

/** Each configured goal's condition on a row with its name, and the implicit goals' (the row's name, on the sites without configured goals). */
function goalConditions(
  src: 'e' | 'p',
  goals: SiteGoals,
  params: Params,
  withProps: boolean,
): { configured: { condition: string; name: string }[]; implicit: string | null; site: string } {
  const site = src === 'p' ? 'v.site' : 'e.site';
  const configured: { condition: string; name: string }[] = [];
  for (const [s, list] of goals.configured) {
    const onSite = `${site} = ${params.add('String', s)}`;
    for (const goal of list) {
      const conditions = [onSite];
      if ('path' in goal)
        conditions.push(`${src}.name = 'pageview'`, `match(${src}.path, ${params.add('String', globToRegExp(goal.path).source)})`);
      else {
        conditions.push(`${src}.name = ${params.add('String', goal.event)}`);
        for (const [key, value] of Object.entries(goal.props ?? {})) {
          if (!withProps) throw new Error('property goals need raw events');
          conditions.push(`e.props[${params.add('String', key)}] = ${params.add('String', value)}`);
        }
      }
      configured.push({ condition: conditions.join(' AND '), name: goal.name });
    }
  }
  const implicit =
    goals.implicit.length > 0
      ? `${site} IN ${params.add('Array(String)', goals.implicit)} AND ${src}.name NOT IN ('pageview', 'engagement')`
      : null;
  return { configured, implicit, site };
}

/**
 * The goals a row completes, as `Array(String)`: `src` 'e' is an event (or a rollup row),
 * 'p' one (name, path) pair of the visit `v`. Property conditions need raw events (`withProps`).
 */
export function goalsSql(src: 'e' | 'p', goals: SiteGoals, params: Params, withProps: boolean): string {
  const { configured, implicit } = goalConditions(src, goals, params, withProps);
  const items = configured.map((g) => `if(${g.condition}, ${params.add('String', g.name)}, '')`);
  if (implicit !== null) items.push(`if(${implicit}, toString(${src}.name), '')`);
  if (items.length === 0) return "CAST([], 'Array(String)')";
  return `arrayFilter(gl -> gl != '', [${items.join(', ')}])`;
}

/**
 * Whether a row completes one of the goals whose name passes `leaf`, when every configured goal
 * of `goals` is known to pass it by its name (`goalsNamed` under an `is` or `contains` filter):
 * the goals' conditions or'ed, without building the array of the goals the row completes (per
 * pair of every visit of a month, that array is most of a goal filter's cost); an implicit goal
 * (a custom event's name) is still tested by `leaf`.
 */
export function goalPassesSql(src: 'e' | 'p', goals: SiteGoals, params: Params, withProps: boolean, leaf: (x: string) => string): string {
  const { configured, implicit } = goalConditions(src, goals, params, withProps);
  const any = configured.map((g) => `(${g.condition})`);
  if (implicit !== null) any.push(`(${implicit} AND ${leaf(`toString(${src}.name)`)})`);
  return any.length === 0 ? '0' : `(${any.join(' OR ')})`;
}

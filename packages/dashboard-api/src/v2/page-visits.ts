/**
 * Visit metrics under one page filter (`page is /pricing`: a click on a pages row) or one pageview
 * goal filter (`goal is Pricing`, Pricing a literal path: a click on a goals row) from
 * `page_visits_1d` (clickhouse/031, 041): per site, path, UTC day and visit attribute value, the
 * sign-weighted sums of the visits holding the path among their pageviews' and custom events'
 * paths, and (`ev_*`) of those holding it among their custom events' paths only, so that the
 * difference sums the visits holding a pageview of it. Sums add up, so whole UTC days of those
 * rows answer exactly what `visits` FINAL with its (name, path) pairs answers; the range's partial
 * UTC days are read from `visits` (sign-weighted) in the same statement (docs/query.md "Which tables answer").
 */
import { toClickHouseTime } from '@tidemark/shared';
import { dimensionSql, Params } from './fields.ts';
import type { SiteGoals } from './goals.ts';
import type { Filter } from './parse.ts';
import { dayAligned, type Statement, type StatementInput, signedVisitSums, wholeUtcDays } from './statements.ts';
import { type Dimension, isTimeDimension } from './vocabulary.ts';

/**
 * The visit attributes the table holds per path (not entry / exit pages, UTM term and content,
 * versions, city: clickhouse/045 says why).
 */
export const PAGE_VISIT_DIMENSIONS: readonly string[] = [
  'hostname',
  'source',
  'referrer',
  'channel',
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'country',
  'region',
  'device',
  'browser',
  'os',
  'screen',
];

/** The one `is` page filter of one path, or null. */
function pageFilter(filters: readonly Filter[]): string | null {
  if (filters.length !== 1) return null;
  const f = filters[0] as Filter;
  if (!('values' in f) || f.op !== 'is' || f.dimension !== 'page' || f.values.length !== 1) return null;
  return f.values[0] as string;
}

/**
 * The path whose pageviews each site's visits must hold under the query's one `goal is G` filter,
 * G a pageview goal whose glob is a literal path (no `*`) on a site that configures it; null for a
 * site none of whose visits can pass (no goal G, or a site without configured goals and G named
 * `pageview` or `engagement`); null overall when the table cannot answer the filter (G an event
 * goal or a glob with wildcards on some site, G a custom event name on a site without configured
 * goals, or no site with G a pageview goal: `name-visits.ts` answers those it can).
 */
export function pageGoalFilter(filters: readonly Filter[], sites: readonly string[], goals: SiteGoals): Map<string, string | null> | null {
  if (filters.length !== 1) return null;
  const f = filters[0] as Filter;
  if (!('values' in f) || f.op !== 'is' || f.dimension !== 'goal' || f.values.length !== 1) return null;
  const value = f.values[0] as string;
  const configured = new Map(goals.configured);
  const out = new Map<string, string | null>();
  for (const site of sites) {
    const list = configured.get(site);
    if (list === undefined) {
      // Implicit goals: each custom event name (never a pageview or engagement).
      if (value !== 'pageview' && value !== 'engagement') return null;
      out.set(site, null);
      continue;
    }
    const goal = list.find((g) => g.name === value);
    if (goal === undefined) out.set(site, null);
    else if (!('path' in goal) || goal.path.includes('*')) return null;
    else out.set(site, goal.path);
  }
  return [...out.values()].some((p) => p !== null) ? out : null;
}

/**
 * Whether the visit statement can read `page_visits_1d`: one `is` page filter of one path, or one
 * `is` goal filter of a pageview goal of a literal path (`pageGoalFilter`), and no other; a whole
 * UTC day in the range (its partial days read from `visits`), time buckets (if any) at UTC
 * midnights, and at most one visit dimension, one the table holds.
 */
export function pageVisitsEligible(input: StatementInput, buckets: readonly number[]): boolean {
  if (pageFilter(input.filters) === null && pageGoalFilter(input.filters, input.sites, input.goals) === null) return false;
  const [d0, d1] = wholeUtcDays(input);
  if (d0 >= d1) return false;
  const attributes = input.dimensions.filter((d) => !isTimeDimension(d));
  if (attributes.length > 1 || !attributes.every((d) => PAGE_VISIT_DIMENSIONS.includes(d))) return false;
  return !input.dimensions.some(isTimeDimension) || dayAligned(input, buckets);
}

export function pageVisitsStatement(input: StatementInput): Statement {
  const params = new Params();
  const zone = params.add('String', input.zone);
  const sites = params.add('Array(String)', input.sites);
  const page = pageFilter(input.filters);
  if (page !== null) {
    const path = params.add('String', page);
    return daySumsStatement(input, params, zone, input.tables.pageVisits1d, `site IN ${sites} AND path = ${path}`, {
      held: `v.site IN ${sites} AND has(v.pairs.path, ${path})`,
      visits: input.tables.visits,
    });
  }
  // A pageview goal: per site, the visits holding a pageview of its path (the sums less the `ev_*` ones).
  const goal = pageGoalFilter(input.filters, input.sites, input.goals) as Map<string, string | null>;
  const held = [...goal]
    .filter((e): e is [string, string] => e[1] !== null)
    .map(([site, path]) => [params.add('String', site), params.add('String', path)]);
  const rows = held.map(([site, path]) => `(site = ${site} AND path = ${path})`).join(' OR ');
  const visits = held
    .map(([site, path]) => `(v.site = ${site} AND has(arrayFilter((p, n) -> n = 'pageview', v.pairs.path, v.pairs.name), ${path}))`)
    .join(' OR ');
  return daySumsStatement(input, params, zone, input.tables.pageVisits1d, `(${rows})`, {
    held: `(${visits})`,
    visits: input.tables.visits,
    sums: VIEWED_SUMS,
  });
}

/** The sums of a day-sums row: all of them, or (`page_visits_1d` under a pageview goal) those of the visits holding a pageview of the path. */
const ALL_SUMS = ['visits', 'bounces', 'duration', 'pageviews'] as const;
const VIEWED_SUMS = ALL_SUMS.map((s) => `${s} - ev_${s}`);

/** The range's partial UTC days, read from `visits` (sign-weighted): the visits `held` selects (over `v`). */
interface Edges {
  held: string;
  visits: string;
  /** The table rows' sums to read (default: all of them, `ALL_SUMS`), matching the visits `held` selects. */
  sums?: readonly string[];
}

/**
 * The visit metrics of a day-sums table (`page_visits_1d`, `name_visits_1d`: per site, key, UTC day,
 * visit attribute and value, sign-weighted sums) over whole UTC days, by the asked dimensions, for
 * the rows `where` selects; with `edges`, the range's partial UTC days from `visits` (without,
 * the range must be whole UTC days).
 */
export function daySumsStatement(
  input: StatementInput,
  params: Params,
  zone: string,
  table: string,
  where: string,
  edges?: Edges,
): Statement {
  const attribute = input.dimensions.find((d) => !isTimeDimension(d));
  const dimension = params.add('String', attribute ?? '');
  const [d0, d1] = edges ? wholeUtcDays(input) : [input.from, input.to];
  const from = params.add("DateTime('UTC')", toClickHouseTime(d0).slice(0, 19));
  const to = params.add("DateTime('UTC')", toClickHouseTime(d1).slice(0, 19));
  const dims = input.dimensions.map(
    (d, i) => `${dimensionSql(d as Dimension, 'r', params, { interval: input.interval, zone }, input.pointers[i] ?? '')} AS d${i}`,
  );
  // Each sum under a name of its own (`s0`…): an alias named like a column is seen by the whole SELECT.
  const sums = (edges?.sums ?? ALL_SUMS).map((s, i) => `${s} AS s${i}`).join(', ');
  const parts = [
    `SELECT site, bucket AS first_at, value, ${sums}
      FROM ${table}
      WHERE ${where} AND dimension = ${dimension} AND bucket >= ${from} AND bucket < ${to}`,
  ];
  if (edges && (input.from < d0 || d1 < input.to)) {
    const at = (ms: number) => params.add("DateTime64(3, 'UTC')", toClickHouseTime(ms));
    const [start, day0, day1, end] = [at(input.from), at(d0), at(d1), at(input.to)];
    const value = attribute === undefined ? "''" : dimensionSql(attribute as Dimension, 'v', params, null, '');
    parts.push(`SELECT v.site AS site, v.first_at AS first_at, ${value} AS value, ${signedVisitSums('v', ['s0', 's1', 's2', 's3'])}
      FROM ${edges.visits} AS v
      WHERE ${edges.held} AND v.pageviews + v.events > 0
        AND ((v.first_at >= ${start} AND v.first_at < ${day0}) OR (v.first_at >= ${day1} AND v.first_at < ${end}))`);
  }
  const sql = `
    SELECT ${[...dims, 'sum(r.s0) AS visits, sum(r.s1) AS bounces, sum(r.s2) AS duration, sum(r.s3) AS visit_pageviews'].join(',\n  ')}
    FROM (
      ${parts.join('\n      UNION ALL\n      ')}
    ) AS r
    ${input.dimensions.length === 0 ? '' : `GROUP BY ${input.dimensions.map((_, i) => `d${i}`).join(', ')}`}
    HAVING visits != 0`;
  return { sql, params: params.values, dims: input.dimensions.map((_, i) => `d${i}`) };
}

/**
 * Visit metrics under one page filter (`page is /pricing`: a click on a pages row) from
 * `page_visits_1d` (clickhouse/031): per site, path, UTC day and visit attribute value, the
 * sign-weighted sums of the visits holding the path among their pageviews' and custom events'
 * paths. Sums add up, so whole UTC days of those rows answer exactly what `visits` FINAL with its
 * (name, path) pairs answers (docs/query.md "Which tables answer").
 */
import { toClickHouseTime } from '@tidemark/shared';
import { dimensionSql, Params } from './fields.ts';
import type { Filter } from './parse.ts';
import { dayAligned, type Statement, type StatementInput } from './statements.ts';
import { type Dimension, isTimeDimension } from './vocabulary.ts';

const DAY = 86_400_000;

/** The visit attributes the table holds per path (not entry / exit pages, UTM term and content, versions). */
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
  'city',
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
 * Whether the visit statement can read `page_visits_1d`: one `is` page filter of one path and no
 * other, whole UTC days (range and time buckets), and at most one visit dimension, one the table holds.
 */
export function pageVisitsEligible(input: StatementInput, buckets: readonly number[]): boolean {
  if (pageFilter(input.filters) === null) return false;
  if (input.from % DAY !== 0 || input.to % DAY !== 0 || input.from >= input.to) return false;
  const attributes = input.dimensions.filter((d) => !isTimeDimension(d));
  if (attributes.length > 1 || !attributes.every((d) => PAGE_VISIT_DIMENSIONS.includes(d))) return false;
  return !input.dimensions.some(isTimeDimension) || dayAligned(input, buckets);
}

export function pageVisitsStatement(input: StatementInput): Statement {
  const params = new Params();
  const zone = params.add('String', input.zone);
  const sites = params.add('Array(String)', input.sites);
  const path = params.add('String', pageFilter(input.filters) as string);
  return daySumsStatement(input, params, zone, input.tables.pageVisits1d, `site IN ${sites} AND path = ${path}`);
}

/**
 * The visit metrics of a day-sums table (`page_visits_1d`, `name_visits_1d`: per site, key, UTC day,
 * visit attribute and value, sign-weighted sums) over whole UTC days, by the asked dimensions, for
 * the rows `where` selects.
 */
export function daySumsStatement(input: StatementInput, params: Params, zone: string, table: string, where: string): Statement {
  const dimension = params.add('String', input.dimensions.find((d) => !isTimeDimension(d)) ?? '');
  const from = params.add("DateTime('UTC')", toClickHouseTime(input.from).slice(0, 19));
  const to = params.add("DateTime('UTC')", toClickHouseTime(input.to).slice(0, 19));
  const dims = input.dimensions.map(
    (d, i) => `${dimensionSql(d as Dimension, 'r', params, { interval: input.interval, zone }, input.pointers[i] ?? '')} AS d${i}`,
  );
  const sql = `
    SELECT ${[...dims, 'sum(r.visits) AS visits, sum(r.bounces) AS bounces, sum(r.duration) AS duration, sum(r.pageviews) AS visit_pageviews'].join(',\n  ')}
    FROM (
      SELECT site, bucket AS first_at, value, visits, bounces, duration, pageviews
      FROM ${table}
      WHERE ${where} AND dimension = ${dimension} AND bucket >= ${from} AND bucket < ${to}
    ) AS r
    ${input.dimensions.length === 0 ? '' : `GROUP BY ${input.dimensions.map((_, i) => `d${i}`).join(', ')}`}
    HAVING visits != 0`;
  return { sql, params: params.values, dims: input.dimensions.map((_, i) => `d${i}`) };
}

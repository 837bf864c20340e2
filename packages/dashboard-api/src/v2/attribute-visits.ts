/**
 * Visit metrics by one visit attribute under filters on another (`visits by device where country
 * is NL`: the channel and devices panels after a click on a country row) from
 * `attribute_visits_1d` (clickhouse/033): per site, UTC day, filter attribute and value, and
 * attribute and value, the sign-weighted sums of the visits starting on the day. Sums add up, and a
 * visit has one value of each attribute, so whole UTC days of those rows answer exactly what
 * `visits` FINAL answers, under any filter of the filter attribute alone (is, is not, contains,
 * matches, several values, nested). The range's partial UTC days are read from `visits` in
 * the same statement (docs/query.md "Which tables answer"). The entry and exit pages as the filter
 * attribute (a click on an entry or exit page row, then the sources panel's visits by channel)
 * are in a table of their own with the same columns, `entry_exit_visits_1d` (clickhouse/043), by
 * the channel only.
 */
import { toClickHouseTime } from '@tidemark/shared';
import { dimensionSql, filterDimensions, filterSql, Params } from './fields.ts';
import { dayAligned, type Statement, type StatementInput, signedVisitSums, wholeUtcDays } from './statements.ts';
import { type Dimension, isTimeDimension } from './vocabulary.ts';

/**
 * The `visits` expression of each filter attribute the table holds (as `fields.ts` VISIT_COLUMN):
 * 033's low-cardinality ones, and 035's browser and OS versions.
 */
const FILTER_COLUMNS: Record<string, string> = {
  browser_version: 'toString(v.browser_version)',
  os_version: 'toString(v.os_version)',
  hostname: 'toString(v.host)',
  source: 'toString(v.source)',
  referrer: 'toString(v.referrer_host)',
  utm_source: 'toString(v.utm_source)',
  utm_medium: 'toString(v.utm_medium)',
  utm_campaign: 'toString(v.utm_campaign)',
  channel: 'toString(v.channel)',
  country: 'toString(v.country)',
  device: 'toString(v.device)',
  browser: 'toString(v.browser)',
  os: 'toString(v.os)',
  screen:
    "multiIf(v.screen_width = 0, '', v.screen_width < 576, 'Mobile', v.screen_width < 992, 'Tablet', v.screen_width < 1440, 'Laptop', 'Desktop')",
};

/** The attributes the table groups by (a dimension under the filter): the low-cardinality panel tabs. */
const TARGETS: readonly string[] = ['channel', 'country', 'device', 'browser', 'os', 'screen'];

/** The filter attributes of `entry_exit_visits_1d` (043) and their `visits` expressions (as `fields.ts` VISIT_COLUMN). */
const PAGE_FILTER_COLUMNS: Record<string, string> = {
  entry_page: 'v.entry_page',
  exit_page: 'v.exit_page',
};

/** The attributes `entry_exit_visits_1d` groups by: the channel only (the sources panel's first tab; 043 says why). */
const PAGE_TARGETS: readonly string[] = ['channel'];

interface Pair {
  filter: string;
  dimension: string;
  /** The `visits` expression of the filter attribute. */
  column: string;
  /** Which table holds the pair. */
  table: 'attributeVisits1d' | 'entryExitVisits1d';
}

/** The query's attribute dimension and its filters' one attribute, or null when neither table can answer them. */
function pairOf(input: StatementInput): Pair | null {
  const attributes = input.dimensions.filter((d) => !isTimeDimension(d));
  if (attributes.length !== 1 || input.filters.length === 0) return null;
  const dimension = attributes[0] as string;
  const used = [...new Set(filterDimensions(input.filters))];
  if (used.length !== 1) return null;
  const filter = used[0] as string;
  if (filter === dimension) return null;
  const attribute = FILTER_COLUMNS[filter];
  if (attribute !== undefined && TARGETS.includes(dimension)) return { filter, dimension, column: attribute, table: 'attributeVisits1d' };
  const page = PAGE_FILTER_COLUMNS[filter];
  if (page !== undefined && PAGE_TARGETS.includes(dimension)) return { filter, dimension, column: page, table: 'entryExitVisits1d' };
  return null;
}

/** The table the visit statement reads under `attributeVisitsEligible` (for `meta.tables`). */
export function attributeVisitsTable(input: StatementInput): string {
  const pair = pairOf(input);
  if (pair === null) throw new Error('attributeVisitsTable: not eligible');
  return input.tables[pair.table];
}

/**
 * Whether the visit statement can read `attribute_visits_1d` (or `entry_exit_visits_1d`): one
 * attribute dimension the table groups by and filters on one other attribute it holds (nothing
 * else), a whole UTC day in the range, and time buckets (if any) at UTC midnights.
 */
export function attributeVisitsEligible(input: StatementInput, buckets: readonly number[]): boolean {
  if (pairOf(input) === null) return false;
  const [d0, d1] = wholeUtcDays(input);
  if (d0 >= d1) return false;
  return !input.dimensions.some(isTimeDimension) || dayAligned(input, buckets);
}

export function attributeVisitsStatement(input: StatementInput): Statement {
  const params = new Params();
  const zone = params.add('String', input.zone);
  const sites = params.add('Array(String)', input.sites);
  const pair = pairOf(input) as Pair;
  const [d0, d1] = wholeUtcDays(input);
  const at = (ms: number) => params.add("DateTime64(3, 'UTC')", toClickHouseTime(ms));
  const filter = params.add('String', pair.filter);
  const dimension = params.add('String', pair.dimension);
  const [day0, day1] = [at(d0), at(d1)];
  // The filters read `r.value`: the filter attribute's value is named so where they run, the grouped
  // attribute's (`target`) a level above. Each rename is alone in its SELECT with no column of that
  // name beneath it: an alias is seen by the whole SELECT (`filter_value AS value, value AS target`
  // would make `target` the filter's value).
  const parts = [
    `SELECT site, bucket AS first_at, filter_value, value AS target, visits, bounces, duration, pageviews
     FROM ${input.tables[pair.table]}
     WHERE site IN ${sites} AND filter_dimension = ${filter} AND dimension = ${dimension} AND bucket >= ${day0} AND bucket < ${day1}`,
  ];
  if (input.from < d0 || d1 < input.to) {
    const [from, to] = [at(input.from), at(input.to)];
    parts.push(`SELECT v.site AS site, v.first_at AS first_at, ${pair.column} AS filter_value,
             ${FILTER_COLUMNS[pair.dimension]} AS target, ${signedVisitSums('v', ['visits', 'bounces', 'duration', 'pageviews'])}
      FROM ${input.tables.visits} AS v
      WHERE v.site IN ${sites} AND v.pageviews + v.events > 0
        AND ((v.first_at >= ${from} AND v.first_at < ${day0}) OR (v.first_at >= ${day1} AND v.first_at < ${to}))`);
  }
  const dims = input.dimensions.map(
    (d, i) => `${dimensionSql(d as Dimension, 'r', params, { interval: input.interval, zone }, input.pointers[i] ?? '')} AS d${i}`,
  );
  const sql = `
    SELECT ${[...dims, 'sum(r.visits) AS visits, sum(r.bounces) AS bounces, sum(r.duration) AS duration, sum(r.pageviews) AS visit_pageviews'].join(',\n  ')}
    FROM (
      SELECT site, first_at, target AS value, visits, bounces, duration, pageviews
      FROM (
        SELECT site, first_at, target, visits, bounces, duration, pageviews
        FROM (
          SELECT site, first_at, filter_value AS value, target, visits, bounces, duration, pageviews
          FROM (${parts.join('\n          UNION ALL\n          ')})
        ) AS r
        WHERE ${filterSql(input.filters, 'r', params)}
      )
    ) AS r
    GROUP BY ${input.dimensions.map((_, i) => `d${i}`).join(', ')}
    HAVING visits != 0`;
  return { sql, params: params.values, dims: input.dimensions.map((_, i) => `d${i}`) };
}

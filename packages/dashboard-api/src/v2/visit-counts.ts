/**
 * Event metrics under one visit-attribute filter (`channel is Organic Search`, `country is NL`: a
 * dashboard row click) from the day counts `visit_visitors_1d` (clickhouse/029): per site, UTC day,
 * visit attribute and value, the distinct visitors of the visits that start on the day, their
 * pageviews, custom events, engagements and time, and per path the distinct visitors. Visitor
 * ids rotate with the UTC day, so a range of whole UTC days has as visitors the sum of its days'
 * — of the site, of a day bucket, of a path (docs/query.md "Distinct visitors over many days").
 *
 * A day's counts are read while they are current: their `events` equal the day's in `events_1d`
 * (the ingester counts a day only while its visits hold exactly those events). The other days of
 * the range (not counted yet, or a late event since) are counted from their visits (`FINAL`), per
 * day, in the same statement, so a count never changes an answer, only its speed. The range's
 * partial UTC days at either end are read from raw events joined to their visits.
 */
import { toClickHouseTime } from '@tidemark/shared';
import { bucketSql, dimensionSql, filterDimensions, filterSql, Params } from './fields.ts';
import type { Filter } from './parse.ts';
import { dayAligned, daySplits, partialUtcDays, rawEventsSource, type Statement, type StatementInput, wholeUtcDays } from './statements.ts';
import { isTimeDimension, isVisitDimension, type Metric, VISIT_METRICS } from './vocabulary.ts';

/** Event metrics a count holds (by page: distinct visitors only). */
const COUNTED: readonly Metric[] = ['visitors', 'pageviews', 'events', 'time_on_page'];
const BY_PAGE: readonly Metric[] = ['visitors'];

/** The one `is` filter of one value on a visit attribute the counts answer, or null. */
export function countedFilter(filters: readonly Filter[]): { dimension: string; value: string } | null {
  if (filters.length !== 1) return null;
  const f = filters[0] as Filter;
  if (!('values' in f) || f.op !== 'is' || f.values.length !== 1 || !isVisitDimension(f.dimension)) return null;
  return { dimension: f.dimension, value: f.values[0] as string };
}

/**
 * Whether the event statement can read the visit counts: one `is` filter of one value on a visit
 * attribute and no other, a whole UTC day in the range (its partial days — a zone off UTC, a range
 * of instants — read from raw events), no dimension, a UTC-day-aligned time dimension, or `page`
 * for visitors, raw events kept over the whole range, and metrics a count holds.
 */
export function visitCountsEligible(input: StatementInput, buckets: readonly number[]): boolean {
  const { metrics } = input;
  if (metrics === undefined || input.rawOnly === true || input.conversions || input.converters === true) return false;
  if (countedFilter(input.filters) === null || !filterDimensions(input.filters).every(isVisitDimension)) return false;
  // A whole UTC day in the range: its partial days (a zone off UTC, a range of instants) are read raw.
  const [w0, w1] = wholeUtcDays(input);
  if (w0 >= w1) return false;
  if (input.rawFrom !== undefined && input.rawFrom > input.from) return false;
  const [d, ...more] = input.dimensions;
  if (more.length > 0) return false;
  const page = d === 'page';
  // Buckets that start inside UTC days (days in a zone off UTC): distinct visitors only, from the quarter-hour marks.
  const split = d !== undefined && isTimeDimension(d) && !dayAligned(input, buckets);
  if (split && quarterSplits(input, buckets) === null) return false;
  if (d !== undefined && !page && !isTimeDimension(d)) return false;
  const allowed = page || split ? BY_PAGE : COUNTED;
  return metrics.every((m) => VISIT_METRICS.includes(m) || allowed.includes(m));
}

/**
 * For each whole UTC day of the range, the quarter-hour where a time bucket starts inside it (0:
 * none), or null when a day holds two bucket starts or one off a quarter-hour (hours, minutes).
 */
function quarterSplits(input: StatementInput, buckets: readonly number[]): number[] | null {
  if (input.interval === 'minute' || input.interval === 'hour') return null;
  const [d0, d1] = wholeUtcDays(input);
  return daySplits(d0, d1, buckets);
}

export function visitCountsStatement(input: StatementInput, buckets: readonly number[] = []): Statement {
  const params = new Params(input.goals);
  const counted = countedFilter(input.filters) as { dimension: string; value: string };
  const zone = params.add('String', input.zone);
  const sites = params.add('Array(String)', input.sites);
  const [d0, d1] = wholeUtcDays(input);
  const from = params.add("DateTime('UTC')", toClickHouseTime(d0).slice(0, 19));
  const to = params.add("DateTime('UTC')", toClickHouseTime(d1).slice(0, 19));
  const dimension = params.add('String', counted.dimension);
  const value = params.add('String', counted.value);
  const filter = filterSql(input.filters, 'e', params);
  const d = input.dimensions[0];
  const page = d === 'page';
  const time = d !== undefined && isTimeDimension(d);
  const days = `site IN ${sites} AND bucket >= ${from} AND bucket < ${to}`;
  // The days' events in the day rollup: a count is current while its `events` equal them.
  const totals = `(SELECT site, bucket, sum(events) FROM ${input.tables.events1d} WHERE ${days} GROUP BY site, bucket)`;
  const current = `(SELECT site, bucket FROM ${input.tables.visitVisitors1d} WHERE ${days} AND dimension = '' AND held = events AND (site, bucket, events) IN ${totals})`;
  // Counted days: one row per day (a count repeated before a merge is the same row).
  const countRows = `
      SELECT site, bucket, any(visitors) AS n, any(pageviews) AS pv, any(customs) AS cu, any(engagements) AS en, any(engaged_ms) AS ms
             ${page ? ', any(paths) AS ps, any(path_visitors) AS pn' : ''}
      FROM ${input.tables.visitVisitors1d}
      WHERE ${days} AND dimension = ${dimension} AND value = ${value} AND (site, bucket, events) IN ${totals}
      GROUP BY site, bucket`;
  const splits = time && !dayAligned(input, buckets) ? quarterSplits(input, buckets) : null;
  if (splits) return splitStatement(input, splits);
  const counts = page
    ? `SELECT page AS d0, n_page AS n, 0 AS pv, 0 AS cu, 0 AS en, 0 AS ms FROM (${countRows}) ARRAY JOIN ps AS page, pn AS n_page`
    : `SELECT ${time ? `${bucketSql('bucket', input.interval, zone)} AS d0, ` : ''}n, pv, cu, en, ms FROM (${countRows})`;
  // The other days from their visits, each day's distinct visitors apart (then summed, as the counts are).
  const visits = `
      SELECT v.site AS site, toDateTime(toStartOfDay(v.first_at), 'UTC') AS day${page ? ', page' : ''},
             uniqIf(v.visitor_id, v.pageviews + v.events > 0) AS n, sum(toUInt64(v.pageviews)) AS pv, sum(toUInt64(v.events)) AS cu,
             sum(toUInt64(v.engagements)) AS en, sum(v.engaged_ms) AS ms
      FROM ${input.tables.visits} AS v FINAL
      ${page ? 'ARRAY JOIN arrayDistinct(v.pairs.path) AS page' : ''}
      WHERE v.site IN ${sites} AND v.first_at >= ${from} AND v.first_at < ${to} AND ${filter}
        AND (v.site, toDateTime(toStartOfDay(v.first_at), 'UTC')) NOT IN ${current}
      GROUP BY site, day${page ? ', page' : ''}`;
  const uncounted = page
    ? `SELECT toString(page) AS d0, n, 0 AS pv, 0 AS cu, 0 AS en, 0 AS ms FROM (${visits})`
    : `SELECT ${time ? `${bucketSql('day', input.interval, zone)} AS d0, ` : ''}n, pv, cu, en, ms FROM (${visits})`;
  // The partial UTC days at either end (each inside one UTC day: its distinct visitors add to the others') from raw events.
  const edges = partialUtcDays(input).map(([a, b]) => {
    const at = (ms: number) => params.add("DateTime64(3, 'UTC')", toClickHouseTime(ms));
    const { source, where } = rawEventsSource(input, params, sites, at(a), at(b));
    const key = page
      ? `${dimensionSql('page', 'e', params, null, '')} AS d0, `
      : time
        ? `${bucketSql('e.timestamp', input.interval, zone)} AS d0, `
        : '';
    return `
      SELECT ${key}uniqIf(e.visitor_id, e.name != 'engagement') AS n, countIf(e.name = 'pageview') AS pv,
             countIf(e.name NOT IN ('pageview', 'engagement')) AS cu, countIf(e.name = 'engagement') AS en,
             sumIf(toUInt64(e.duration_ms), e.name = 'engagement') AS ms
      FROM ${source}
      WHERE ${where.join(' AND ')}
      ${key ? 'GROUP BY d0' : ''}`;
  });
  const sql = `
    SELECT ${d === undefined ? '' : 'd0, '}sum(pv) AS pageviews, sum(cu) AS events, sum(n) AS visitors, ifNotFinite(sum(ms) / sum(en), 0) AS time_on_page,
           sum(en) AS engagements, 0 AS scroll_depth, 0 AS scrolls, 0 AS conversions, 0 AS converters
    FROM (${[counts, uncounted, ...edges].join('\n      UNION ALL\n      ')})
    ${d === undefined ? '' : 'GROUP BY d0'}`;
  return { sql, params: params.values, dims: d === undefined ? [] : ['d0'] };
}

/**
 * Distinct visitors by time buckets that start inside UTC days (a daily chart in a zone off UTC)
 * under the filter: a counted day in one bucket adds its count; a day cut by a bucket start at
 * quarter-hour q adds its part before q (`upto` at the last mark before q) to the bucket it starts
 * in, and its part from q (`since` at the first mark at or after q) to the bucket starting at q
 * (clickhouse/047). Visitor ids rotate with the UTC day, so a bucket's parts of two days add up.
 * The whole days not counted with their marks (not yet, or stale), and the partial UTC days at
 * either end, are read from raw events joined to their visits.
 */
function splitStatement(input: StatementInput, splits: readonly number[]): Statement {
  const params = new Params(input.goals);
  const counted = countedFilter(input.filters) as { dimension: string; value: string };
  const zone = params.add('String', input.zone);
  const sites = params.add('Array(String)', input.sites);
  const [d0, d1] = wholeUtcDays(input);
  const from = params.add("DateTime('UTC')", toClickHouseTime(d0).slice(0, 19));
  const to = params.add("DateTime('UTC')", toClickHouseTime(d1).slice(0, 19));
  const dimension = params.add('String', counted.dimension);
  const value = params.add('String', counted.value);
  const split = params.add('Array(UInt8)', splits);
  const at = (ms: number) => params.add("DateTime64(3, 'UTC')", toClickHouseTime(ms));
  const bucketOf = (t: string) => bucketSql(t, input.interval, zone);
  const days = `site IN ${sites} AND bucket >= ${from} AND bucket < ${to}`;
  const totals = `(SELECT site, bucket, sum(events) FROM ${input.tables.events1d} WHERE ${days} GROUP BY site, bucket)`;
  // Days counted with their marks, and current: their '' row holds the day's events of the day rollup.
  const current = `(SELECT site, bucket FROM ${input.tables.visitVisitors1d} WHERE ${days} AND dimension = '' AND held = events AND quartered = 1 AND (site, bucket, events) IN ${totals})`;
  const countRows = `
      SELECT site, bucket, any(visitors) AS n, any(quarters) AS qs, any(upto) AS us, any(since) AS ss
      FROM ${input.tables.visitVisitors1d}
      WHERE ${days} AND dimension = ${dimension} AND value = ${value} AND quartered = 1 AND (site, bucket, events) IN ${totals}
        AND (site, bucket) IN ${current}
      GROUP BY site, bucket`;
  const parts = `if(q = 0, [(bucket, n)],
        [(bucket, arrayLast((u, m) -> m < q, us, qs)), (bucket + toIntervalSecond(q * 900), arrayFirst((x, m) -> m >= q, ss, qs))])`;
  const counts = `
      SELECT ${bucketOf('tupleElement(part, 1)')} AS d0, tupleElement(part, 2) AS pn
      FROM (SELECT bucket, n, qs, us, ss, ${split}[intDiv(toUInt32(bucket) - toUInt32(${from}), 86400) + 1] AS q FROM (${countRows}))
      ARRAY JOIN ${parts} AS part`;
  // The whole days without a current count, and the partial UTC days at either end, from raw events.
  const uncounted = (time: string) => `(site, toDateTime(toStartOfDay(${time}), 'UTC')) NOT IN ${current}`;
  const raw = [
    rawEventsSource(input, params, sites, at(d0), at(d1), uncounted),
    ...partialUtcDays(input).map(([a, b]) => rawEventsSource(input, params, sites, at(a), at(b))),
  ].map(
    ({ source, where }) => `
      SELECT ${bucketOf('e.timestamp')} AS d0, uniqIf(e.visitor_id, e.name != 'engagement') AS pn
      FROM ${source}
      WHERE ${where.join(' AND ')}
      GROUP BY d0`,
  );
  const sql = `
    SELECT d0, 0 AS pageviews, 0 AS events, sum(pn) AS visitors, 0 AS time_on_page, 0 AS engagements, 0 AS scroll_depth, 0 AS scrolls,
           0 AS conversions, 0 AS converters
    FROM (${[counts, ...raw].join('\n      UNION ALL\n      ')})
    GROUP BY d0`;
  return { sql, params: params.values, dims: ['d0'] };
}

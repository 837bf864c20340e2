/**
 * Per-path months (`page_visitors_1mo`, clickhouse/025): a query of whole UTC days with `page`
 * (top pages over 12 months) reads each whole UTC month of its range from one row per path and
 * month instead of one per path and day, when the month's row is current — its `events` equal
 * the month's events in `events_1d` — and reads that month's days as before otherwise. Visitor
 * ids rotate with the UTC day, so a month's distinct visitors of a path are its days' sum and add
 * to the other days' exactly (docs/query.md, "Distinct visitors over many days").
 */
import type { Tables } from '../queries/tables.ts';

const DAY = 86_400_000;

/** The whole UTC months [m0, m1) inside the whole UTC days [d0, d1), or null when they hold none. */
export function wholeMonthsOf(d0: number, d1: number): { m0: number; m1: number } | null {
  const start = new Date(d0);
  const first = Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), 1);
  const m0 = first === d0 ? d0 : Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1);
  const end = new Date(d1);
  const m1 = Date.UTC(end.getUTCFullYear(), end.getUTCMonth(), 1);
  return m0 < m1 && m0 % DAY === 0 ? { m0, m1 } : null;
}

/**
 * SQL for the months [m0, m1) (bound as `from` / `to` parameters given by the caller): `outside`,
 * a (site, day) list (`dayListSql`) less the days of the months whose rows are current; and `rows`, the
 * current months' numbers folded per site and path into rows of the rollup statement's shape
 * (site, name, timestamp, path, c, u, d, n): a pageview row (pageviews and distinct visitors in
 * `n`), a custom-event row and an engagement row (count and time).
 */
export function pageMonthsSql(
  tables: Tables,
  sites: string,
  from: string,
  to: string,
  emptyUniq: string,
): { rows: string; outside: (dayList: string) => string } {
  const totals = `SELECT site, toDateTime(toStartOfMonth(bucket), 'UTC'), sum(events) FROM ${tables.events1d}
                  WHERE site IN ${sites} AND bucket >= ${from} AND bucket < ${to} GROUP BY site, toStartOfMonth(bucket)`;
  const inMonths = `site IN ${sites} AND bucket >= ${from} AND bucket < ${to} AND (site, bucket, events) IN (${totals})`;
  const current = `(SELECT DISTINCT site, bucket FROM ${tables.pageVisitors1mo} WHERE ${inMonths})`;
  const rows = `
      SELECT site, tupleElement(kind, 1) AS name, timestamp, path, tupleElement(kind, 2) AS c, ${emptyUniq} AS u,
             tupleElement(kind, 3) AS d, tupleElement(kind, 4) AS n
      FROM (
        SELECT site, min(bucket) AS timestamp, path, sum(visitors) AS v, sum(pageviews) AS p, sum(customs) AS cc,
               sum(engagements) AS g, sum(engaged_ms) AS m
        FROM (SELECT * FROM ${tables.pageVisitors1mo} WHERE ${inMonths} LIMIT 1 BY site, bucket, path)
        GROUP BY site, path)
      ARRAY JOIN [('pageview', p, toUInt64(0), v), ('custom', cc, toUInt64(0), toUInt64(0)), ('engagement', g, m, toUInt64(0))] AS kind`;
  // A list of (site, day) less the days of the current months: through the primary key, those days are not read at all.
  const outside = (dayList: string) =>
    `(SELECT site, bucket FROM ${dayList} WHERE bucket < ${from} OR bucket >= ${to} OR (site, toDateTime(toStartOfMonth(bucket), 'UTC')) NOT IN ${current})`;
  return { rows, outside };
}

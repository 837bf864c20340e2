/**
 * Per-path months (`page_visitors_1mo`, clickhouse/025): a query of whole UTC days by `page` and
 * no time dimension (top pages over 12 months) reads each whole UTC month of its range from one
 * row per path and month instead of one per path and day, when the month's rows are current —
 * their `events` equal the month's events, the sum of its days' that the query's check returned
 * (`counted.ts`) — and reads that month's days as before otherwise. Visitor ids rotate with the
 * UTC day, so a month's distinct visitors of a path are its days' sum and add to the other days'
 * exactly (docs/query.md, "Distinct visitors over many days").
 */
import type { Tables } from '../queries/tables.ts';
import type { CountedDay } from './counted.ts';
import type { Params } from './fields.ts';

/** The whole UTC months [m0, m1) inside the whole UTC days [d0, d1), or null when they hold none. */
export function wholeMonthsOf(d0: number, d1: number): { m0: number; m1: number } | null {
  const start = new Date(d0);
  const first = Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), 1);
  const m0 = first === d0 ? d0 : Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1);
  const end = new Date(d1);
  const m1 = Date.UTC(end.getUTCFullYear(), end.getUTCMonth(), 1);
  return m0 < m1 ? { m0, m1 } : null;
}

/** Each (site, month) of [m0, m1) with events, and its events: the sum of its days' in the query's check. */
export function monthTotals(days: readonly CountedDay[], m0: number, m1: number): { site: string; month: number; events: bigint }[] {
  const totals = new Map<string, { site: string; month: number; events: bigint }>();
  for (const d of days) {
    if (d.day < m0 || d.day >= m1) continue;
    const at = new Date(d.day);
    const month = Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), 1);
    const key = `${d.site}\n${month}`;
    const total = totals.get(key) ?? { site: d.site, month, events: 0n };
    total.events += BigInt(d.events);
    totals.set(key, total);
  }
  return [...totals.values()];
}

/**
 * SQL for the whole months [m0, m1) of a rollup statement, given the query's checked days:
 * `rows`, the current months' numbers folded per site and path into rows of the statement's
 * shape (site, name, timestamp, path, c, u, d, n) — a pageview row (pageviews, distinct visitors
 * in `n`), a custom-event row and an engagement row (count and time); and `outside`, a (site, day)
 * list (`dayListSql`) less the days of those months, so their day rows are not read at all (the
 * list bounds the primary key). Null when the months have no events.
 */
export function pageMonthsSql(
  params: Params,
  tables: Tables,
  sites: string,
  months: { m0: number; m1: number },
  days: readonly CountedDay[],
  emptyUniq: string,
): { rows: string; outside: (dayList: string) => string } | null {
  const totals = monthTotals(days, months.m0, months.m1);
  if (totals.length === 0) return null;
  const site = params.add(
    'Array(String)',
    totals.map((t) => t.site),
  );
  const month = params.add(
    'Array(UInt32)',
    totals.map((t) => t.month / 1000),
  );
  const events = params.add(
    'Array(UInt64)',
    totals.map((t) => t.events),
  );
  const current = `site IN ${sites} AND (site, bucket, events) IN (SELECT tupleElement(t, 1), toDateTime(tupleElement(t, 2), 'UTC'), tupleElement(t, 3)
                   FROM (SELECT arrayJoin(arrayZip(${site}, ${month}, ${events})) AS t))`;
  const rows = `
      SELECT site, tupleElement(kind, 1) AS name, timestamp, path, tupleElement(kind, 2) AS c, ${emptyUniq} AS u,
             tupleElement(kind, 3) AS d, tupleElement(kind, 4) AS n
      FROM (
        SELECT site, min(bucket) AS timestamp, path, sum(visitors) AS v, sum(pageviews) AS p, sum(customs) AS cc,
               sum(engagements) AS g, sum(engaged_ms) AS m
        FROM (SELECT * FROM ${tables.pageVisitors1mo} WHERE ${current} LIMIT 1 BY site, bucket, path)
        GROUP BY site, path)
      ARRAY JOIN [('pageview', p, toUInt64(0), v), ('custom', cc, toUInt64(0), toUInt64(0)), ('engagement', g, m, toUInt64(0))] AS kind`;
  const outside = (dayList: string) =>
    `(SELECT site, bucket FROM ${dayList} WHERE (site, toDateTime(toStartOfMonth(bucket), 'UTC')) NOT IN (SELECT DISTINCT site, bucket FROM ${tables.pageVisitors1mo} WHERE ${current}))`;
  return { rows, outside };
}

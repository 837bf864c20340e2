/**
 * Which whole UTC days have a current visitor count (`visitors_1d`, clickhouse/015 and 017):
 * checked once per query, by one statement over every period of it, instead of once or twice
 * inside every statement that reads counts. A count is current while its `events` equal the day's
 * events in `events_1d` (`pages_1d` holds the same totals, fed by the same inserts). The
 * statements then read each day from its count or from the day's states by these lists alone.
 */
import { toClickHouseTime } from '@tidemark/shared';
import type { Tables } from '../queries/tables.ts';
import { Params } from './fields.ts';
import type { Statement } from './statements.ts';

/** A UTC day of a site with events in the day rollup, and which of its counts are current. */
export interface CountedDay {
  site: string;
  /** The day's start (ms). */
  day: number;
  /** The whole site's count (dimension ''). */
  whole: boolean;
  /** The whole site's count with its quarter-hour splits (`before`, `after`) and their sums (`pageviews_before`, …). */
  split: boolean;
  /** The per-path count (dimension 'page'). */
  page: boolean;
  /**
   * When `whole`: the day's distinct visitors (its count) and sums (from the day rollup, read by
   * the check itself), so a whole-site statement takes a counted day from these numbers, bound as
   * parameters, instead of reading `visitors_1d` again.
   */
  sums?: DaySums;
}

/** A counted day's whole-site numbers: distinct visitors, pageviews, custom events, engagements and their time (ms). */
export interface DaySums {
  visitors: string;
  pageviews: string;
  customs: string;
  engagements: string;
  engagedMs: string;
}

const DAY = 86_400_000;

/** The days [d0, d1) of the sites with events, and their current counts (a row of the rollup's day sums and its matching counts). */
export function countedDaysStatement(tables: Tables, sites: string[], d0: number, d1: number): Statement {
  const params = new Params();
  const s = params.add('Array(String)', sites);
  const from = params.add("DateTime64(3, 'UTC')", toClickHouseTime(d0));
  const to = params.add("DateTime64(3, 'UTC')", toClickHouseTime(d1));
  const inDays = `site IN ${s} AND bucket >= ${from} AND bucket < ${to}`;
  const sql = `
    SELECT kr.site AS site, toUInt32(kr.bucket) AS day, maxIf(kc.ok, kc.dimension = '') AS whole,
           maxIf(kc.ok AND kc.split, kc.dimension = '') AS split, maxIf(kc.ok, kc.dimension = 'page') AS page,
           toString(maxIf(kc.visitors, kc.ok AND kc.dimension = '')) AS visitors, toString(any(kr.pv)) AS pageviews,
           toString(any(kr.cu)) AS customs, toString(any(kr.en)) AS engagements, toString(any(kr.ms)) AS engaged_ms
    FROM (
      SELECT site, bucket, sum(events) AS e, sumIf(events, name = 'pageview') AS pv, sumIf(events, name NOT IN ('pageview', 'engagement')) AS cu,
             sumIf(events, name = 'engagement') AS en, sumIf(duration_ms, name = 'engagement') AS ms
      FROM ${tables.events1d} WHERE ${inDays} GROUP BY site, bucket) AS kr
    LEFT JOIN (
      SELECT site, bucket, toString(dimension) AS dimension, events, after.size0 = 96 AND pageviews_before.size0 = 96 AS split,
             if(dimension = '', visitors[1], 0) AS visitors, toUInt8(1) AS ok
      FROM ${tables.visitors1d} WHERE ${inDays} AND dimension IN ('', 'page')
    ) AS kc ON kc.site = kr.site AND kc.bucket = kr.bucket AND kc.events = kr.e
    GROUP BY kr.site, kr.bucket`;
  return { sql, params: params.values, dims: [] };
}

export function countedDays(rows: Record<string, unknown>[]): CountedDay[] {
  return rows.map((r) => {
    const whole = Number(r.whole) === 1;
    const day: CountedDay = {
      site: String(r.site),
      day: Number(r.day) * 1000,
      whole,
      split: Number(r.split) === 1,
      page: Number(r.page) === 1,
    };
    // 64-bit sums as decimal strings (bound back as UInt64): never rounded by JavaScript.
    if (whole)
      day.sums = {
        visitors: String(r.visitors),
        pageviews: String(r.pageviews),
        customs: String(r.customs),
        engagements: String(r.engagements),
        engagedMs: String(r.engaged_ms),
      };
    return day;
  });
}

/**
 * Counted days as rows of the rollup statement's shape (site, name, timestamp, path, c, u, d, n),
 * from the numbers the check read: per day a pageview row (its sum and distinct visitors), a
 * custom-event row and an engagement row (its sum and time), each at the day's start. No table is
 * read. `emptyUniq` is the statement's empty `uniq` state (its visitors are in `n`).
 */
export function countedRowsSql(params: Params, days: readonly CountedDay[], emptyUniq: string): string {
  const column = (type: string, values: (string | number | bigint)[]) => params.add(`Array(${type})`, values);
  const sums = days.map((d) => d.sums ?? { visitors: '0', pageviews: '0', customs: '0', engagements: '0', engagedMs: '0' });
  const zipped = [
    column(
      'String',
      days.map((d) => d.site),
    ),
    column(
      'UInt32',
      days.map((d) => d.day / 1000),
    ),
    ...(['pageviews', 'visitors', 'customs', 'engagements', 'engagedMs'] as const).map((k) =>
      column(
        'UInt64',
        sums.map((s) => BigInt(s[k])),
      ),
    ),
  ];
  return `
      SELECT tupleElement(t, 1) AS site, tupleElement(kind, 1) AS name, toDateTime(tupleElement(t, 2), 'UTC') AS timestamp, '' AS path,
             tupleElement(kind, 2) AS c, ${emptyUniq} AS u, tupleElement(kind, 3) AS d, tupleElement(kind, 4) AS n
      FROM (SELECT arrayJoin(arrayZip(${zipped.join(', ')})) AS t)
      ARRAY JOIN [('pageview', tupleElement(t, 3), toUInt64(0), tupleElement(t, 4)), ('custom', tupleElement(t, 5), toUInt64(0), toUInt64(0)),
                  ('engagement', tupleElement(t, 6), tupleElement(t, 7), toUInt64(0))] AS kind`;
}

/** The whole UTC days [d0, d1) inside a span, or null when it holds none. */
export function wholeDaysOf(from: number, to: number): { d0: number; d1: number } | null {
  const d0 = Math.ceil(from / DAY) * DAY;
  const d1 = Math.floor(to / DAY) * DAY;
  return d0 < d1 ? { d0, d1 } : null;
}

/** A set of (site, day) for `(site, bucket) IN …`: the days bound as two parameters (never SQL text). */
export function dayListSql(params: Params, days: readonly CountedDay[]): string {
  const sites = params.add(
    'Array(String)',
    days.map((d) => d.site),
  );
  const starts = params.add(
    'Array(UInt32)',
    days.map((d) => d.day / 1000),
  );
  return `(SELECT tupleElement(t, 1), toDateTime(tupleElement(t, 2), 'UTC') FROM (SELECT arrayJoin(arrayZip(${sites}, ${starts})) AS t))`;
}

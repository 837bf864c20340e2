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
           maxIf(kc.ok AND kc.split, kc.dimension = '') AS split, maxIf(kc.ok, kc.dimension = 'page') AS page
    FROM (SELECT site, bucket, sum(events) AS e FROM ${tables.events1d} WHERE ${inDays} GROUP BY site, bucket) AS kr
    LEFT JOIN (
      SELECT site, bucket, toString(dimension) AS dimension, events, after.size0 = 96 AND pageviews_before.size0 = 96 AS split,
             toUInt8(1) AS ok
      FROM ${tables.visitors1d} WHERE ${inDays} AND dimension IN ('', 'page')
    ) AS kc ON kc.site = kr.site AND kc.bucket = kr.bucket AND kc.events = kr.e
    GROUP BY kr.site, kr.bucket`;
  return { sql, params: params.values, dims: [] };
}

export function countedDays(rows: Record<string, unknown>[]): CountedDay[] {
  return rows.map((r) => ({
    site: String(r.site),
    day: Number(r.day) * 1000,
    whole: Number(r.whole) === 1,
    split: Number(r.split) === 1,
    page: Number(r.page) === 1,
  }));
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

/**
 * Which whole UTC days have a current visitor count (`visitors_1d`, clickhouse/015 and 017):
 * checked once per query, by one statement over every period of it, instead of once or twice
 * inside every statement that reads counts. A count is current while its `events` equal the day's
 * events in `events_1d` (`pages_1d` holds the same totals, fed by the same inserts), read from the
 * day's `site_days` row (clickhouse/021: the same sums, one small row a day, a few parts a year). The
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
  /** The day's events (every name) in the day rollup, as a decimal string: a month's total is its days' sum (`months.ts`). */
  events: string;
  /**
   * When the whole site's count is current (with its splits, when the check reads them: every row
   * counted since migration 017): the day's distinct visitors and sums, read by the check itself
   * (visitors from the count — `site_days.counted`, or the row's `after[1]` — sums from the day's
   * `site_days` row), so a whole-site statement takes the day from these numbers, bound as
   * parameters, instead of reading `visitors_1d` again.
   */
  sums?: DaySums;
  /** With `sums`, when the check was given the query's split of this day (q > 0): the part before it (its visitors and sums) and the visitors from it. */
  split_at?: { q: number; before: DaySums; afterVisitors: string };
}

/** Whole-site numbers of a day or part of one: distinct visitors, pageviews, custom events, engagements and their time (ms), as decimal strings. */
export interface DaySums {
  visitors: string;
  pageviews: string;
  customs: string;
  engagements: string;
  engagedMs: string;
}

const DAY = 86_400_000;

/**
 * The days [d0, d1) of the sites with events, and their current counts (a row of the rollup's day
 * sums and its matching counts). `splits` (per day of [d0, d1), `daySplits`): the quarter-hour
 * where a time bucket starts inside the day, whose part sums the check then returns too.
 * The count's columns it reads exist on whole-site rows only (`after`, `before`, `*_before`):
 * per-path rows' big arrays share their granules and are never read here.
 */
export function countedDaysStatement(
  tables: Tables,
  sites: string[],
  d0: number,
  d1: number,
  splits?: readonly number[] | null,
): Statement {
  const params = new Params();
  const s = params.add('Array(String)', sites);
  const from = params.add("DateTime64(3, 'UTC')", toClickHouseTime(d0));
  const to = params.add("DateTime64(3, 'UTC')", toClickHouseTime(d1));
  const inDays = `site IN ${s} AND bucket >= ${from} AND bucket < ${to}`;
  if (!splits) {
    // No split asked (a query of UTC days, or without time): the whole site's count, current or
    // not, is the day's own `site_days` row (`counted`, its events and visitors); the per-path
    // count's events alone from `visitors_1d` (never its arrays). One small table and one column:
    // this statement's analysis costs more than its reads. `summed`: the day's sums are the
    // count's (its visitors current), as `split` says when splits are read.
    const sql = `
    SELECT site, toUInt32(day) AS day, toUInt8(tupleElement(c, 1) = e) AS whole, toUInt8(0) AS split, whole AS summed,
           toUInt8((site, day, e) IN (SELECT site, bucket, events FROM ${tables.visitors1d} WHERE ${inDays} AND dimension = 'page')) AS page,
           toString(tupleElement(c, 2)) AS visitors, toString(pv) AS pageviews, toString(cu) AS customs, toString(en) AS engagements,
           toString(ms) AS engaged_ms, toUInt8(0) AS q
    FROM (SELECT site, day, sum(events) AS e, sum(pageviews) AS pv, sum(customs) AS cu, sum(engagements) AS en, sum(engaged_ms) AS ms,
                 max(counted) AS c
          FROM ${tables.siteDays} WHERE site IN ${s} AND day >= ${from} AND day < ${to} GROUP BY site, day)`;
    return { sql, params: params.values, dims: [] };
  }
  const q = splits ? `${params.add('Array(UInt8)', splits)}[intDiv(toUInt32(bucket) - toUInt32(${from}), 86400) + 1]` : 'toUInt8(0)';
  // The parts' columns are read only when a split is asked for (each column read costs, per part of the table).
  const parts = splits
    ? 'before[q + 1] AS vb, after[q + 1] AS va, pageviews_before[q + 1] AS pb, customs_before[q + 1] AS cb, engagements_before[q + 1] AS eb, engaged_ms_before[q + 1] AS mb'
    : ['vb', 'va', 'pb', 'cb', 'eb', 'mb'].map((c) => `toUInt64(0) AS ${c}`).join(', ');
  const at = (column: string) => `toString(maxIf(kc.${column}, kc.ok AND kc.dimension = ''))`;
  const sql = `
    SELECT kr.site AS site, toUInt32(kr.bucket) AS day, maxIf(kc.ok, kc.dimension = '') AS whole,
           maxIf(kc.ok AND kc.split, kc.dimension = '') AS split, maxIf(kc.ok, kc.dimension = 'page') AS page,
           ${at('visitors')} AS visitors, toString(any(kr.pv)) AS pageviews, toString(any(kr.cu)) AS customs,
           toString(any(kr.en)) AS engagements, toString(any(kr.ms)) AS engaged_ms, any(kc.q) AS q,
           ${at('vb')} AS visitors_before, ${at('va')} AS visitors_after, ${at('pb')} AS pageviews_before, ${at('cb')} AS customs_before,
           ${at('eb')} AS engagements_before, ${at('mb')} AS engaged_ms_before
    FROM (
      SELECT site, day AS bucket, sum(events) AS e, sum(pageviews) AS pv, sum(customs) AS cu, sum(engagements) AS en, sum(engaged_ms) AS ms
      FROM ${tables.siteDays} WHERE site IN ${s} AND day >= ${from} AND day < ${to} GROUP BY site, day) AS kr
    LEFT JOIN (
      SELECT site, bucket, toString(dimension) AS dimension, events, after.size0 = 96 AND pageviews_before.size0 = 96 AS split,
             toUInt8(1) AS ok, ${q} AS q, after[1] AS visitors, ${parts}
      FROM ${tables.visitors1d} WHERE ${inDays} AND dimension IN ('', 'page')
    ) AS kc ON kc.site = kr.site AND kc.bucket = kr.bucket AND kc.events = kr.e
    GROUP BY kr.site, kr.bucket`;
  return { sql, params: params.values, dims: [] };
}

/** The check's row's numbers whose columns end in `suffix` ('' for the whole day, '_before' for the part before its split). */
function sumsOf(r: Record<string, unknown>, suffix: string): DaySums {
  return {
    visitors: String(r[`visitors${suffix}`]),
    pageviews: String(r[`pageviews${suffix}`]),
    customs: String(r[`customs${suffix}`]),
    engagements: String(r[`engagements${suffix}`]),
    engagedMs: String(r[`engaged_ms${suffix}`]),
  };
}

export function countedDays(rows: Record<string, unknown>[]): CountedDay[] {
  return rows.map((r) => {
    const split = Number(r.split) === 1;
    const summed = Number(r.summed ?? r.split) === 1;
    const day: CountedDay = {
      site: String(r.site),
      day: Number(r.day) * 1000,
      whole: Number(r.whole) === 1,
      split,
      page: Number(r.page) === 1,
      // Pageviews, custom events and engagements are every event of the day.
      events: String(BigInt(String(r.pageviews)) + BigInt(String(r.customs)) + BigInt(String(r.engagements))),
    };
    // 64-bit numbers as decimal strings (bound back as UInt64): never rounded by JavaScript.
    if (summed) day.sums = sumsOf(r, '');
    if (split) {
      if (Number(r.q) > 0)
        day.split_at = {
          q: Number(r.q),
          before: sumsOf(r, '_before'),
          afterVisitors: String(r.visitors_after),
        };
    }
    return day;
  });
}

/** A counted part of a day: its site, start (ms) and numbers. */
export interface CountedPart {
  site: string;
  at: number;
  sums: DaySums;
}

/**
 * The parts of counted days a whole-site statement needs, from the check's numbers alone: the
 * whole day (`splits` none or 0 for it), or its two parts either side of its split q, each dated
 * where it starts (the part from q: the day's sums less the part before). Null when a day lacks
 * them (a count without splits, or a check that was given another split): the statement then
 * reads the day's row.
 */
export function countedParts(days: readonly CountedDay[], d0: number, splits: readonly number[] | null): CountedPart[] | null {
  const parts: CountedPart[] = [];
  for (const c of days) {
    const q = splits?.[(c.day - d0) / DAY] ?? 0;
    if (c.sums === undefined) return null;
    if (q === 0) {
      parts.push({ site: c.site, at: c.day, sums: c.sums });
      continue;
    }
    if (c.split_at?.q !== q) return null;
    const { before, afterVisitors } = c.split_at;
    const less = (k: keyof DaySums) => String(BigInt(c.sums?.[k] ?? '0') - BigInt(before[k]));
    parts.push({ site: c.site, at: c.day, sums: before });
    parts.push({
      site: c.site,
      at: c.day + q * 900_000,
      sums: {
        visitors: afterVisitors,
        pageviews: less('pageviews'),
        customs: less('customs'),
        engagements: less('engagements'),
        engagedMs: less('engagedMs'),
      },
    });
  }
  return parts;
}

/**
 * Counted parts folded into one per site, dated at its first (no time dimension: a site's
 * distinct visitors over many UTC days are their days' sum, ids rotating with the day), so a
 * statement binds a few numbers instead of a year of them.
 */
export function partsPerSite(parts: readonly CountedPart[]): CountedPart[] {
  const out = new Map<string, CountedPart>();
  for (const p of parts) {
    const at = out.get(p.site);
    if (at === undefined) {
      out.set(p.site, { ...p, sums: { ...p.sums } });
      continue;
    }
    at.at = Math.min(at.at, p.at);
    for (const k of Object.keys(at.sums) as (keyof DaySums)[]) at.sums[k] = String(BigInt(at.sums[k]) + BigInt(p.sums[k]));
  }
  return [...out.values()];
}

/**
 * Counted parts as rows of the rollup statement's shape (site, name, timestamp, path, c, u, d, n):
 * per part a pageview row (its sum and distinct visitors), a custom-event row and an engagement
 * row (its sum and time), each at the part's start. No table is read. `emptyUniq` is the
 * statement's empty `uniq` state (the visitors are in `n`).
 */
export function countedRowsSql(params: Params, parts: readonly CountedPart[], emptyUniq: string): string {
  const column = (type: string, values: (string | number | bigint)[]) => params.add(`Array(${type})`, values);
  const zipped = [
    column(
      'String',
      parts.map((p) => p.site),
    ),
    column(
      'UInt32',
      parts.map((p) => p.at / 1000),
    ),
    ...(['pageviews', 'visitors', 'customs', 'engagements', 'engagedMs'] as const).map((k) =>
      column(
        'UInt64',
        parts.map((p) => BigInt(p.sums[k])),
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
export function dayListSql(params: Params, days: readonly Pick<CountedDay, 'site' | 'day'>[]): string {
  const sites = params.add(
    'Array(String)',
    days.map((d) => d.site),
  );
  const starts = params.add(
    'Array(UInt32)',
    days.map((d) => d.day / 1000),
  );
  return `(SELECT tupleElement(t, 1) AS site, toDateTime(tupleElement(t, 2), 'UTC') AS bucket FROM (SELECT arrayJoin(arrayZip(${sites}, ${starts})) AS t))`;
}

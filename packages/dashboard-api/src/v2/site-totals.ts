/**
 * The whole site's totals of a query without dimensions or filters — the dashboard's top numbers
 * and their comparison — for both periods of the query in ONE statement, with no count check
 * before it: each whole UTC day is one row of `site_days` (clickhouse/021_site_days.sql) holding
 * the day's event sums, visit sums and its newest visitor count, used while the count's events
 * equal the row's; the partial days' whole quarter-hours come from `events_15m` / `visits_15m`,
 * and the range's partial quarter-hours from raw events and `visits` (sign-weighted), as in
 * `statements.ts`. A day whose count is missing or stale (a late event since it was counted) is
 * returned by the statement, and only then a second statement merges those days' `uniq` states.
 * Visitor ids rotate with the UTC day, so each day's visitors add to the other parts' exactly
 * (docs/query.md, "Distinct visitors over many days").
 *
 * The statement's parts give rows, not groups (each part grouped on its own cost more than the
 * reads), tagged with their period by one comparison: the periods must not overlap.
 */
import { toClickHouseTime } from '@tidemark/shared';
import type { Tables } from '../queries/tables.ts';
import { dayListSql } from './counted.ts';
import type { Span } from './dates.ts';
import { bucketSql, Params } from './fields.ts';
import { type Raw, zeroRaw } from './numbers.ts';
import type { Query } from './parse.ts';
import { type Statement, signedVisitSums } from './statements.ts';
import { type Interval, isTimeDimension, type Metric, VISIT_METRICS } from './vocabulary.ts';

const QUARTER = 900_000;
const DAY = 86_400_000;

/** Metrics that are sums over the parts of a range (or ratios of such sums). */
const SUMMED: readonly Metric[] = [
  'visitors',
  'visits',
  'pageviews',
  'events',
  'views_per_visit',
  'bounce_rate',
  'visit_duration',
  'time_on_page',
  'percentage',
];

/** A period cut into its parts: raw edges [from, q0) and [q1, to), quarter-hours [q0, d0) and [d1, q1), whole UTC days [d0, d1). */
interface Parts {
  from: number;
  q0: number;
  d0: number;
  d1: number;
  q1: number;
  to: number;
}

function partsOf(span: Span): Parts | null {
  const q0 = Math.ceil(span.from / QUARTER) * QUARTER;
  const q1 = Math.floor(span.to / QUARTER) * QUARTER;
  const d0 = Math.ceil(q0 / DAY) * DAY;
  const d1 = Math.floor(q1 / DAY) * DAY;
  return d0 < d1 ? { from: span.from, q0, d0, d1, q1, to: span.to } : null;
}

/**
 * Whether `siteTotalsStatement` answers the query: no dimension, no filter, native data only, the
 * metrics above (no conversions, no scroll depth), a whole UTC day in every period, and periods
 * that do not overlap (a compared custom range may).
 */
export function siteTotalsEligible(query: Query, spans: readonly Span[]): boolean {
  if (query.dimensions.length > 0 || query.filters.length > 0 || query.include.imports) return false;
  if (!query.metrics.every((m) => SUMMED.includes(m))) return false;
  const [current, other] = spans;
  if (current && other && other.from < current.to && current.from < other.to) return false;
  return spans.every((s) => partsOf(s) !== null);
}

/**
 * How `siteTotalsStatement` answers a whole-site time series by bucket, or null when it does not:
 * one time dimension (day, week or month), and otherwise what `siteTotalsEligible` asks. Buckets
 * that all start at UTC midnights hold whole UTC days; buckets starting inside UTC days (daily in
 * Asia/Kolkata) need each whole UTC day to hold at most one start, on a quarter-hour (its split),
 * and the periods' partial days none (their visitors could not be told apart). Visitor ids
 * rotate with the UTC day, so the totals are the rows' sums less the cut days' visitors seen on
 * both sides of their cut.
 */
export function siteSeriesPlan(
  query: Query,
  spans: readonly Span[],
  interval: Interval,
  bucketStarts: readonly (readonly number[])[],
): SeriesTime | null {
  const [only, ...more] = query.dimensions;
  if (only === undefined || more.length > 0 || !isTimeDimension(only)) return null;
  if (interval === 'minute' || interval === 'hour' || !siteTotalsEligible({ ...query, dimensions: [] }, spans)) return null;
  const time = { interval, zone: query.timezone };
  if (bucketStarts.every((starts) => starts.every((t) => t % DAY === 0))) return time;
  const parts = spans.map((span) => partsOf(span) as Parts);
  for (const [i, p] of parts.entries())
    if ((bucketStarts[i] ?? []).some((t) => (t > p.from && t < p.d0) || (t > p.d1 && t < p.to))) return null;
  const d0 = Math.min(...parts.map((p) => p.d0));
  const d1 = Math.max(...parts.map((p) => p.d1));
  const q = new Array<number>((d1 - d0) / DAY).fill(0);
  for (const t of bucketStarts.flat()) {
    if (t <= d0 || t >= d1 || t % DAY === 0) continue;
    const day = Math.floor((t - d0) / DAY);
    if (t % QUARTER !== 0 || (q[day] !== 0 && q[day] !== (t % DAY) / QUARTER)) return null;
    q[day] = (t % DAY) / QUARTER;
  }
  return { ...time, splits: { d0, q } };
}

/** The statement and the tables it reads (`meta.tables`). */
export interface SiteTotals extends Statement {
  tables: string[];
}

/**
 * A series' buckets: their interval and zone, and when some start inside UTC days (daily in
 * Asia/Kolkata), each whole UTC day's split — the quarter-hour of the day where a bucket starts,
 * 0 for none — for the days [d0, d0 + q.length · DAY).
 */
export interface SeriesTime {
  interval: Interval;
  zone: string;
  splits?: { d0: number; q: readonly number[] } | null;
}

/** A (site, UTC day) whose visitor count is missing or stale: its visitors come from its states. */
export interface StaleDay {
  site: string;
  day: number;
}

/**
 * One statement: a row per period (`p`: 0 the query's range, 1 the compared one) with its sums,
 * its distinct visitors but those of stale days, and the stale days (`stale`: [site, day s]).
 */
export function siteTotalsStatement(
  tables: Tables,
  sites: readonly string[],
  spans: readonly Span[],
  metrics: readonly Metric[],
  time?: SeriesTime,
): SiteTotals {
  const params = new Params();
  const s = params.add('Array(String)', sites);
  // A series: each row read is dated in its bucket (`b`, Unix seconds of the bucket's start); totals: 0.
  const zone = time ? params.add('String', time.zone) : '';
  const bucket = (column: string) => (time ? bucketSql(column, time.interval, zone) : 'toUInt32(0)');
  const at = (ms: number) => params.add("DateTime64(3, 'UTC')", toClickHouseTime(ms));
  const parts = spans.map((span) => partsOf(span) as Parts);
  const [from, to] = [at(spans[0]?.from ?? 0), at(spans[0]?.to ?? 0)];
  // Every row read is in one period's intervals, and the periods do not overlap: 0 inside the query's range, else 1.
  const period = (column: string) => `toUInt8(NOT (${column} >= ${from} AND ${column} < ${to}))`;
  // The periods' non-empty intervals of a part, or null when it has none (the part is not read).
  const within = (column: string, intervals: (p: Parts) => [number, number][]) => {
    const held = parts.flatMap(intervals).filter(([a, b]) => a < b);
    return held.length === 0 ? null : held.map(([a, b]) => `(${column} >= ${at(a)} AND ${column} < ${at(b)})`).join(' OR ');
  };
  const quarters = (column: string) =>
    within(column, (p) => [
      [p.q0, p.d0],
      [p.d1, p.q1],
    ]);
  const edges = (column: string) =>
    within(column, (p) => [
      [p.from, p.q0],
      [p.q1, p.to],
    ]);
  const read = new Set<string>([tables.siteDays]);
  const unions: string[] = [];
  const part = (table: string, where: string | null, sql: (where: string) => string) => {
    if (where === null) return;
    read.add(table);
    unions.push(sql(where));
  };
  const EMPTY = "arrayReduce('uniqState', emptyArrayUInt64())";
  // Not `site`/`day`: an alias would shadow the table's column in the part's WHERE.
  const noDay = "'' AS ss, toDateTime(0, 'UTC') AS sd, toUInt8(0) AS stale, toInt64(0) AS o";
  const noEvents = `toUInt64(0) AS pv, toUInt64(0) AS cu, toUInt64(0) AS en, toUInt64(0) AS ms, toUInt64(0) AS n, ${EMPTY} AS u, toUInt8(0) AS k`;
  const noVisits = 'toInt64(0) AS vi, toInt64(0) AS bo, toInt64(0) AS du, toInt64(0) AS vp';
  const wholeDays = within('day', (p) => [[p.d0, p.d1]]);
  const daySums = `sum(events) AS events, sum(pageviews) AS pageviews, sum(customs) AS customs, sum(engagements) AS engagements,
                  sum(engaged_ms) AS engaged_ms, sum(visits) AS visits, sum(bounces) AS bounces, sum(duration) AS duration,
                  sum(visit_pageviews) AS visit_pageviews, max(counted) AS counted`;
  const splits = time?.splits;
  if (!splits) {
    // Whole days: one row each (its unmerged rows summed), its count's visitors while the count is current.
    part(
      tables.siteDays,
      wholeDays,
      (
        where,
      ) => `SELECT ${period('day')} AS p, ${bucket('day')} AS b, site AS ss, day AS sd, toUInt8(tupleElement(counted, 1) != events) AS stale,
            toInt64(0) AS o, pageviews AS pv, customs AS cu, engagements AS en, engaged_ms AS ms, if(stale, 0, tupleElement(counted, 2)) AS n,
            ${EMPTY} AS u, toUInt8(0) AS k, visits AS vi, bounces AS bo, duration AS du, visit_pageviews AS vp
     FROM (SELECT site, day, ${daySums} FROM ${tables.siteDays} WHERE site IN ${s} AND (${where}) GROUP BY site, day)`,
    );
  } else {
    // Whole days cut by a bucket start at quarter-hour q (0: none): the part before q and the part
    // from it, each dated where it starts — sums from the day's quarter-hour sums, distinct visitors
    // from its count's splits (before[q + 1], after[q + 1]) while they are current; the part from q
    // also carries `o`, the day's visitors seen on both sides (before + after − the whole day's),
    // which the totals take back. A day without a cut is one row, as above.
    const q = `${params.add('Array(UInt8)', splits.q)}[intDiv(toUInt32(day) - ${params.add('UInt32', splits.d0 / 1000)}, 86400) + 1]`;
    // The event sums before q are the count's (its split sums, while it is current: a stale day's
    // come from its quarter-hours, with its visitors, in a second statement); the visit sums before
    // q are each stored row's first `arrayCount(k < q)` quarter-hours (a `sumMap` keeps its keys
    // sorted), summed per day (no map merged). Only the sums the metrics use are cut: the
    // statement's analysis costs more than its reads.
    const used = (...names: Metric[]) => metrics.some((m) => names.includes(m));
    const events = [
      { name: 'pv', whole: 'pageviews', at: 4, on: used('pageviews') },
      { name: 'cu', whole: 'customs', at: 5, on: used('events') },
      { name: 'en', whole: 'engagements', at: 6, on: used('time_on_page') },
      { name: 'ms', whole: 'engaged_ms', at: 7, on: used('time_on_page') },
    ];
    const visits = [
      { name: 'vi', whole: 'visits', at: 2, on: used(...VISIT_METRICS) },
      { name: 'bo', whole: 'bounces', at: 3, on: used('bounce_rate') },
      { name: 'du', whole: 'duration', at: 4, on: used('visit_duration') },
      { name: 'vp', whole: 'visit_pageviews', at: 5, on: used('views_per_visit') },
    ];
    const eventSum = (c: (typeof events)[number]) =>
      c.on
        ? `multiIf(stale, toUInt64(0), half = 2, ${c.whole}, half = 0, ${c.name}_s, toUInt64(${c.whole} - ${c.name}_s)) AS ${c.name}`
        : `toUInt64(0) AS ${c.name}`;
    const visitSum = (c: (typeof visits)[number]) =>
      c.on
        ? `multiIf(half = 2, ${c.whole}, half = 0, ${c.name}_b, toInt64(${c.whole} - ${c.name}_b)) AS ${c.name}`
        : `toInt64(0) AS ${c.name}`;
    const cutVisits = visits.filter((c) => c.on);
    const cutEvents = events.filter((c) => c.on);
    // Per stored row, the numbers at q only (a max of the whole tuple would copy its arrays row by
    // row): the count's events, visitors before and from q and of the whole day, its sums before q.
    const befores = [
      ...(cutVisits.length > 0 ? ['arrayCount(kk -> kk < q, tupleElement(visit_quarters, 1)) AS vq_n'] : []),
      ...cutVisits.map((c) => `arraySum(arraySlice(tupleElement(visit_quarters, ${c.at}), 1, vq_n)) AS ${c.name}_b`),
      'tupleElement(splits, 1) AS r_se',
      'toUInt8(length(tupleElement(splits, 3)) = 96 AND length(tupleElement(splits, 4)) = 96) AS r_s96',
      'tupleElement(splits, 2)[q + 1] AS r_sb',
      'tupleElement(splits, 3)[q + 1] AS r_sa',
      'tupleElement(splits, 3)[1] AS r_s1',
      ...cutEvents.map((c) => `tupleElement(splits, ${c.at})[q + 1] AS r_${c.name}_s`),
    ];
    const newest = ['s96', 'sb', 'sa', 's1', ...cutEvents.map((c) => `${c.name}_s`)].map((c) => `argMax(r_${c}, r_se) AS ${c}`);
    part(
      tables.siteDays,
      wholeDays,
      (where) => `SELECT ${period('t')} AS p, ${bucket('t')} AS b, site AS ss, day AS sd, stale,
            if(half = 1 AND NOT stale, toInt64(sb) + toInt64(sa) - toInt64(s1), toInt64(0)) AS o,
            ${events.map(eventSum).join(', ')},
            if(stale, toUInt64(0), multiIf(half = 2, tupleElement(counted, 2), half = 0, sb, sa)) AS n, ${EMPTY} AS u, toUInt8(0) AS k,
            ${visits.map(visitSum).join(', ')}
     FROM (
       SELECT *, half, if(half = 1, day + toIntervalSecond(q * 900), day) AS t,
              toUInt8(if(half = 2, tupleElement(counted, 1) != events, se != events OR s96 = 0)) AS stale
       FROM (SELECT site, day, q, ${daySums}, max(r_se) AS se, ${newest.join(', ')}${cutVisits.map((c) => `, sum(${c.name}_b) AS ${c.name}_b`).join('')}
             FROM (SELECT *, ${[`${q} AS q`, ...befores].join(', ')} FROM ${tables.siteDays} WHERE site IN ${s} AND (${where}))
             GROUP BY site, day, q)
       ARRAY JOIN if(q = 0, [toUInt8(2)], [toUInt8(0), toUInt8(1)]) AS half)`,
    );
  }
  if (metrics.some((m) => !VISIT_METRICS.includes(m))) {
    // The partial days' whole quarter-hours: a row per (quarter-hour, name), its state merged when it counts as a visitor's.
    part(
      tables.events15m,
      quarters('bucket'),
      (
        where,
      ) => `SELECT ${period('bucket')} AS p, ${bucket('bucket')} AS b, ${noDay}, if(name = 'pageview', events, 0) AS pv, if(name NOT IN ('pageview', 'engagement'), events, 0) AS cu,
              if(name = 'engagement', events, 0) AS en, if(name = 'engagement', duration_ms, 0) AS ms, toUInt64(0) AS n,
              visitors AS u, toUInt8(name != 'engagement') AS k, ${noVisits}
       FROM ${tables.events15m} WHERE site IN ${s} AND (${where})`,
    );
    // The range's partial quarter-hours: raw events, one row per event id.
    part(
      tables.events,
      edges('timestamp'),
      (where) => `SELECT p, b, ${noDay}, countIf(name = 'pageview') AS pv, countIf(name NOT IN ('pageview', 'engagement')) AS cu,
              countIf(name = 'engagement') AS en, sumIf(toUInt64(duration_ms), name = 'engagement') AS ms, toUInt64(0) AS n,
              uniqStateIf(visitor_id, name != 'engagement') AS u, toUInt8(1) AS k, ${noVisits}
       FROM (SELECT ${period('timestamp')} AS p, ${bucket('timestamp')} AS b, name, visitor_id, duration_ms FROM ${tables.events}
             WHERE site IN ${s} AND (${where}) LIMIT 1 BY event_id)
       GROUP BY p, b`,
    );
  }
  if (metrics.some((m) => VISIT_METRICS.includes(m))) {
    part(
      tables.visits15m,
      quarters('bucket'),
      (
        where,
      ) => `SELECT ${period('bucket')} AS p, ${bucket('bucket')} AS b, ${noDay}, ${noEvents}, visits AS vi, bounces AS bo, duration AS du, pageviews AS vp
       FROM ${tables.visits15m} WHERE site IN ${s} AND dimension = '' AND (${where})`,
    );
    part(
      tables.visits,
      edges('first_at'),
      (
        where,
      ) => `SELECT ${period('first_at')} AS p, ${bucket('first_at')} AS b, ${noDay}, ${noEvents}, ${signedVisitSums('', ['vi', 'bo', 'du', 'vp'])}
       FROM ${tables.visits} WHERE site IN ${s} AND pageviews + events > 0 AND (${where})`,
    );
  }
  const sql = `
    SELECT p, b, sum(o) AS overlap, sum(pv) AS pageviews, sum(cu) AS events, sum(en) AS engagements, sum(ms) AS engaged_ms, sum(n) + uniqMergeIf(u, k = 1) AS visitors,
           sum(vi) AS visits, sum(bo) AS bounces, sum(du) AS duration, sum(vp) AS visit_pageviews,
           groupArrayIf((toString(ss), toUInt32(sd)), stale = 1) AS stale
    FROM (
      ${unions.join('\n      UNION ALL\n      ')}
    )
    GROUP BY p, b`;
  return { sql, params: params.values, dims: [], tables: [...read] };
}

/** The distinct visitors of stale days per period (and bucket, for a series), from the day rollup's states (`p`, `b` as above). */
export function staleVisitorsStatement(
  tables: Tables,
  spans: readonly Span[],
  stale: readonly StaleDay[],
  time?: { interval: Interval; zone: string },
): Statement {
  const params = new Params();
  const [current] = spans as [Span];
  const [from, to] = [current.from, current.to].map((ms) => params.add("DateTime64(3, 'UTC')", toClickHouseTime(ms)));
  const sites = params.add('Array(String)', [...new Set(stale.map((d) => d.site))]);
  const b = time ? bucketSql('bucket', time.interval, params.add('String', time.zone)) : 'toUInt32(0)';
  const sql = `
    SELECT toUInt8(NOT (bucket >= ${from} AND bucket < ${to})) AS p, ${b} AS b, uniqMergeIf(visitors, name != 'engagement') AS visitors
    FROM ${tables.events1d} WHERE site IN ${sites} AND (site, bucket) IN ${dayListSql(params, stale)}
    GROUP BY p, b`;
  return { sql, params: params.values, dims: [] };
}

/**
 * The distinct visitors and event sums of stale days in a series with splits, from their
 * quarter-hours: per period and bucket the parts' (`w` 0: visitors from their states, and the
 * sums), and per period the whole days' visitors (`w` 1), so the visitors seen on both sides of a
 * cut are the difference of their sums.
 */
export function staleSplitVisitorsStatement(
  tables: Tables,
  spans: readonly Span[],
  stale: readonly StaleDay[],
  time: SeriesTime,
): Statement {
  const params = new Params();
  const [current] = spans as [Span];
  const [from, to] = [current.from, current.to].map((ms) => params.add("DateTime64(3, 'UTC')", toClickHouseTime(ms)));
  const sites = params.add('Array(String)', [...new Set(stale.map((d) => d.site))]);
  const first = Math.min(...stale.map((d) => d.day));
  const last = Math.max(...stale.map((d) => d.day)) + DAY;
  const [d0, d1] = [first, last].map((ms) => params.add("DateTime64(3, 'UTC')", toClickHouseTime(ms)));
  const b = bucketSql('bucket', time.interval, params.add('String', time.zone));
  const rows = `SELECT site, toStartOfDay(bucket) AS dd, toUInt8(NOT (bucket >= ${from} AND bucket < ${to})) AS p, ${b} AS b, name, events, duration_ms, visitors
    FROM ${tables.events15m} WHERE site IN ${sites} AND bucket >= ${d0} AND bucket < ${d1} AND (site, toStartOfDay(bucket)) IN ${dayListSql(params, stale)}`;
  const sums = `sumIf(events, name = 'pageview') AS pv, sumIf(events, name NOT IN ('pageview', 'engagement')) AS cu,
                sumIf(events, name = 'engagement') AS en, sumIf(duration_ms, name = 'engagement') AS ms`;
  const none = 'toUInt64(0) AS pv, toUInt64(0) AS cu, toUInt64(0) AS en, toUInt64(0) AS ms';
  const sql = `
    SELECT p, b, w, sum(v) AS visitors, sum(pv) AS pageviews, sum(cu) AS events, sum(en) AS engagements, sum(ms) AS engaged_ms FROM (
      SELECT p, b, toUInt8(0) AS w, uniqMergeIf(visitors, name != 'engagement') AS v, ${sums} FROM (${rows}) GROUP BY p, b, site, dd
      UNION ALL
      SELECT p, toUInt32(0) AS b, toUInt8(1) AS w, uniqMergeIf(visitors, name != 'engagement') AS v, ${none} FROM (${rows}) GROUP BY p, site, dd)
    GROUP BY p, b, w`;
  return { sql, params: params.values, dims: [] };
}

/** The stale days of the statement's rows (each once: a cut day's two parts both name it). */
export function staleDaysOf(rows: Record<string, unknown>[]): StaleDay[] {
  const days = new Map<string, StaleDay>();
  for (const r of rows)
    for (const [site, day] of r.stale as [string, number][]) days.set(`${site}\n${day}`, { site, day: Number(day) * 1000 });
  return [...days.values()];
}

/** A period's or bucket's sums as the statement returns them (engagements and their time kept apart: a mean is finished last). */
interface Sums {
  raw: Raw;
  engagements: number;
  engagedMs: number;
}

function sumsOf(r: Record<string, unknown> | undefined, staleVisitors: number): Sums {
  const n = (k: string) => Number(r?.[k] ?? 0);
  const engagements = n('engagements');
  return {
    raw: {
      ...zeroRaw(),
      pageviews: n('pageviews'),
      events: n('events'),
      visitors: n('visitors') + staleVisitors,
      timeOnPage: engagements === 0 ? 0 : n('engaged_ms') / engagements,
      visits: n('visits'),
      bounces: n('bounces'),
      duration: n('duration'),
      visitPageviews: n('visit_pageviews'),
    },
    engagements,
    engagedMs: n('engaged_ms'),
  };
}

/** Each period's numbers from the statement's rows and the stale days' visitors (a period nothing counted in has none: zeros). */
export function siteTotalsOf(rows: Record<string, unknown>[], staleRows: Record<string, unknown>[], periods: number): Raw[] {
  return Array.from({ length: periods }, (_, i) => {
    const r = rows.find((row) => Number(row.p) === i);
    return sumsOf(r, Number(staleRows.find((row) => Number(row.p) === i)?.visitors ?? 0)).raw;
  });
}

/**
 * Each period's buckets (start, Unix seconds) and numbers, and its totals — the buckets' sums
 * (each UTC day lies in one bucket, and visitor ids rotate with the UTC day), time on page the
 * mean of all engagements.
 */
export function siteSeriesOf(
  rows: Record<string, unknown>[],
  staleRows: Record<string, unknown>[],
  periods: number,
): { buckets: { b: number; raw: Raw }[]; totals: Raw }[] {
  // Stale days' visitors per bucket (`w` 0 or none), with splits their event sums too (the main
  // statement's are 0 for them) and the whole days' visitors (`w` 1): the parts' sum less these is
  // counted twice.
  const twice = new Array<number>(periods).fill(0);
  const byBucket = new Map<string, Record<string, unknown>>();
  for (const r of rows) byBucket.set(`${Number(r.p)} ${Number(r.b)}`, { ...r });
  for (const r of staleRows) {
    const [p, v] = [Number(r.p), Number(r.visitors)];
    if (r.w !== undefined) twice[p] = (twice[p] ?? 0) + (Number(r.w) === 1 ? -v : v);
    if (Number(r.w ?? 0) !== 0) continue;
    const key = `${p} ${Number(r.b)}`;
    const into = byBucket.get(key) ?? { p, b: r.b };
    for (const k of ['visitors', 'pageviews', 'events', 'engagements', 'engaged_ms']) into[k] = Number(into[k] ?? 0) + Number(r[k] ?? 0);
    byBucket.set(key, into);
  }
  const merged = [...byBucket.values()];
  return Array.from({ length: periods }, (_, i) => {
    const mine = merged.filter((r) => Number(r.p) === i).map((r) => ({ b: Number(r.b), ...sumsOf(r, 0) }));
    const totals = zeroRaw();
    let engagements = 0;
    let engagedMs = 0;
    for (const m of mine) {
      for (const k of ['pageviews', 'events', 'visitors', 'visits', 'bounces', 'duration', 'visitPageviews'] as const)
        totals[k] += m.raw[k];
      engagements += m.engagements;
      engagedMs += m.engagedMs;
    }
    totals.timeOnPage = engagements === 0 ? 0 : engagedMs / engagements;
    // Visitors of a UTC day cut by a bucket start are in both buckets: counted once in the totals.
    totals.visitors -= rows.filter((r) => Number(r.p) === i).reduce((n, r) => n + Number(r.overlap ?? 0), 0) + (twice[i] ?? 0);
    return { buckets: mine.map((m) => ({ b: m.b, raw: m.raw })), totals };
  });
}

/**
 * The two statements a query is answered with, grouped by the query's dimensions:
 * - events: the range's events (raw `events`, one row per event id) that pass the filters,
 *   joined to their visit (the visit of the same visitor whose span holds the event) when a
 *   visit dimension or filter is used — pageviews, events, visitors, time on page, conversions;
 * - visits: the visits (`visits`, each row weighted by its sign: `VISIT_METRICS_SQL`) that start
 *   in the range and have a pageview or custom event that passes the filters — visits, bounces,
 *   durations, pageviews per visit; or, when the query uses at most one visit dimension and no
 *   event dimension, the same sums from the visit rollups (`visits_1d`, `visits_15m`) for the
 *   whole quarter-hours of the range and from `visits` for its partial edges.
 */
import { globToRegExp, toClickHouseTime } from '@tidemark/shared';
import type { Tables } from '../queries/tables.ts';
import { type CountedDay, countedParts, countedRowsSql, dayListSql, partsPerSite } from './counted.ts';
import {
  byLevel,
  dimensionSql,
  fewEvents,
  filterDimensions,
  filterSql,
  goalsOf,
  goalsPassable,
  Params,
  VISIT_ATTRIBUTE_COLUMNS,
} from './fields.ts';
import { filtersSkipPropGoals, type Goal, hasPathGoals, hasPropGoals, type SiteGoals, withoutPropGoals } from './goals.ts';
import type { ImportedDays } from './imported.ts';
import { pageMonthsSql, wholeMonthsOf } from './months.ts';
import type { Filter } from './parse.ts';
import type { MarkedDay } from './visit-counts.ts';
import { type Dimension, type Interval, isEventDimension, isTimeDimension, isVisitDimension, type Metric } from './vocabulary.ts';

export interface Statement {
  sql: string;
  params: Record<string, unknown>;
  /** Result column names of the dimensions, in order. */
  dims: string[];
  /**
   * The statement's own rows among those its text returns, when the text answers more than this
   * statement (`sharedVisitsSql`: one scan shared by the queries of a dashboard view); absent: all.
   */
  pick?: (rows: Record<string, unknown>[]) => Record<string, unknown>[];
}

export interface StatementInput {
  tables: Tables;
  sites: string[];
  from: number;
  to: number;
  zone: string;
  interval: Interval;
  dimensions: Dimension[];
  /** Pointers of the dimensions (for errors). */
  pointers: string[];
  filters: Filter[];
  /** The goals of the sites (configured, or implicit: every custom event name). */
  goals: SiteGoals;
  /** Whether `conversions` / `converters` are wanted (they evaluate every goal of every event). */
  conversions: boolean;
  /** The whole days imported rows may fill (`"include": { "imports": true }`); absent: native data only. */
  imported?: ImportedDays | null;
  /** The query's metrics (absent: any); `visit-events.ts` counts events from visits only for some. */
  metrics?: readonly Metric[];
  /** A metric the rollups do not hold (scroll_depth): the event statement reads raw events only. */
  rawOnly?: boolean;
  /** The query needs distinct converters (conversion_rate): they are merged from states, never counted. */
  converters?: boolean;
  /** Where raw events start (RETENTION_DAYS before now): the event statement reads raw events, and their visits, from there. */
  rawFrom?: number;
  /** The days whose per-attribute counts hold current quarter-hour marks, checked by the engine (`visit-counts.ts`); absent: none read. */
  marked?: MarkedDay[];
  /** The days whose visitor counts are current, checked once per query (`counted.ts`); absent: no counts are read. */
  counted?: CountedDay[];
  /**
   * Which of a count's sums the query's metrics use besides pageviews and visitors: custom events
   * (`events`), engagements and their time (`time_on_page`); absent: all. Per-path counts skip
   * reading the others (their `events` / `time_on_page` columns are then 0 and unused).
   */
  sumsUsed?: { customs: boolean; engagements: boolean };
}

/** The `events` columns a statement over raw events reads. */
export const EVENT_COLUMNS =
  'site, name, timestamp, visitor_id, path, duration_ms, scroll_depth, props, referrer_source, referrer_host, country, device, browser, os, utm_source, utm_medium, utm_campaign';

/** Conversions: the selected events that complete a goal, and the visitors who did. */
function conversionsSql(input: StatementInput, params: Params, rollup: boolean): string {
  if (!input.conversions) return '0 AS conversions, 0 AS converters';
  const done = `notEmpty(${goalsOf('e', params, '/metrics')})`;
  return rollup
    ? `sumIf(e.c, ${done}) AS conversions, uniqMergeIf(e.u, ${done}) AS converters`
    : `countIf(${done}) AS conversions, uniqIf(e.visitor_id, ${done}) AS converters`;
}

const EVENT_METRICS_SQL = `countIf(e.name = 'pageview') AS pageviews,
  countIf(e.name NOT IN ('pageview', 'engagement')) AS events,
  uniqIf(e.visitor_id, e.name != 'engagement') AS visitors,
  ifNotFinite(avgIf(e.duration_ms, e.name = 'engagement'), 0) AS time_on_page,
  countIf(e.name = 'engagement') AS engagements,
  ifNotFinite(avgIf(e.scroll_depth, e.name = 'engagement' AND e.scroll_depth > 0), 0) AS scroll_depth,
  countIf(e.name = 'engagement' AND e.scroll_depth > 0) AS scrolls`;

/**
 * Visit metrics of `visits` rows read without FINAL: each row weighted by its `sign`. A rewritten
 * visit's cancel repeats its old row with `sign = -1` (docs/storage.md "Visits"), so the pair adds
 * nothing whatever a row's condition or group, and the sums equal those of `visits` FINAL, which
 * must read and merge every column of the range (the pairs too): 3.3 s against 0.4 s for a month of
 * 10M events. A group whose rows all cancel sums to no visit (`HAVING visits != 0`).
 */
export const VISIT_METRICS_SQL = `sum(v.sign) AS visits,
  sumIf(v.sign, v.pageviews = 1 AND v.events = 0) AS bounces,
  sum(v.sign * (toUnixTimestamp64Milli(v.last_at) - toUnixTimestamp64Milli(v.first_at))) AS duration,
  sum(v.sign * v.pageviews) AS visit_pageviews`;

/**
 * One `visits` row's sums as columns named `names` (visits, bounces, duration, pageviews), each
 * weighted by the row's sign like `VISIT_METRICS_SQL`, so rows read without FINAL add up to the
 * visits' own sums. `v` is the row's alias ('' for none).
 */
export function signedVisitSums(v: string, names: readonly [string, string, string, string]): string {
  const c = (column: string) => (v === '' ? column : `${v}.${column}`);
  return [
    `toInt64(${c('sign')}) AS ${names[0]}`,
    `${c('sign')} * toInt64(${c('pageviews')} = 1 AND ${c('events')} = 0) AS ${names[1]}`,
    `${c('sign')} * (toUnixTimestamp64Milli(${c('last_at')}) - toUnixTimestamp64Milli(${c('first_at')})) AS ${names[2]}`,
    `${c('sign')} * toInt64(${c('pageviews')}) AS ${names[3]}`,
  ].join(', ');
}

function groupBy(dims: string[]): string {
  return dims.length === 0 ? '' : `GROUP BY ${dims.join(', ')}`;
}

export function eventStatement(input: StatementInput): Statement {
  const params = new Params(input.goals);
  const zone = params.add('String', input.zone);
  const sites = params.add('Array(String)', input.sites);
  // Nothing older than the raw events' retention is read, nor the visits that ended before it:
  // a 12-month breakdown by a visit attribute joins 90 days of events to 90 days of visits.
  const from = params.add("DateTime64(3, 'UTC')", toClickHouseTime(Math.min(input.to, Math.max(input.from, input.rawFrom ?? input.from))));
  const to = params.add("DateTime64(3, 'UTC')", toClickHouseTime(input.to));
  const dims = input.dimensions.map(
    (d, i) => `${dimensionSql(d, 'e', params, { interval: input.interval, zone }, input.pointers[i] ?? '')} AS d${i}`,
  );
  const { source, where } = rawEventsSource(input, params, sites, from, to);
  if (input.dimensions.includes('event')) where.push("e.name != 'engagement'");
  const sql = `
    SELECT ${[...dims, EVENT_METRICS_SQL, conversionsSql(input, params, false)].join(',\n  ')}
    FROM ${source}
    WHERE ${where.join(' AND ')}
    ${groupBy(input.dimensions.map((_, i) => `d${i}`))}`;
  return { sql, params: params.values, dims: input.dimensions.map((_, i) => `d${i}`) };
}

/**
 * The raw events of the sites in [from, to) (bound parameters), each id once, as `e`, joined to
 * their visits (`v`, FINAL) when a dimension or filter is a visit attribute; and the conditions
 * selecting the query's events (its filters; an event inside its visit's span). The filters of the
 * event alone are applied as the events are read (`byLevel`), the others after the join.
 */
export function rawEventsSource(
  input: StatementInput,
  params: Params,
  sites: string,
  from: string,
  to: string,
  visitorsOf?: string,
  wanted?: { events: string; visits: string },
): { source: string; where: string[] } {
  const joinVisits = [...input.dimensions, ...filterDimensions(input.filters)].some(isVisitDimension);
  // Event conditions before one row per event id (few rows to dedup under a property filter), the others after.
  const levels = byLevel(input.filters);
  const inRange = `site IN ${sites} AND timestamp >= ${from} AND timestamp < ${to}`;
  // `visitorsOf` (a condition few events pass): only the events, and visits, of the visitors with such an event in the range.
  const only =
    visitorsOf === undefined
      ? ''
      : ` AND (site, visitor_id) IN (SELECT site, visitor_id FROM ${input.tables.events} AS e WHERE ${inRange} AND ${visitorsOf})`;
  // `wanted`: only the events of a condition on their own columns are wanted (read so), and only the
  // visits of another (one every visit holding such an event passes: `events > 0` for custom events).
  const read =
    (levels.event.length === 0 ? '' : ` AND ${filterSql(levels.event, 'e', params)}`) + only + (wanted ? ` AND ${wanted.events}` : '');
  const where = [filterSql(levels.rest, 'e', params)];
  // Under event filters few events pass, only the visits of their visitors are read for the join.
  const few =
    (fewEvents(levels.event)
      ? ` AND (site, visitor_id) IN (SELECT site, visitor_id FROM ${input.tables.events} AS e WHERE ${inRange}${read})`
      : only) + (wanted ? ` AND ${wanted.visits}` : '');
  // No visit crosses a UTC midnight (visitor ids rotate with the event's UTC day: docs/query.md), so a
  // visit holding an event of [from, to) starts on from's UTC day or later: the sort key bounds the
  // visits read on both sides (`last_at` alone prunes nothing under FINAL: every visit before `to` was read).
  const join = joinVisits
    ? `INNER JOIN (SELECT ${VISIT_ATTRIBUTE_COLUMNS} FROM ${input.tables.visits} FINAL WHERE site IN ${sites} AND first_at >= toStartOfDay(${from}) AND first_at < ${to} AND last_at >= ${from}${few}) AS v
       ON e.site = v.site AND e.visitor_id = v.visitor_id`
    : '';
  if (joinVisits) where.push('e.timestamp >= v.first_at AND e.timestamp <= v.last_at');
  const source = `(
      SELECT ${EVENT_COLUMNS} FROM ${input.tables.events} AS e
      WHERE ${inRange}${read}
      LIMIT 1 BY event_id
    ) AS e
    ${join}`;
  return { source, where };
}

const QUARTER = 900_000;
const DAY = 86_400_000;

/** The range's whole UTC days [d0, d1) (d0 ≥ d1: none). */
export function wholeUtcDays(input: Pick<StatementInput, 'from' | 'to'>): [number, number] {
  return [Math.ceil(input.from / DAY) * DAY, Math.floor(input.to / DAY) * DAY];
}

/** The range's partial UTC days at either end (a zone off UTC, a range of instants), each inside one UTC day: [from, to) spans. */
export function partialUtcDays(input: Pick<StatementInput, 'from' | 'to'>): [number, number][] {
  const [d0, d1] = wholeUtcDays(input);
  const spans: [number, number][] = [
    [input.from, d0],
    [d1, input.to],
  ];
  return spans.filter(([a, b]) => a < b);
}

/** True when every time bucket of the query starts at a UTC midnight (none, or UTC days, weeks, months). */
export function dayAligned(input: StatementInput, bucketStarts: readonly number[]): boolean {
  if (!input.dimensions.some(isTimeDimension)) return true;
  return input.interval !== 'minute' && input.interval !== 'hour' && bucketStarts.every((t) => t % DAY === 0);
}

/**
 * Whether the event statement can read the quarter-hour rollups: event dimensions and filters
 * only (page, event, goal; no visit attribute, no prop), and time buckets (if any) that start on
 * quarter-hours — true of hours, days, weeks and months in every zone in use, not of minutes.
 */
export function rollupEligible(input: StatementInput, bucketStarts: readonly number[]): boolean {
  if (input.rawOnly === true) return false;
  const used = [...input.dimensions, ...filterDimensions(input.filters)];
  if (!used.every((d) => d === 'page' || d === 'event' || d === 'goal' || isTimeDimension(d))) return false;
  if ((used.includes('goal') || input.conversions) && hasPropGoals(input.goals)) return false;
  if (input.dimensions.some(isTimeDimension) && (input.interval === 'minute' || bucketStarts.some((t) => t % QUARTER !== 0))) return false;
  return Math.ceil(input.from / QUARTER) * QUARTER < Math.floor(input.to / QUARTER) * QUARTER;
}

/** Whether the rollup rows need their paths: a page is used, or a pageview goal is evaluated. */
export function needsPages(input: StatementInput): boolean {
  const used = [...input.dimensions, ...filterDimensions(input.filters)];
  return used.includes('page') || ((used.includes('goal') || input.conversions) && hasPathGoals(input.goals));
}

/**
 * Whether whole UTC days may take their distinct visitors from the visitor counts
 * (`visitors_1d`) instead of merging the day rollup's states: no filter (a count is of all the
 * site's, or one path's, pageviews and custom events), no dimension but `page` and time, and no
 * conversion_rate (its converters are merged from states) nor conversions.
 */
export function countsEligible(input: StatementInput): boolean {
  // Conversions evaluate goals per row (path goals read per-page rows, whose counts do not add up to the site's).
  if (input.converters === true || input.conversions) return false;
  return input.filters.length === 0 && input.dimensions.every((d) => d === 'page' || isTimeDimension(d));
}

const EMPTY_UNIQ = "arrayReduce('uniqState', emptyArrayUInt64())";

/**
 * For each UTC day [d0 + i·DAY, …) of [d0, d1): the quarter-hour of the day where a time bucket
 * starts (0: none inside, the day is in one bucket), or null when a day holds more than one
 * bucket start or one off a quarter-hour (hours): the day's parts then have no count.
 */
export function daySplits(d0: number, d1: number, bucketStarts: readonly number[]): number[] | null {
  const splits = new Array<number>((d1 - d0) / DAY).fill(0);
  for (const t of bucketStarts) {
    if (t <= d0 || t >= d1 || t % DAY === 0) continue;
    const i = Math.floor((t - d0) / DAY);
    if (t % QUARTER !== 0 || splits[i] !== 0) return null;
    splits[i] = (t % DAY) / QUARTER;
  }
  return splits;
}

/**
 * The event statement over the quarter-hour rollups: the whole quarter-hours of the range from
 * `pages_15m` (or `events_15m` when no page is involved), the partial edges from raw events,
 * states merged (visitors stay distinct across both). Whole UTC days come from the day rollups
 * when every boundary is a UTC midnight; their distinct visitors, when the query allows
 * (`countsEligible`), from `visitors_1d` for every (day, key) whose count is current — its
 * `events` equal the rollup's — and from the day rollup's states for the others. Visitor ids
 * rotate with the UTC day, so no id is in two days and a day's count adds to the rest exactly
 * (docs/query.md, "Distinct visitors over many days").
 */
export function rollupStatement(input: StatementInput, bucketStarts: readonly number[] = []): Statement {
  const params = new Params(input.goals, false);
  const zone = params.add('String', input.zone);
  const sites = params.add('Array(String)', input.sites);
  const q0 = Math.ceil(input.from / QUARTER) * QUARTER;
  const q1 = Math.floor(input.to / QUARTER) * QUARTER;
  const at = (ms: number) => params.add("DateTime64(3, 'UTC')", toClickHouseTime(ms));
  const [from, whole0, whole1, to] = [at(input.from), at(q0), at(q1), at(input.to)];
  const pages = needsPages(input);
  const table = pages ? input.tables.pages15m : input.tables.events15m;
  // Whole UTC days from the day rollup, when every boundary of the query is a UTC midnight.
  const [d0, d1] = [Math.ceil(q0 / DAY) * DAY, Math.floor(q1 / DAY) * DAY];
  const days = d0 < d1 && dayAligned(input, bucketStarts);
  // Counts are read only for the days the query's check found current (`counted.ts`).
  const counting = countsEligible(input) && input.counted !== undefined;
  // Buckets off UTC midnights (days in Asia/Kolkata): whole UTC days may still sum their two parts' counts.
  const splits = !days && d0 < d1 && !pages && counting ? daySplits(d0, d1, bucketStarts) : null;
  const [day0, day1] = days || splits ? [at(d0), at(d1)] : [whole0, whole0];
  const dayTable = pages ? input.tables.pages1d : input.tables.events1d;
  const path = pages ? 'path' : "'' AS path";
  const columns = `site, toString(name) AS name, bucket AS timestamp, ${path}, events AS c, visitors AS u, duration_ms AS d, toUInt64(0) AS n`;
  const inDays = `site IN ${sites} AND bucket >= ${day0} AND bucket < ${day1}`;
  const within = (input.counted ?? []).filter((c) => c.day >= d0 && c.day < d1);
  const isCounted = (c: CountedDay) => (splits ? c.split : pages ? c.page : c.whole);
  const counted = counting ? within.filter(isCounted) : [];
  const others = counting ? within.filter((c) => !isCounted(c)) : [];
  const dimension = params.add('String', pages ? 'page' : '');
  // A counted day's row: the newest count of the day (a newer one is of more events, counted later: exact too).
  // Days of whole months read from their month rows are left out of the day lists (`months.ts`).
  let dayList = (days: readonly CountedDay[]) => dayListSql(params, days);
  const countRows = (cols: string, extra = '') =>
    `SELECT ${cols} FROM ${input.tables.visitors1d} WHERE ${inDays} AND dimension = ${dimension}${extra} AND (site, bucket) IN ${dayList(counted)}
     ORDER BY site, bucket, events DESC LIMIT 1 BY site, bucket`;
  const dayParts: string[] = [];
  if (days && !counting) dayParts.push(`SELECT ${columns} FROM ${dayTable} WHERE ${inDays}`);
  if (days && counting) {
    // Without a time dimension, a counted value's days fold into one row first.
    const byDay = input.dimensions.some(isTimeDimension);
    // Per path without a time dimension, whole UTC months whose month rows are current are read
    // from them (`months.ts`), and their days are not read.
    const months = pages && !byDay ? wholeMonthsOf(d0, d1) : null;
    const monthly = months ? pageMonthsSql(params, input.tables, sites, months, within, EMPTY_UNIQ) : null;
    if (monthly) {
      dayParts.push(monthly.rows);
      dayList = (days) => monthly.outside(dayListSql(params, days));
    }
    // The other days read the day rollup, sums and states, through its primary key; a counted
    // day is read from its row alone: visitors and sums, per value.
    if (others.length > 0) dayParts.push(`SELECT ${columns} FROM ${dayTable} WHERE ${inDays} AND (site, bucket) IN ${dayList(others)}`);
    const [bucketOut, bucketKey] = byDay ? ['bucket', 'bucket, '] : ['min(bucket)', ''];
    // The whole site's counted days: their numbers came with the check, bound here (no table read).
    const constant = counted.length > 0 && !pages ? countedParts(counted, d0, null) : null;
    // Without a time dimension, one row per site (a year's days summed) instead of one per day.
    if (constant) dayParts.push(countedRowsSql(params, byDay ? constant : partsPerSite(constant), EMPTY_UNIQ));
    else if (counted.length > 0) {
      // Only the arrays the query's metrics use are read: a row's per-path arrays are most of what it costs.
      const used = input.sumsUsed ?? { customs: true, engagements: true };
      const arrays = [
        ['values', 'value'],
        ['visitors', 'vi'],
        ['pageviews', 'pv'],
        ...(used.customs ? [['customs', 'cu']] : []),
        ...(used.engagements
          ? [
              ['engagements', 'en'],
              ['engaged_ms', 'ms'],
            ]
          : []),
      ];
      const sumOf = (alias: string, on: boolean) => (on ? `sum(${alias})` : 'toUInt64(0)');
      dayParts.push(`
      SELECT site, tupleElement(kind, 1) AS name, timestamp, path, tupleElement(kind, 2) AS c, ${EMPTY_UNIQ} AS u,
             tupleElement(kind, 3) AS d, tupleElement(kind, 4) AS n
      FROM (
        SELECT site, ${bucketOut} AS timestamp, value AS path, sum(vi) AS v, sum(pv) AS p, ${sumOf('cu', used.customs)} AS cc,
               ${sumOf('en', used.engagements)} AS g, ${sumOf('ms', used.engagements)} AS m
        FROM (${countRows(`site, bucket, ${arrays.map(([column]) => column).join(', ')}`)})
        ARRAY JOIN ${arrays.map(([column, alias]) => `${column} AS ${alias}`).join(', ')}
        GROUP BY site, ${bucketKey}value)
      ARRAY JOIN [('pageview', p, toUInt64(0), v), ('custom', cc, toUInt64(0), toUInt64(0)), ('engagement', g, m, toUInt64(0))] AS kind`);
    }
  }
  if (splits) {
    // The days not counted: their quarter-hours (sums and states). A counted day is read from its
    // row alone: the part before its split and the part from it (the whole day when it has none),
    // distinct visitors and sums, each dated inside the bucket it falls in.
    const split = params.add('Array(UInt8)', splits);
    const sp = (day: string) => `${split}[intDiv(toUInt32(${day}) - toUInt32(${day0}), 86400) + 1]`;
    if (others.length > 0)
      dayParts.push(`SELECT ${columns} FROM ${table} WHERE ${inDays} AND (site, toStartOfDay(bucket)) IN ${dayListSql(params, others)}`);
    // The check's numbers of each counted day's parts, when it was given this split (no table read).
    const constant = counted.length > 0 ? countedParts(counted, d0, splits) : null;
    if (constant) dayParts.push(countedRowsSql(params, constant, EMPTY_UNIQ));
    else if (counted.length > 0) {
      const parts = `if(q = 0, [(bucket, after[1], pageviews[1], customs[1], engagements[1], engaged_ms[1])],
        [(bucket, before[q + 1], pageviews_before[q + 1], customs_before[q + 1], engagements_before[q + 1], engaged_ms_before[q + 1]),
         (bucket + toIntervalSecond(q * 900), after[q + 1], ${['pageviews', 'customs', 'engagements', 'engaged_ms'].map((x) => `toUInt64(${x}[1] - ${x}_before[q + 1])`).join(', ')})])`;
      dayParts.push(`
      SELECT site, tupleElement(kind, 1) AS name, tupleElement(part, 1) AS timestamp, '' AS path, toUInt64(tupleElement(kind, 2)) AS c,
             ${EMPTY_UNIQ} AS u, toUInt64(tupleElement(kind, 3)) AS d, toUInt64(tupleElement(kind, 4)) AS n
      FROM (SELECT *, ${sp('bucket')} AS q FROM (${countRows('site, bucket, before, after, pageviews, customs, engagements, engaged_ms, pageviews_before, customs_before, engagements_before, engaged_ms_before', ' AND after.size0 = 96 AND pageviews_before.size0 = 96')}))
      ARRAY JOIN ${parts} AS part
      ARRAY JOIN [('pageview', tupleElement(part, 3), toUInt64(0), tupleElement(part, 2)), ('custom', tupleElement(part, 4), toUInt64(0), toUInt64(0)),
                  ('engagement', tupleElement(part, 5), tupleElement(part, 6), toUInt64(0))] AS kind`);
    }
  }
  // Under a filter, the top numbers, the chart by day and the pages panel: one text (`sharedRollupKeys`).
  const shared = pages && !counting && !splits && input.filters.length > 0 && !input.conversions ? sharedRollupKeys(input, days) : null;
  const dims = shared
    ? shared.keys.map((d, i) => `${dimensionSql(d, 'e', params, { interval: 'day', zone }, input.pointers[0] ?? '')} AS k${i}`)
    : input.dimensions.map(
        (d, i) => `${dimensionSql(d, 'e', params, { interval: input.interval, zone }, input.pointers[i] ?? '')} AS d${i}`,
      );
  const where = [filterSql(input.filters, 'e', params)];
  if (input.dimensions.includes('event')) where.push("e.name != 'engagement'");
  const names = shared ? shared.keys.map((_, i) => `k${i}`) : [];
  const sql = `
    SELECT ${[...(shared ? [`grouping(${names.join(', ')}) AS g`] : []), ...dims, ROLLUP_METRICS_SQL, conversionsSql(input, params, true)].join(',\n  ')}
    FROM (
      SELECT ${columns}
      FROM ${table}
      WHERE site IN ${sites} AND bucket >= ${whole0} AND bucket < ${whole1} AND NOT (bucket >= ${day0} AND bucket < ${day1})
      UNION ALL
      ${dayParts.map((part) => `${part}\n      UNION ALL`).join('\n')}
      SELECT site, toString(name) AS name, toDateTime(toStartOfFifteenMinutes(timestamp), 'UTC') AS timestamp, path,
             count() AS c, uniqState(visitor_id) AS u, sum(toUInt64(duration_ms)) AS d, toUInt64(0) AS n
      FROM (
        SELECT site, name, timestamp, path, visitor_id, duration_ms FROM ${input.tables.events}
        WHERE site IN ${sites} AND ((timestamp >= ${from} AND timestamp < ${whole0}) OR (timestamp >= ${whole1} AND timestamp < ${to}))
        LIMIT 1 BY event_id
      )
      GROUP BY site, name, timestamp, path
    ) AS e
    WHERE ${where.join(' AND ')}
    ${shared ? `GROUP BY GROUPING SETS ((), ${names.map((k) => `(${k})`).join(', ')})` : groupBy(input.dimensions.map((_, i) => `d${i}`))}`;
  const dimNames = input.dimensions.map((_, i) => `d${i}`);
  return { sql, params: params.values, dims: dimNames, ...(shared ? { pick: shared.pick } : {}) };
}

/** The metric columns of `ROLLUP_METRICS_SQL` and `conversionsSql`: a no-dimension answer when no row passes. */
const ROLLUP_METRIC_COLUMNS = ['pageviews', 'events', 'visitors', 'time_on_page', 'engagements', 'conversions', 'converters'];

/**
 * The event statement over the page rollups under a filter, without a dimension, by page or by
 * day: the top numbers, the pages panel and the chart of a filtered view (a wildcard pageview
 * goal: each merges the distinct-visitor states of every matching path and day, 0.1–0.15 s of CPU
 * each over a month of 10M events). One text for all of them, grouped by the page, by the day and
 * not at all (GROUPING SETS), each statement picking its own rows, as `sharedVisitsStatement`:
 * asked at once, single-flight runs it once. The day is one of the sets only when the range starts
 * on a UTC midnight (a view in UTC): a chart in a zone off UTC reads its days' quarter-hours, a
 * text of its own, so the others leave the day out. Each set's rows are those its own statement
 * would return. Null for other dimensions (and a chart by day reading quarter-hours).
 */
function sharedRollupKeys(
  input: StatementInput,
  days: boolean,
): { keys: Dimension[]; pick: (rows: Record<string, unknown>[]) => Record<string, unknown>[] } | null {
  const [only, ...more] = input.dimensions;
  if (more.length > 0 || !days) return null;
  const byDay = only === 'time:day' && input.interval === 'day';
  if (only !== undefined && only !== 'page' && !byDay) return null;
  const keys: Dimension[] = input.from % DAY === 0 || byDay ? ['page', 'time:day'] : ['page'];
  const at = only === undefined ? -1 : keys.indexOf(only);
  return { keys, pick: groupingPick(keys.length, at, ROLLUP_METRIC_COLUMNS) };
}

/** The metrics a goal's row can take from the rows passing its own pageview goal filter (`sharedGoalRowStatement`). */
const GOAL_ROW_METRICS: readonly Metric[] = ['visitors', 'pageviews', 'events', 'conversions', 'conversion_rate', 'percentage'];

/**
 * The goal a goals panel's row would show under a filter on it (`goal is Pages 1*`), when that
 * row is all the panel can show: one `is` value naming, on every site asked (each with configured
 * goals), a pageview goal or nothing, and no other goal of those sites a pageview completes (the
 * others are custom event goals). The events passing the filter are then the pageviews of that
 * goal's paths, each completing that goal and no other; null otherwise.
 */
function onlyGoalRow(input: StatementInput): string | null {
  const [f, ...more] = input.filters;
  if (f === undefined || more.length > 0 || !('values' in f) || f.dimension !== 'goal' || f.op !== 'is' || f.values.length !== 1)
    return null;
  if (input.goals.implicit.length > 0 || (input.metrics ?? []).some((m) => !GOAL_ROW_METRICS.includes(m))) return null;
  const name = f.values[0] as string;
  const pageviewCompletes = (g: Goal) => 'path' in g || g.event === 'pageview';
  for (const [, list] of input.goals.configured)
    for (const g of list) if (g.name === name ? !('path' in g) : pageviewCompletes(g)) return null;
  return name;
}

/**
 * The goals panel under a filter on one of its pageview goals (`goal is Pages 1*`: a goals row
 * click), when that goal's is the only row the panel can show (`onlyGoalRow`): the event
 * statement over the page rollups grouped by goal merged the distinct-visitor states of every
 * matching path and day a second time (0.11 s of CPU at 10M events under a wildcard glob), for the
 * numbers the top numbers' own statement already has — the row's visitors and converters are the
 * passing events' visitors, its conversions their pageviews. So it is the top numbers' text
 * (`rollupStatement` without a dimension, its GROUPING SETS shared with the pages panel and, in
 * UTC, the chart), which single-flight runs once for all of them; its no-dimension row becomes the
 * goal's row (none when no pageview passes). Null when the top numbers' statement is not that
 * shared text, or the filter is not such a goal.
 */
export function sharedGoalRowStatement(input: StatementInput, bucketStarts: readonly number[]): Statement | null {
  const [only, ...more] = input.dimensions;
  if (only !== 'goal' || more.length > 0 || !rollupEligible(input, bucketStarts)) return null;
  const name = onlyGoalRow(input);
  if (name === null) return null;
  const top = rollupStatement({ ...input, dimensions: [], pointers: [], conversions: false, converters: false }, []);
  const pick = top.pick;
  if (pick === undefined) return null;
  return {
    sql: top.sql,
    params: top.params,
    dims: ['d0'],
    pick: (rows) =>
      pick(rows)
        .filter((row) => Number(row.pageviews) > 0)
        .map((row) => ({ d0: name, ...row, conversions: row.pageviews, converters: row.visitors })),
  };
}

/**
 * The rows one statement would return among those of a GROUPING SETS text of `count` keys `k0`…
 * and no key, each row carrying `g` = `grouping(k0, …)` (SQL standard: a bit per key, the first the
 * highest, set when the row's set leaves the key out): the set of key `at` alone, its key as `d0`,
 * or (`at` -1) the set of none — one row, as a statement without GROUP BY returns (zeros when no
 * row passed); with the metric `columns` only.
 */
function groupingPick(
  count: number,
  at: number,
  columns: readonly string[],
): (rows: Record<string, unknown>[]) => Record<string, unknown>[] {
  const all = (1 << count) - 1;
  const mask = at < 0 ? all : all & ~(1 << (count - 1 - at));
  const metrics = (row: Record<string, unknown>) => Object.fromEntries(columns.map((m) => [m, row[m]]));
  return (rows) => {
    const own = rows.filter((row) => Number(row.g) === mask);
    if (at >= 0) return own.map((row) => ({ d0: row[`k${at}`], ...metrics(row) }));
    return own.length > 0 ? own.map(metrics) : [Object.fromEntries(columns.map((m) => [m, 0]))];
  };
}

/**
 * `n` is a counted day's distinct visitors (rows of pageviews, so it passes the visitor
 * condition); counts are never used when the query needs `converters` (conversion_rate).
 */
const ROLLUP_METRICS_SQL = `sumIf(e.c, e.name = 'pageview') AS pageviews,
  sumIf(e.c, e.name NOT IN ('pageview', 'engagement')) AS events,
  uniqMergeIf(e.u, e.name != 'engagement') + sumIf(e.n, e.name != 'engagement') AS visitors,
  ifNotFinite(sumIf(e.d, e.name = 'engagement') / sumIf(e.c, e.name = 'engagement'), 0) AS time_on_page,
  sumIf(e.c, e.name = 'engagement') AS engagements`;

/** The one visit dimension (besides time) a query groups or filters by, '' for none, or null when it uses more or an event dimension. */
function visitRollupDimension(input: StatementInput): string | null {
  const used = [...input.dimensions, ...filterDimensions(input.filters)].filter((d) => !isTimeDimension(d));
  if (!used.every(isVisitDimension)) return null;
  const distinct = [...new Set(used)];
  return distinct.length > 1 ? null : (distinct[0] ?? '');
}

/**
 * Whether the visit statement can read the visit rollups: at most one visit dimension (the
 * rollups hold one (dimension, value) pair per row) used in dimensions and filters together, no
 * event dimension, time buckets (if any) on quarter-hours, and a whole quarter-hour in the range.
 */
export function visitRollupEligible(input: StatementInput, bucketStarts: readonly number[]): boolean {
  if (visitRollupDimension(input) === null) return false;
  if (input.dimensions.some(isTimeDimension) && (input.interval === 'minute' || bucketStarts.some((t) => t % QUARTER !== 0))) return false;
  return Math.ceil(input.from / QUARTER) * QUARTER < Math.floor(input.to / QUARTER) * QUARTER;
}

/**
 * The whole quarter-hours [q0, q1) of a range and the whole UTC days [d0, d1) the day rollups
 * answer (d0 = d1: none), and for buckets off UTC midnights each day's split (`daySplits`).
 */
export function rollupSpans(input: StatementInput, bucketStarts: readonly number[]) {
  const q0 = Math.ceil(input.from / QUARTER) * QUARTER;
  const q1 = Math.floor(input.to / QUARTER) * QUARTER;
  const [d0, d1] = [Math.ceil(q0 / DAY) * DAY, Math.floor(q1 / DAY) * DAY];
  if (d0 >= d1) return { q0, q1, d0: q0, d1: q0, splits: null };
  if (dayAligned(input, bucketStarts)) return { q0, q1, d0, d1, splits: null };
  const splits = daySplits(d0, d1, bucketStarts);
  return splits ? { q0, q1, d0, d1, splits } : { q0, q1, d0: q0, d1: q0, splits: null };
}

/**
 * Visit metrics from the visit rollups: whole UTC days from `visits_1d`, the other whole
 * quarter-hours from `visits_15m`, and the visits starting in the partial edges from `visits`
 * (sign-weighted). Sums only (visits, bounces, durations, pageviews), so the parts add up exactly. When the
 * buckets start off UTC midnights (days in Asia/Kolkata), a day cut by a bucket start is the day's
 * row dated in its longer part, plus its shorter part's quarter-hours added where they start and
 * taken back from the longer part.
 */
export function visitRollupStatement(input: StatementInput, bucketStarts: readonly number[]): Statement {
  const params = new Params();
  const zone = params.add('String', input.zone);
  const sites = params.add('Array(String)', input.sites);
  const dimension = visitRollupDimension(input) ?? '';
  const { q0, q1, d0, d1, splits } = rollupSpans(input, bucketStarts);
  const at = (ms: number) => params.add("DateTime64(3, 'UTC')", toClickHouseTime(ms));
  const [from, whole0, whole1, to, day0, day1] = [at(input.from), at(q0), at(q1), at(input.to), at(d0), at(d1)];
  const dim = params.add('String', dimension);
  const columns = 'site, bucket AS first_at, value, visits, bounces, duration, pageviews';
  const value = dimension === '' ? "''" : dimensionSql(dimension as Dimension, 'v', params, null, '');
  const dims = input.dimensions.map(
    (d, i) => `${dimensionSql(d, 'r', params, { interval: input.interval, zone }, input.pointers[i] ?? '')} AS d${i}`,
  );
  const inDays = `site IN ${sites} AND dimension = ${dim} AND bucket >= ${day0} AND bucket < ${day1}`;
  let days = `SELECT ${columns} FROM ${input.tables.visits1d} WHERE ${inDays}`;
  if (splits) {
    const split = params.add('Array(UInt8)', splits);
    const sp = (day: string) => `${split}[intDiv(toUInt32(${day}) - toUInt32(${day0}), 86400) + 1]`;
    // The longer part of day `day` starts at the day (split none or late) or at its split (early).
    const longer = (day: string, q: string) => `if(${q} > 0 AND ${q} < 48, ${day} + toIntervalSecond(${q} * 900), ${day})`;
    days = `
      SELECT site, ${longer('bucket', sp('bucket'))} AS first_at, value, visits, bounces, duration, pageviews
      FROM ${input.tables.visits1d} WHERE ${inDays}
      UNION ALL
      SELECT site, if(sign = 1, bucket, ${longer('day', 's')}) AS first_at, value, sign * visits AS visits, sign * bounces AS bounces,
             sign * duration AS duration, sign * pageviews AS pageviews
      FROM (
        SELECT * FROM (
          SELECT site, bucket, toStartOfDay(bucket) AS day, ${sp('day')} AS s, value, visits, bounces, duration, pageviews
          FROM ${input.tables.visits15m} WHERE ${inDays})
        WHERE s > 0 AND if(s >= 48, bucket >= day + toIntervalSecond(s * 900), bucket < day + toIntervalSecond(s * 900)))
      ARRAY JOIN [toInt64(1), toInt64(-1)] AS sign`;
  }
  const sql = `
    SELECT ${[...dims, 'sum(r.visits) AS visits, sum(r.bounces) AS bounces, sum(r.duration) AS duration, sum(r.pageviews) AS visit_pageviews'].join(',\n  ')}
    FROM (
      SELECT ${columns} FROM ${input.tables.visits15m}
      WHERE site IN ${sites} AND dimension = ${dim} AND bucket >= ${whole0} AND bucket < ${whole1} AND NOT (bucket >= ${day0} AND bucket < ${day1})
      UNION ALL
      ${days}
      UNION ALL
      SELECT v.site AS site, v.first_at AS first_at, ${value} AS value, ${signedVisitSums('v', ['visits', 'bounces', 'duration', 'pageviews'])}
      FROM ${input.tables.visits} AS v
      WHERE v.site IN ${sites} AND v.pageviews + v.events > 0
        AND ((v.first_at >= ${from} AND v.first_at < ${whole0}) OR (v.first_at >= ${whole1} AND v.first_at < ${to}))
    ) AS r
    WHERE ${filterSql(input.filters, 'r', params)}
    ${groupBy(input.dimensions.map((_, i) => `d${i}`))}
    HAVING visits != 0`;
  return { sql, params: params.values, dims: input.dimensions.map((_, i) => `d${i}`) };
}

/**
 * Visit metrics from `visits` (sign-weighted: `VISIT_METRICS_SQL`), a visit's event conditions
 * decided by its (name, path) pairs.
 * Goals with property conditions are left out: the engine asks this only of filters that cannot
 * pick one and without the goal dimension (`matched-visits.ts` answers the others from raw events).
 */
export function visitStatement(input: StatementInput): Statement {
  const pairs = filtersSkipPropGoals(input.filters, input.goals) && !input.dimensions.includes('goal');
  const params = new Params(pairs ? withoutPropGoals(input.goals) : input.goals);
  const zone = params.add('String', input.zone);
  const sites = params.add('Array(String)', input.sites);
  const from = params.add("DateTime64(3, 'UTC')", toClickHouseTime(input.from));
  const to = params.add("DateTime64(3, 'UTC')", toClickHouseTime(input.to));
  const eventLevel = [...input.dimensions, ...filterDimensions(input.filters)].some((d) => isEventDimension(d));
  const pairDims = input.dimensions.map((d, i) => ({ d, i })).filter(({ d }) => isEventDimension(d));
  const where = ['v.pageviews + v.events > 0'];
  const selects: string[] = [];
  let arrayJoin = '';
  const filter =
    pairDims.length > 0 || !eventLevel || pageviewGoalFilter(input, params) === null ? filterSql(input.filters, 'p', params) : '';
  if (pairDims.length > 0) {
    const goalAt = pairDims.findIndex(({ d }) => d === 'goal');
    const pairs = `arrayFilter(p -> ${filter}, v.pairs)`;
    if (goalAt < 0) {
      const tuple = pairDims.map(({ d, i }) => dimensionSql(d, 'p', params, null, input.pointers[i] ?? '')).join(', ');
      arrayJoin = `ARRAY JOIN arrayDistinct(arrayMap(p -> tuple(${tuple}), ${pairs})) AS pd`;
    } else {
      // One tuple per (pair, goal it completes): a pair completing no goal adds none.
      const goals = goalsOf('p', params, input.pointers[pairDims[goalAt]?.i ?? 0] ?? '');
      const tuple = pairDims
        .map(({ d, i }) => (d === 'goal' ? 'gy' : dimensionSql(d, 'p', params, null, input.pointers[i] ?? '')))
        .join(', ');
      arrayJoin = `ARRAY JOIN arrayDistinct(arrayFlatten(arrayMap(p -> arrayMap(gy -> tuple(${tuple}), ${goals}), ${pairs}))) AS pd`;
    }
  } else if (eventLevel) {
    const hashed = pageviewGoalSql(input, params, from, to);
    where.push(hashed ?? `arrayExists(p -> ${filter}, v.pairs)`);
    const shared = sharedVisitsStatement(input, params, sites, from, to, where);
    if (shared) return shared;
  } else {
    where.push(filterSql(input.filters, 'p', params));
  }
  input.dimensions.forEach((d, i) => {
    const at = pairDims.findIndex((x) => x.i === i);
    if (at >= 0) selects.push(`tupleElement(pd, ${at + 1}) AS d${i}`);
    else selects.push(`${dimensionSql(d, 'v', params, { interval: input.interval, zone }, input.pointers[i] ?? '')} AS d${i}`);
  });
  const sql = `
    SELECT ${[...selects, VISIT_METRICS_SQL].join(',\n  ')}
    FROM ${input.tables.visits} AS v
    ${arrayJoin}
    WHERE v.site IN ${sites} AND v.first_at >= ${from} AND v.first_at < ${to} AND ${where.join(' AND ')}
    ${groupBy(input.dimensions.map((_, i) => `d${i}`))}${input.dimensions.length === 0 ? '' : '\n    HAVING visits != 0'}`;
  return { sql, params: params.values, dims: input.dimensions.map((_, i) => `d${i}`) };
}

/**
 * The visit dimensions of the panels a dashboard view shows beside its top numbers (the first tab
 * of its sources, locations and devices panels): under a filter only a visit's pairs decide, each
 * of their visit statements and the top numbers' (no dimension) is one scan of the range's visits
 * with their pairs, the same filter evaluated on every pair (0.4 s of CPU for a month of 10M events
 * under a wildcard pageview goal), four times per click.
 */
export const SHARED_VISIT_DIMENSIONS = ['channel', 'country', 'device'] as const;

/**
 * The visit statement under a filter on the visits' pairs, without a dimension or by one of
 * `SHARED_VISIT_DIMENSIONS`: one text for all of them, the visits grouped by each of those
 * dimensions and not at all (GROUPING SETS), each statement picking its own rows. The queries of a
 * view ask it at once, so single-flight (`single-flight.ts`) runs the scan and the filter once for
 * all of them (nothing is kept after it has answered); each set's sums are those its own statement
 * would sum. Null for other dimensions.
 */
function sharedVisitsStatement(
  input: StatementInput,
  params: Params,
  sites: string,
  from: string,
  to: string,
  where: readonly string[],
): Statement | null {
  const [only, ...more] = input.dimensions;
  if (more.length > 0) return null;
  const at = only === undefined ? -1 : (SHARED_VISIT_DIMENSIONS as readonly string[]).indexOf(only);
  if (only !== undefined && at < 0) return null;
  const keys = SHARED_VISIT_DIMENSIONS.map((d, i) => `${dimensionSql(d, 'v', params, null, '')} AS k${i}`);
  const names = SHARED_VISIT_DIMENSIONS.map((_, i) => `k${i}`);
  // `grouping` (SQL standard): a bit per key, the first the highest, set when the row's set leaves the key out.
  const all = (1 << names.length) - 1;
  const sql = `
    SELECT grouping(${names.join(', ')}) AS g, ${[...keys, VISIT_METRICS_SQL].join(',\n  ')}
    FROM ${input.tables.visits} AS v
    WHERE v.site IN ${sites} AND v.first_at >= ${from} AND v.first_at < ${to} AND ${where.join(' AND ')}
    GROUP BY GROUPING SETS ((), ${names.map((k) => `(${k})`).join(', ')})
    HAVING visits != 0 OR g = ${all}`;
  const pick = groupingPick(names.length, at, ['visits', 'bounces', 'duration', 'visit_pageviews']);
  return { sql, params: params.values, dims: at < 0 ? [] : ['d0'], pick };
}

/**
 * The one event-level filter of the query when it is a positive goal leaf (`is`, `contains`) whose
 * passable goals (`goalsPassable`) are all pageview goals configured on their sites (no site
 * without configured goals, where the filter's values would name custom events), and the rest of
 * the filters (visit attributes); null otherwise.
 */
function pageviewGoalFilter(input: StatementInput, params: Params): { sites: [string, string[]][]; rest: Filter[] } | null {
  const { event, rest } = byLevel(input.filters);
  const [f, ...more] = event;
  if (f === undefined || more.length > 0 || !('values' in f) || f.dimension !== 'goal' || (f.op !== 'is' && f.op !== 'contains'))
    return null;
  if (!rest.every((r) => filterDimensions([r]).every(isVisitDimension))) return null;
  const passable = goalsPassable(f, params.goals);
  if (passable.implicit.length > 0) return null;
  const sites: [string, string[]][] = [];
  for (const [site, list] of passable.configured) {
    if (!list.every((g) => 'path' in g)) return null;
    if (list.length > 0) sites.push([site, list.map((g) => (g as { path: string }).path)]);
  }
  return sites.length > 0 ? { sites, rest } : null;
}

/**
 * The visits of [from, to) holding a pageview of a path some passable pageview goal's glob matches
 * (`pageviewGoalFilter`), by the hashes of their pageviews' paths (`visits.pageview_paths`,
 * clickhouse/049): per site, the glob is expanded to the matching paths the site's visits of the
 * range hold (`page_visits_1d` (031) has a row per UTC day of a visit's start and path it holds,
 * written with the visit's row), and a visit passes when one of its hashes is one of theirs. A
 * visit testing its hashes against a set instead of matching the glob on each of its pairs: about
 * half the CPU. Should two distinct paths of the site's events of those days (`pages_1d`) share a
 * hash, the site's visits are matched on their pairs as before (the `if` reads one branch: its
 * condition is a constant).
 * Null when the filters are not one such goal leaf (and visit attribute filters).
 */
function pageviewGoalSql(input: StatementInput, params: Params, from: string, to: string): string | null {
  const goal = pageviewGoalFilter(input, params);
  if (goal === null) return null;
  const perSite = goal.sites.map(([site, globs]) => {
    const s = params.add('String', site);
    const days = `site = ${s} AND bucket >= toStartOfDay(${from}) AND bucket < ${to}`;
    const re = globs.map((g) => params.add('String', globToRegExp(g).source));
    // A glob's literal start bounds the paths read by the table's key (site, path, …).
    const starts = globs.map((g) => g.slice(0, g.indexOf('*') < 0 ? g.length : g.indexOf('*')));
    const matched = `(${re.map((r, i) => `${starts[i] === '' ? '' : `startsWith(path, ${params.add('String', starts[i])}) AND `}match(path, ${r})`).join(' OR ')})`;
    // Every path of the site's events of those days (pages_1d, 007: a few rows per path and day) hashes apart.
    const distinct = `(SELECT uniqExact(path) = uniqExact(cityHash64(path)) FROM ${input.tables.pages1d} WHERE ${days})`;
    const hashes = `arrayExists(h -> h IN (SELECT cityHash64(path) FROM ${input.tables.pageVisits1d} WHERE ${days} AND dimension = '' AND ${matched}), v.pageview_paths)`;
    const pairs = `arrayExists(p -> p.name = 'pageview' AND (${re.map((r) => `match(p.path, ${r})`).join(' OR ')}), v.pairs)`;
    return `(v.site = ${s} AND if(${distinct}, ${hashes}, ${pairs}))`;
  });
  return [`(${perSite.join(' OR ')})`, ...(goal.rest.length > 0 ? [filterSql(goal.rest, 'p', params)] : [])].join(' AND ');
}

export { isTimeDimension };

/**
 * Distinct visitors under one page filter `is` with one path, or one goal or custom event filter
 * `is` with one value where the goal is an event name on each site (`countedNames`, as
 * `name-counts.ts`), by time or by no dimension, over a range with partial UTC days or buckets
 * that start inside UTC days (the daily chart after a pages or goals row click in a zone off UTC:
 * `page is /blog/a` in Europe/Berlin), from the per-path and per-name quarter-hour marks
 * `event_marks_1d` (clickhouse/051); under a goal filter `is` naming a pageview goal of a literal
 * path on each site that has it (the goals row "Page 7": `/page/7`, no wildcard), from the per-path
 * marks of pageviews alone `pageview_marks_1d` (clickhouse/053: the path's custom events are not
 * the goal's). The rollups answer such a chart from the quarter-hours alone
 * (a local day is two parts of two UTC days, which the day rollups cannot cut): every quarter-hour
 * state of the range, 2.3 million rows of `pages_15m` at 10M events, only a few of them of the path.
 *
 * Each UTC day the range touches adds its parts (`markedParts`: the whole day, its start before
 * quarter-hour b, its end from quarter-hour a) to the bucket each starts in: the whole day its
 * row's `visitors`, its start the `upto` of its last mark before b, its end the `since` of its
 * first mark at or after a. Visitor ids rotate with the UTC day, so the parts of different days
 * add up (docs/query.md, "Distinct visitors over many days"). A (site, day) is read from its marks
 * only while its '' row's stamp equals the day's events in `events_1d` (and a path's row only with
 * that same stamp: no row, no visitor on the path that day); the other (site, day)s — not counted
 * yet, a late event since, today, a part no mark tells — merge their quarter-hour states from
 * `pages_15m`, through its primary key (site, day), in the same statement.
 */
import { toClickHouseTime } from '@tidemark/shared';
import { bucketSql, filterDimensions, Params } from './fields.ts';
import { hasPropGoals } from './goals.ts';
import { countedNames } from './name-counts.ts';
import { pageGoalFilter } from './page-visits.ts';
import { dayAligned, partialUtcDays, type Statement, type StatementInput } from './statements.ts';
import { markedParts, partBounds } from './visit-counts.ts';
import { isTimeDimension, VISIT_METRICS } from './vocabulary.ts';

const DAY = 86_400_000;
const QUARTER = 900_000;
const EMPTY_UNIQ = "arrayReduce('uniqState', emptyArrayUInt64())";

/** The one path of a lone `page is` filter of one value, or null. */
function markedPath(input: StatementInput): string | null {
  if (input.filters.length !== 1) return null;
  const f = input.filters[0];
  if (f === undefined || !('values' in f) || f.op !== 'is' || f.dimension !== 'page' || f.values.length !== 1) return null;
  return f.values[0] as string;
}

type MarkedKey =
  | { dimension: 'page'; path: string }
  | { dimension: 'event'; names: [string, string][] }
  | { dimension: 'pageview'; paths: [string, string][] };

/**
 * The marks the filter reads: a path's ('page'), per site its one custom event name's ('event';
 * a site whose goals pass no name reads none), per site its pageview goal's path's pageview marks
 * ('pageview', `pageview_marks_1d`), or null.
 */
function markedKey(input: StatementInput): MarkedKey | null {
  const path = markedPath(input);
  if (path !== null) return { dimension: 'page', path };
  // A goal on a literal path (a goal named once per site: the other goals, of properties or not, pass no event under `is` of its name: `pageGoalFilter`).
  const goal = pageGoalFilter(input.filters, input.sites, input.goals);
  if (goal !== null) return { dimension: 'pageview', paths: [...goal].filter((e): e is [string, string] => e[1] !== null) };
  // Goals are evaluated on name rows, which have no properties.
  if (filterDimensions(input.filters).includes('goal') && hasPropGoals(input.goals)) return null;
  // The name filter alone (the custom events tab's `event is_not …` beside it is left to the rollups).
  const names = input.filters.length === 1 ? countedNames(input) : null;
  if (names === null) return null;
  return { dimension: 'event', names: [...names].filter((e): e is [string, string] => e[1] !== null) };
}

/**
 * Whether the marks answer: one `page is` filter of one path (or goal or event filter: `markedKey`), no dimension or one time dimension
 * (not minutes or hours), distinct visitors alone (and visit metrics: their own statement), a
 * range on quarter-hours with partial UTC days or buckets that start inside UTC days (otherwise
 * the day rollups answer whole UTC days as fast).
 */
export function eventMarksEligible(input: StatementInput, buckets: readonly number[]): boolean {
  const { metrics } = input;
  if (metrics === undefined || input.rawOnly === true || input.conversions || input.converters === true) return false;
  if (markedKey(input) === null) return false;
  // As the per-name counts: a name or goal filter over native data only.
  if (input.imported !== undefined && markedPath(input) === null) return false;
  const [d, ...more] = input.dimensions;
  if (more.length > 0 || (d !== undefined && !isTimeDimension(d))) return false;
  if (d !== undefined && (input.interval === 'minute' || input.interval === 'hour')) return false;
  if (!metrics.every((m) => VISIT_METRICS.includes(m) || m === 'visitors')) return false;
  if (input.from % QUARTER !== 0 || input.to % QUARTER !== 0 || input.from >= input.to) return false;
  return partialUtcDays(input).length > 0 || (d !== undefined && !dayAligned(input, buckets));
}

/** The marks table the statement reads (`eventMarksEligible` input): a pageview goal's own, or `event_marks_1d`. */
export function eventMarksTable(input: StatementInput): string {
  return markedKey(input)?.dimension === 'pageview' ? input.tables.pageviewMarks1d : input.tables.eventMarks1d;
}

export function eventMarksStatement(input: StatementInput, buckets: readonly number[]): Statement {
  const params = new Params();
  const zone = params.add('String', input.zone);
  const sites = params.add('Array(String)', input.sites);
  const key = markedKey(input) as MarkedKey;
  // The marks' rows and the rollup's rows of the key: one path, or each site's one name or path.
  let [ofMarks, ofRollup] = ['0', '0'];
  if (key.dimension === 'page') {
    const path = params.add('String', key.path);
    [ofMarks, ofRollup] = [`dimension = 'page' AND value = ${path}`, `path = ${path}`];
  } else {
    const pairs = key.dimension === 'event' ? key.names : key.paths;
    if (pairs.length > 0) {
      const [siteList, valueList] = [pairs.map(([site]) => site), pairs.map(([, value]) => value)].map((list) =>
        params.add('Array(String)', list),
      );
      // Each site's one name or path.
      const keyValue = `transform(toString(site), ${siteList}, ${valueList}, '')`;
      const [dimension, ofRow] =
        key.dimension === 'event' ? ['event', `toString(name) = ${keyValue}`] : ['page', `name = 'pageview' AND path = ${keyValue}`];
      [ofMarks, ofRollup] = [
        `dimension = '${dimension}' AND has(${siteList}, toString(site)) AND value = ${keyValue}`,
        `has(${siteList}, toString(site)) AND ${ofRow}`,
      ];
    }
  }
  // A pageview goal's marks count the path's pageviews alone (clickhouse/053), the others every event but engagements (051).
  const marks = eventMarksTable(input);
  const time = input.dimensions[0] !== undefined;
  const bucketOf = (t: string) => (time ? `${bucketSql(t, input.interval, zone)} AS d0, ` : '');
  const day0 = Math.floor(input.from / DAY) * DAY;
  const parts = markedParts(input, buckets);
  const days = parts.map((_, i) => day0 + i * DAY);
  const at = (ms: number) => params.add("DateTime('UTC')", toClickHouseTime(ms).slice(0, 19));
  const [first, last, from, to] = [at(day0), at(day0 + parts.length * DAY), at(input.from), at(input.to)];
  // The days whose parts the marks tell (each part begins or ends the day), and each day's parts.
  const markable = params.add(
    "Array(DateTime('UTC'))",
    days.filter((_, i) => (parts[i]?.length ?? 0) > 0).map((t) => toClickHouseTime(t).slice(0, 19)),
  );
  const [starts, ends] = partBounds(params, parts);
  const all = params.add(
    "Array(DateTime('UTC'))",
    days.map((t) => toClickHouseTime(t).slice(0, 19)),
  );
  const inDays = `site IN ${sites} AND bucket >= ${first} AND bucket < ${last}`;
  const totals = `(SELECT site, bucket, sum(events) FROM ${input.tables.events1d} WHERE ${inDays} GROUP BY site, bucket)`;
  // The (site, day)s read from their marks: counted, current, and with parts the marks tell.
  const marked = `(SELECT site, bucket FROM ${marks} WHERE ${inDays} AND dimension = '' AND has(${markable}, bucket)
      AND (site, bucket, events) IN ${totals})`;
  // The others: every (site, day) of the range but those (a positive list: the rollup's primary key prunes by it).
  const others = `(SELECT tupleElement(t, 1), tupleElement(t, 2)
      FROM (SELECT arrayJoin(arrayFlatten(arrayMap(s -> arrayMap(d -> (s, d), ${all}), ${sites}))) AS t) WHERE t NOT IN ${marked})`;
  const day = `intDiv(toUInt32(bucket) - toUInt32(${first}), 86400) + 1`;
  // A day's path row of the count found current (one row per day: a count written twice is the same row).
  const rows = `
      SELECT site, bucket, any(visitors) AS n, any(quarters) AS qs, any(upto) AS us, any(since) AS ss
      FROM ${marks}
      WHERE ${inDays} AND ${ofMarks} AND (site, bucket, events) IN ${totals} AND (site, bucket) IN ${marked}
      GROUP BY site, bucket`;
  const fromMarks = `
      SELECT ${bucketOf('bucket + toIntervalSecond(pa * 900)')}
             multiIf(pa = 0 AND pb = 96, n, pa = 0, arrayLast((u, m) -> m < pb, us, qs), arrayFirst((x, m) -> m >= pa, ss, qs)) AS pn,
             ${EMPTY_UNIQ} AS u
      FROM (SELECT bucket, n, qs, us, ss, ${starts}[${day}] AS sa, ${ends}[${day}] AS sb FROM (${rows}))
      ARRAY JOIN sa AS pa, sb AS pb`;
  const fromRollup = `
      SELECT ${bucketOf('bucket')}toUInt64(0) AS pn, uniqMergeStateIf(visitors, name != 'engagement') AS u
      FROM ${input.tables.pages15m}
      WHERE site IN ${sites} AND bucket >= ${from} AND bucket < ${to} AND ${ofRollup} AND (site, toStartOfDay(bucket)) IN ${others}
      ${time ? 'GROUP BY d0' : ''}`;
  const sql = `
    SELECT ${time ? 'd0, ' : ''}0 AS pageviews, 0 AS events, sum(pn) + uniqMerge(u) AS visitors, 0 AS time_on_page, 0 AS engagements,
           0 AS scroll_depth, 0 AS scrolls, 0 AS conversions, 0 AS converters
    FROM (${fromMarks}
      UNION ALL${fromRollup})
    ${time ? 'GROUP BY d0' : ''}`;
  return { sql, params: params.values, dims: time ? ['d0'] : [] };
}

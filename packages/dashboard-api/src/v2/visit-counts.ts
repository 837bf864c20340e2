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
import { bucketSql, dimensionSql, filterDimensions, filterSql, Params, VISIT_ATTRIBUTE_COLUMNS } from './fields.ts';
import type { Filter } from './parse.ts';
import { dayAligned, partialUtcDays, rawEventsSource, type Statement, type StatementInput, wholeUtcDays } from './statements.ts';
import { isTimeDimension, isVisitDimension, type Metric, VISIT_METRICS } from './vocabulary.ts';

const DAY = 86_400_000;
const QUARTER = 900_000;

/** A UTC day (ms) of a site whose count holds current quarter-hour marks, with the day's events it counted. */
export interface MarkedDay {
  site: string;
  day: number;
  events: number;
}

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
  if (split && (input.interval === 'minute' || input.interval === 'hour')) return false;
  if (d !== undefined && !page && !isTimeDimension(d)) return false;
  const allowed = page || split ? BY_PAGE : COUNTED;
  return metrics.every((m) => VISIT_METRICS.includes(m) || allowed.includes(m));
}

/**
 * Whether the counts' quarter-hour marks (clickhouse/047) answer the query: distinct visitors (and
 * visit metrics) alone, by no dimension or by time, over a range with partial UTC days (a zone off
 * UTC) or buckets that start inside UTC days (a daily chart in a zone off UTC).
 */
export function marksEligible(input: StatementInput, buckets: readonly number[]): boolean {
  if (!visitCountsEligible(input, buckets)) return false;
  const d = input.dimensions[0];
  if (d !== undefined && !isTimeDimension(d)) return false;
  if (!(input.metrics ?? []).every((m) => VISIT_METRICS.includes(m) || BY_PAGE.includes(m))) return false;
  return partialUtcDays(input).length > 0 || (d !== undefined && !dayAligned(input, buckets));
}

/**
 * The range's partial UTC days (at either end) longer than half a day, on quarter-hours: with no
 * dimension, such an edge of a day whose quarter-hour marks are current is read as its distinct
 * visitors from the marks and its sums as the day's counted sums less those of the rest of the day
 * (read raw: the shorter side), instead of reading the longer side raw (`visitCountsStatement`).
 */
function longEdges(input: StatementInput): [number, number][] {
  if (input.dimensions.length > 0) return [];
  return partialUtcDays(input).filter(([a, b]) => b - a > DAY / 2 && a % QUARTER === 0 && b % QUARTER === 0);
}

/** Whether the engine should first ask which days' marks are current: a lone distinct count (`marksEligible`), or long edges. */
export function marksWanted(input: StatementInput, buckets: readonly number[]): boolean {
  return marksEligible(input, buckets) || (visitCountsEligible(input, buckets) && longEdges(input).length > 0);
}

/** Each day's parts (`markedParts`) as two bound parameters: the parts' first quarter-hours, and their ends. */
export function partBounds(params: Params, parts: readonly (readonly [number, number])[][]): [string, string] {
  return [
    params.add(
      'Array(Array(UInt8))',
      parts.map((p) => p.map(([a]) => a)),
    ),
    params.add(
      'Array(Array(UInt8))',
      parts.map((p) => p.map(([, b]) => b)),
    ),
  ];
}

/**
 * For each UTC day the range touches, from the first: the parts of it the marks count, as
 * quarter-hours [a, b) — the whole day [0, 96), its start [0, b) (`upto` at the last mark before
 * b) or its end [a, 96) (`since` at the first mark at or after a), cut where a time bucket starts
 * — or none when a part is none of those (a bound off a quarter-hour, a part inside the day, two
 * bucket starts in the day): that day is read raw.
 */
export function markedParts(input: Pick<StatementInput, 'from' | 'to'>, buckets: readonly number[]): [number, number][][] {
  const out: [number, number][][] = [];
  for (let day = Math.floor(input.from / DAY) * DAY; day < input.to; day += DAY) {
    const [lo, hi] = [Math.max(input.from, day), Math.min(input.to, day + DAY)];
    const cuts = buckets.filter((t) => t > lo && t < hi);
    const bounds = [lo, ...cuts, hi].map((t) => (t - day) / QUARTER);
    const parts = bounds.slice(1).map((b, i) => [bounds[i] as number, b] as [number, number]);
    const marked = cuts.length <= 1 && parts.every(([a, b]) => Number.isInteger(a) && Number.isInteger(b) && (a === 0 || b === 96));
    out.push(marked ? parts : []);
  }
  return out;
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
  // Every whole UTC day of the range current for every site when the engine asked which days' marks
  // are (`marked`, a zone off UTC): those days' counts of the events it found, and no visits read.
  const whole = (input.marked ?? []).filter((m) => m.day >= d0 && m.day < d1);
  const allMarked = input.marked !== undefined && d0 < d1 && new Set(whole.map((m) => m.day)).size === (d1 - d0) / DAY && whole.length > 0;
  const stamps = allMarked ? markedList(params, whole) : totals;
  // Counted days: one row per day (a count repeated before a merge is the same row).
  const countRows = `
      SELECT site, bucket, any(visitors) AS n, any(pageviews) AS pv, any(customs) AS cu, any(engagements) AS en, any(engaged_ms) AS ms
             ${page ? ', any(paths) AS ps, any(path_visitors) AS pn' : ''}
      FROM ${input.tables.visitVisitors1d}
      WHERE ${days} AND dimension = ${dimension} AND value = ${value} AND (${allMarked ? 'toString(site)' : 'site'}, bucket, events) IN ${stamps}
      GROUP BY site, bucket`;
  if (marksEligible(input, buckets)) return marksStatement(input, buckets);
  const counts = page
    ? `SELECT page AS d0, n_page AS n, 0 AS pv, 0 AS cu, 0 AS en, 0 AS ms FROM (${countRows}) ARRAY JOIN ps AS page, pn AS n_page`
    : `SELECT ${time ? `${bucketSql('bucket', input.interval, zone)} AS d0, ` : ''}n, pv, cu, en, ms FROM (${countRows})`;
  // The other days from their visits, each day's distinct visitors apart (then summed, as the counts are).
  // The (site, day) pairs not current are found once (a scalar): only the visits of those days are
  // read, between the first and the last of them (bounds on the sort key; none when every day is current).
  const dayList = params.add(
    "Array(DateTime('UTC'))",
    Array.from({ length: Math.max(0, (d1 - d0) / DAY) }, (_, i) => toClickHouseTime(d0 + i * DAY).slice(0, 19)),
  );
  const visits = `
      WITH (SELECT groupUniqArray((toString(site), bucket)) FROM ${current}) AS current_days,
        arrayFilter(t -> NOT has(current_days, t), arrayFlatten(arrayMap(s -> arrayMap(d -> (s, d), ${dayList}), ${sites}))) AS late_days,
        arrayMap(t -> tupleElement(t, 2), late_days) AS late_starts
      SELECT v.site AS site, toDateTime(toStartOfDay(v.first_at), 'UTC') AS day${page ? ', page' : ''},
             uniqIf(v.visitor_id, v.pageviews + v.events > 0) AS n, sum(toUInt64(v.pageviews)) AS pv, sum(toUInt64(v.events)) AS cu,
             sum(toUInt64(v.engagements)) AS en, sum(v.engaged_ms) AS ms
      FROM ${input.tables.visits} AS v FINAL
      ${page ? 'ARRAY JOIN arrayDistinct(v.pairs.path) AS page' : ''}
      WHERE v.site IN ${sites} AND v.first_at >= ${from} AND v.first_at < ${to} AND ${filter}
        AND v.first_at >= if(empty(late_starts), ${to}, arrayMin(late_starts)) AND v.first_at < if(empty(late_starts), ${to}, arrayMax(late_starts) + 86400)
        AND has(late_days, (toString(v.site), toDateTime(toStartOfDay(v.first_at), 'UTC')))
      GROUP BY site, day${page ? ', page' : ''}`;
  const uncounted = page
    ? `SELECT toString(page) AS d0, n, 0 AS pv, 0 AS cu, 0 AS en, 0 AS ms FROM (${visits})`
    : `SELECT ${time ? `${bucketSql('day', input.interval, zone)} AS d0, ` : ''}n, pv, cu, en, ms FROM (${visits})`;
  const at = (ms: number) => params.add("DateTime64(3, 'UTC')", toClickHouseTime(ms));
  // A long partial day whose marks are current (for every site, `marked`): its visitors from the
  // marks (its start before quarter-hour b: `upto` at the last mark before b; its end from a:
  // `since` at the first mark at or after a), its sums the day's counted sums less those of the
  // day's other side, read raw. The day's count holds exactly the day's events (`held` = `events`)
  // and no visit crosses a UTC midnight, so the day's sums are those of its two sides.
  const long = longEdges(input).filter(([a]) => (input.marked ?? []).some((m) => m.day === Math.floor(a / DAY) * DAY));
  const fromMarks = long.map(([a, b]) => {
    const day = Math.floor(a / DAY) * DAY;
    const [pa, pb] = [(a - day) / QUARTER, (b - day) / QUARTER];
    const [ca, cb] = pa === 0 ? [b, day + DAY] : [day, a];
    const list = (input.marked ?? []).filter((m) => m.day === day);
    const [daySites, dayEvents] = [
      params.add(
        'Array(String)',
        list.map((m) => m.site),
      ),
      params.add(
        'Array(UInt64)',
        list.map((m) => m.events),
      ),
    ];
    const { source, where } = rawEventsSource(input, params, sites, at(ca), at(cb));
    const rest = `
        SELECT e.site AS site, countIf(e.name = 'pageview') AS pv, countIf(e.name NOT IN ('pageview', 'engagement')) AS cu,
               countIf(e.name = 'engagement') AS en, sumIf(toUInt64(e.duration_ms), e.name = 'engagement') AS ms
        FROM ${source}
        WHERE ${where.join(' AND ')}
        GROUP BY site`;
    const rows = `
        SELECT site, any(quarters) AS qs, any(upto) AS us, any(since) AS ss, any(pageviews) AS pv, any(customs) AS cu,
               any(engagements) AS en, any(engaged_ms) AS ms
        FROM ${input.tables.visitVisitors1d}
        WHERE site IN ${sites} AND bucket = ${params.add("DateTime('UTC')", toClickHouseTime(day).slice(0, 19))} AND dimension = ${dimension}
          AND value = ${value} AND quartered = 1 AND (toString(site), events) IN (SELECT tupleElement(t, 1), tupleElement(t, 2) FROM (SELECT arrayJoin(arrayZip(${daySites}, ${dayEvents})) AS t))
        GROUP BY site`;
    const n = pa === 0 ? `arrayLast((u, m) -> m < ${pb}, r.us, r.qs)` : `arrayFirst((x, m) -> m >= ${pa}, r.ss, r.qs)`;
    return `
      SELECT ${n} AS n, toUInt64(r.pv - c.pv) AS pv, toUInt64(r.cu - c.cu) AS cu, toUInt64(r.en - c.en) AS en, toUInt64(r.ms - c.ms) AS ms
      FROM (${rows}) AS r LEFT JOIN (${rest}) AS c ON c.site = r.site`;
  });
  // The other partial UTC days at either end (each inside one UTC day: its distinct visitors add to the others') from raw events.
  const isLong = ([a]: [number, number]) => long.some(([la]) => la === a);
  const edges = partialUtcDays(input)
    .filter((e) => !isLong(e))
    .map(([a, b]) => {
      if (page) return pageEdge(input, params, sites, at(a), at(b));
      const { source, where } = rawEventsSource(input, params, sites, at(a), at(b));
      const key = time ? `${bucketSql('e.timestamp', input.interval, zone)} AS d0, ` : '';
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
    FROM (${[counts, ...(allMarked ? [] : [uncounted]), ...edges, ...fromMarks].join('\n      UNION ALL\n      ')})
    ${d === undefined ? '' : 'GROUP BY d0'}`;
  return { sql, params: params.values, dims: d === undefined ? [] : ['d0'] };
}

/**
 * A partial UTC day [a, b) of the range by page (distinct visitors alone), without joining all its
 * raw events to their visits: a visit that starts at or after a and ends before b holds all its
 * events in [a, b), so its pairs' paths (pageviews and custom events: `visits` FINAL, under the
 * filter) are the paths its visitor is counted on; only the visits crossing a or b (no visit
 * crosses a UTC midnight: they start on a's UTC day) have their raw events in [a, b) read, joined
 * to them. A visitor of both kinds is counted once (one `uniq` over both).
 */
function pageEdge(input: StatementInput, params: Params, sites: string, a: string, b: string): string {
  const filter = filterSql(input.filters, 'e', params);
  const crossing = `site IN ${sites} AND first_at >= toStartOfDay(${a}) AND first_at < ${b} AND last_at >= ${a} AND (first_at < ${a} OR last_at >= ${b})`;
  return `
      SELECT toString(d0) AS d0, uniq(vid) AS n, 0 AS pv, 0 AS cu, 0 AS en, 0 AS ms
      FROM (
        SELECT v.visitor_id AS vid, page AS d0
        FROM ${input.tables.visits} AS v FINAL
        ARRAY JOIN arrayDistinct(v.pairs.path) AS page
        WHERE v.site IN ${sites} AND v.first_at >= ${a} AND v.first_at < ${b} AND v.last_at < ${b} AND ${filter}
        UNION ALL
        SELECT e.visitor_id AS vid, ${dimensionSql('page', 'e', params, null, '')} AS d0
        FROM (
          SELECT site, timestamp, visitor_id, path FROM ${input.tables.events}
          WHERE site IN ${sites} AND timestamp >= ${a} AND timestamp < ${b} AND name != 'engagement'
          LIMIT 1 BY event_id
        ) AS e
        INNER JOIN (SELECT ${VISIT_ATTRIBUTE_COLUMNS} FROM ${input.tables.visits} FINAL WHERE ${crossing}) AS v
          ON e.site = v.site AND e.visitor_id = v.visitor_id
        WHERE ${filter} AND e.timestamp >= v.first_at AND e.timestamp <= v.last_at
      )
      GROUP BY d0`;
}

/**
 * The UTC days the range touches whose counts hold current quarter-hour marks (047), per site,
 * with the day's events they counted: the engine asks this before `marksStatement` (`marked`).
 */
export function markedDaysStatement(input: StatementInput): Statement {
  const params = new Params();
  const sites = params.add('Array(String)', input.sites);
  const from = params.add("DateTime('UTC')", toClickHouseTime(Math.floor(input.from / DAY) * DAY).slice(0, 19));
  const to = params.add("DateTime('UTC')", toClickHouseTime(Math.ceil(input.to / DAY) * DAY).slice(0, 19));
  const days = `site IN ${sites} AND bucket >= ${from} AND bucket < ${to}`;
  const sql = `
    SELECT DISTINCT toString(site) AS site, toUnixTimestamp(bucket) AS day, events
    FROM ${input.tables.visitVisitors1d}
    WHERE ${days} AND dimension = '' AND held = events AND quartered = 1
      AND (site, bucket, events) IN (SELECT site, bucket, sum(events) FROM ${input.tables.events1d} WHERE ${days} GROUP BY site, bucket)`;
  return { sql, params: params.values, dims: [] };
}

/** The days whose marks answer for every site of the query: (site, day ms, events) of each. */
export function markedDaysOf(rows: Record<string, unknown>[], sites: readonly string[]): MarkedDay[] {
  const all = rows.map((r) => ({ site: String(r.site), day: Number(r.day) * 1000, events: Number(r.events) }));
  const wanted = new Set(sites);
  const bySite = new Map<number, Set<string>>();
  for (const r of all) bySite.set(r.day, (bySite.get(r.day) ?? new Set()).add(r.site));
  return all.filter((r) => [...wanted].every((s) => bySite.get(r.day)?.has(s)));
}

/** Marked days (site, day, events) as a set to match `(toString(site), bucket, events)` against. */
function markedList(params: Params, marked: readonly MarkedDay[]): string {
  const [daySites, dayStarts, dayEvents] = [
    params.add(
      'Array(String)',
      marked.map((m) => m.site),
    ),
    params.add(
      'Array(UInt32)',
      marked.map((m) => m.day / 1000),
    ),
    params.add(
      'Array(UInt64)',
      marked.map((m) => m.events),
    ),
  ];
  return `(SELECT tupleElement(t, 1), toDateTime(tupleElement(t, 2), 'UTC'), tupleElement(t, 3) FROM (SELECT arrayJoin(arrayZip(${daySites}, ${dayStarts}, ${dayEvents})) AS t))`;
}

/**
 * Distinct visitors under the filter by no dimension or by time (a daily chart in a zone off UTC,
 * its totals), from the counts' quarter-hour marks (clickhouse/047): each UTC day the range
 * touches adds its parts (`markedParts`) to the bucket each starts in — the whole day its count,
 * its start before quarter-hour b the `upto` of its last mark before b, its end from quarter-hour a
 * the `since` of its first mark at or after a. Visitor ids rotate with the UTC day, so the parts
 * of different days add up. Only the days whose marks were current for every site when the engine
 * asked (`marked`) are read so; the others, and the parts no mark tells, from raw events joined
 * to their visits.
 */
function marksStatement(input: StatementInput, buckets: readonly number[]): Statement {
  const params = new Params(input.goals);
  const counted = countedFilter(input.filters) as { dimension: string; value: string };
  const zone = params.add('String', input.zone);
  const sites = params.add('Array(String)', input.sites);
  const time = input.dimensions[0] !== undefined;
  const day0 = Math.floor(input.from / DAY) * DAY;
  const parts = markedParts(input, buckets);
  const marked = (input.marked ?? []).filter((m) => (parts[(m.day - day0) / DAY]?.length ?? 0) > 0);
  const read = new Set(marked.map((m) => m.day));
  const at = (ms: number) => params.add("DateTime64(3, 'UTC')", toClickHouseTime(ms));
  const bucketOf = (t: string) => (time ? `${bucketSql(t, input.interval, zone)} AS d0, ` : '');
  const selects: string[] = [];
  if (marked.length > 0) {
    const list = markedList(params, marked);
    const [starts, ends] = partBounds(params, parts);
    const dimension = params.add('String', counted.dimension);
    const value = params.add('String', counted.value);
    const first = params.add("DateTime('UTC')", toClickHouseTime(day0).slice(0, 19));
    // A day's rows of the count the engine found current (its events): one row per day (a count written twice is the same row).
    const rows = `
      SELECT site, bucket, any(visitors) AS n, any(quarters) AS qs, any(upto) AS us, any(since) AS ss
      FROM ${input.tables.visitVisitors1d}
      WHERE site IN ${sites} AND dimension = ${dimension} AND value = ${value} AND quartered = 1 AND (toString(site), bucket, events) IN ${list}
      GROUP BY site, bucket`;
    const day = `intDiv(toUInt32(bucket) - toUInt32(${first}), 86400) + 1`;
    selects.push(`
      SELECT ${bucketOf('bucket + toIntervalSecond(pa * 900)')}
             multiIf(pa = 0 AND pb = 96, n, pa = 0, arrayLast((u, m) -> m < pb, us, qs), arrayFirst((x, m) -> m >= pa, ss, qs)) AS pn
      FROM (SELECT bucket, n, qs, us, ss, ${starts}[${day}] AS sa, ${ends}[${day}] AS sb FROM (${rows}))
      ARRAY JOIN sa AS pa, sb AS pb`);
  }
  // The rest of the range from raw events: the spans of the days not read from marks, adjoining ones as one.
  const spans: [number, number][] = [];
  for (let day = day0; day < input.to; day += DAY) {
    if (read.has(day)) continue;
    const [lo, hi] = [Math.max(input.from, day), Math.min(input.to, day + DAY)];
    const last = spans[spans.length - 1];
    if (last && last[1] === lo) last[1] = hi;
    else spans.push([lo, hi]);
  }
  for (const [lo, hi] of spans) {
    const { source, where } = rawEventsSource(input, params, sites, at(lo), at(hi));
    selects.push(`
      SELECT ${bucketOf('e.timestamp')}uniqIf(e.visitor_id, e.name != 'engagement') AS pn
      FROM ${source}
      WHERE ${where.join(' AND ')}
      ${time ? 'GROUP BY d0' : ''}`);
  }
  const sql = `
    SELECT ${time ? 'd0, ' : ''}0 AS pageviews, 0 AS events, sum(pn) AS visitors, 0 AS time_on_page, 0 AS engagements, 0 AS scroll_depth,
           0 AS scrolls, 0 AS conversions, 0 AS converters
    FROM (${selects.join('\n      UNION ALL\n      ')})
    ${time ? 'GROUP BY d0' : ''}`;
  return { sql, params: params.values, dims: time ? ['d0'] : [] };
}

/**
 * Event metrics under visit-attribute filters, read from the visits themselves (issue 18: a
 * filter click at 10M events joined every event of the range to its visit, 8–18 s a statement).
 *
 * A visit carries the counts of its own events (pageviews, custom events, engagements and their
 * milliseconds, the distinct (name, path) pairs of its pageviews and custom events), so the
 * events of a visit that lies wholly inside the range — and, with a time dimension, inside one
 * bucket — are counted from its row alone. Only the visits that cross the range's start or end,
 * or a bucket boundary, have their events read from `events` and joined to them, and that read
 * is bounded by those visits' spans through the events' primary key (no such visit: no event
 * read). Both parts pass the same visit filter; distinct visitors are counted over both at once.
 */
import { toClickHouseTime } from '@tidemark/shared';
import { bucketSql, dimensionSql, filterDimensions, filterSql, Params, VISIT_ATTRIBUTE_COLUMNS } from './fields.ts';
import { dayAligned, type Statement, type StatementInput } from './statements.ts';
import { type Dimension, isTimeDimension, isVisitDimension, type Metric, VISIT_METRICS } from './vocabulary.ts';

/** Event metrics a visit's row holds the counts of (per visit; by page only its distinct visitors). */
const FROM_VISITS: readonly Metric[] = ['visitors', 'pageviews', 'events', 'time_on_page', 'percentage'];
const BY_PAGE: readonly Metric[] = ['visitors', 'percentage'];
const DAY = 86_400_000;

/**
 * Whether the event statement can count from visits: a visit attribute used (a filter or a
 * dimension), filters on visit attributes only, dimensions of the visit, time, or `page` (then
 * distinct visitors only), and event metrics a visit holds the counts of (no scroll depth,
 * conversions, goals or properties).
 */
export function visitEventsEligible(input: StatementInput): boolean {
  const { metrics } = input;
  if (metrics === undefined || input.rawOnly === true || input.conversions || input.converters === true) return false;
  const filtered = filterDimensions(input.filters);
  if (!filtered.every(isVisitDimension) || ![...filtered, ...input.dimensions].some(isVisitDimension)) return false;
  const page = input.dimensions.includes('page');
  const allowed = page ? BY_PAGE : FROM_VISITS;
  if (!metrics.every((m) => VISIT_METRICS.includes(m) || allowed.includes(m))) return false;
  return input.dimensions.every((d) => d === 'page' || isVisitDimension(d) || isTimeDimension(d));
}

export function visitEventsStatement(input: StatementInput, buckets: readonly number[]): Statement {
  const params = new Params(input.goals);
  const zone = params.add('String', input.zone);
  const sites = params.add('Array(String)', input.sites);
  // Raw events count from their retention on (as `eventStatement`): so do the visits' counts.
  const fromMs = Math.min(input.to, Math.max(input.from, input.rawFrom ?? input.from));
  const from = params.add("DateTime64(3, 'UTC')", toClickHouseTime(fromMs));
  const to = params.add("DateTime64(3, 'UTC')", toClickHouseTime(input.to));
  const time = { interval: input.interval, zone };
  const timeDim = input.dimensions.find(isTimeDimension);
  const filter = filterSql(input.filters, 'e', params);
  // A visit wholly inside the range (and inside one time bucket) is counted from its row; the
  // others are those crossing the range's start, its end, or (with a time dimension) a bucket's.
  const bucketOf = (column: string) => bucketSql(column, input.interval, zone);
  const splitsBuckets = timeDim !== undefined && !dayAligned(input, buckets);
  const sameBucket = splitsBuckets ? ` AND ${bucketOf('v.first_at')} = ${bucketOf('v.last_at')}` : '';
  const inside = `v.first_at >= ${from} AND v.first_at < ${to} AND v.last_at < ${to}${sameBucket}`;
  // Each kind apart, so that the primary key (first_at) and the skip index (last_at) bound its read.
  // Visitor ids rotate with the UTC day, so no visit crosses a UTC midnight: a boundary there
  // has no crossing visit to look for (a 30-day view in UTC has none at all).
  const kinds = [
    ...(fromMs % DAY === 0 ? [] : [`v.first_at < ${from} AND v.last_at >= ${from}`]),
    ...(input.to % DAY === 0 ? [] : [`v.first_at >= ${from} AND v.first_at < ${to} AND v.last_at >= ${to}`]),
    ...(splitsBuckets ? [`v.first_at >= ${from} AND v.last_at < ${to} AND ${bucketOf('v.first_at')} != ${bucketOf('v.last_at')}`] : []),
  ];
  // FINAL for the rows counted; the bounds of the event read may take a superseded row too (a wider bound).
  const crossing = (kind: string, columns: string, final = ' FINAL') =>
    `SELECT ${columns} FROM ${input.tables.visits} AS v${final} WHERE v.site IN ${sites} AND ${kind} AND ${filter}`;
  const crossers = (columns: string, final = ' FINAL') => kinds.map((k) => crossing(k, columns, final)).join(' UNION ALL ');
  const dimOf = (d: Dimension, i: number, src: 'v' | 'e') =>
    d === 'page' ? (src === 'v' ? 'page' : 'e.path') : dimensionSql(d, src, params, time, input.pointers[i] ?? '');
  const dims = (src: 'v' | 'e') => input.dimensions.map((d, i) => `${dimOf(d, i, src)} AS d${i}`);
  const pages = input.dimensions.includes('page') ? 'ARRAY JOIN arrayDistinct(v.pairs.path) AS page' : '';
  // The crossing visits' events lie within their spans: each kind's read is bounded by its
  // earliest start and latest end (none: an empty span, nothing read).
  const bounds = kinds
    .map((k) => {
      const span = crossing(k, `ifNull(minOrNull(v.first_at), ${to}) AS lo, ifNull(maxOrNull(v.last_at), ${from}) AS hi`, '');
      return `(e0.timestamp >= (SELECT lo FROM (${span})) AND e0.timestamp <= (SELECT hi FROM (${span})))`;
    })
    .join(' OR ');
  const sql = `
    SELECT ${[...input.dimensions.map((_, i) => `d${i}`), pages ? VISITORS_SQL : METRICS_SQL].join(',\n  ')}
    FROM (
      SELECT ${[...dims('v'), VISIT_COUNTS].join(', ')}
      FROM ${input.tables.visits} AS v FINAL
      ${pages}
      WHERE v.site IN ${sites} AND ${inside} AND ${filter}
      ${
        kinds.length === 0
          ? ''
          : `UNION ALL
      SELECT ${[...dims('e'), EVENT_COUNTS].join(', ')}
      FROM (
        SELECT e0.site AS site, e0.name AS name, e0.timestamp AS timestamp, e0.visitor_id AS visitor_id, e0.path AS path,
               e0.duration_ms AS duration_ms
        FROM ${input.tables.events} AS e0
        WHERE e0.site IN ${sites} AND e0.timestamp >= ${from} AND e0.timestamp < ${to} AND (${bounds})
          AND (e0.site, e0.visitor_id) IN (${crossers('v.site, v.visitor_id', '')})
        LIMIT 1 BY e0.event_id
      ) AS e
      INNER JOIN (${crossers(VISIT_ATTRIBUTE_COLUMNS)}) AS v
        ON e.site = v.site AND e.visitor_id = v.visitor_id
      WHERE e.timestamp >= v.first_at AND e.timestamp <= v.last_at`
      }
    )
    ${input.dimensions.length === 0 ? '' : `GROUP BY ${input.dimensions.map((_, i) => `d${i}`).join(', ')}`}`;
  return { sql, params: params.values, dims: input.dimensions.map((_, i) => `d${i}`) };
}

const VISIT_COUNTS = `v.visitor_id AS visitor_id, v.pageviews + v.events > 0 AS counted, toUInt64(v.pageviews) AS pv,
  toUInt64(v.events) AS ev, toUInt64(v.engagements) AS en, toUInt64(v.engaged_ms) AS ms`;

const EVENT_COUNTS = `e.visitor_id AS visitor_id, e.name != 'engagement' AS counted, toUInt64(e.name = 'pageview') AS pv,
  toUInt64(e.name NOT IN ('pageview', 'engagement')) AS ev, toUInt64(e.name = 'engagement') AS en,
  toUInt64(if(e.name = 'engagement', e.duration_ms, 0)) AS ms`;

/** By page: distinct visitors only (a visit's counts are not per path); its other columns are never asked. */
const VISITORS_SQL = `0 AS pageviews, 0 AS events, uniqIf(visitor_id, counted) AS visitors, 0 AS time_on_page, 0 AS engagements,
  0 AS scroll_depth, 0 AS scrolls, 0 AS conversions, 0 AS converters`;

/** The event statement's columns (`statements.ts`); those a visit does not hold are zero (never asked: `visitEventsEligible`). */
const METRICS_SQL = `sum(pv) AS pageviews, sum(ev) AS events, uniqIf(visitor_id, counted) AS visitors,
  ifNotFinite(sum(ms) / sum(en), 0) AS time_on_page, sum(en) AS engagements, 0 AS scroll_depth, 0 AS scrolls,
  0 AS conversions, 0 AS converters`;

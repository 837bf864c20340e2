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
 *
 * Goals (the goals panel under a visit filter) the same way: the goals a visit's pairs complete
 * say whether it converted, and which goals (`goal` dimension: one row per goal it completes).
 * Its conversion counts come from its row when each kind of its events (pageviews, custom events)
 * completes one set of goals — all of its pageviews complete the same goals, and so do all of its
 * custom events, so a goal's count is its pageviews, its custom events, both or none; without the
 * `goal` dimension only whether they complete some goal must agree. The pairs are distinct, not
 * counted: a visit whose pageviews (or custom events) complete different goals has its events read
 * raw, like a crossing visit.
 */
import { toClickHouseTime } from '@tidemark/shared';
import { bucketSql, dimensionSql, filterDimensions, filterSql, goalsOf, Params, VISIT_ATTRIBUTE_COLUMNS } from './fields.ts';
import { hasPropGoals, type SiteGoals } from './goals.ts';
import { dayAligned, type Statement, type StatementInput } from './statements.ts';
import { type Dimension, isTimeDimension, isVisitDimension, type Metric, VISIT_METRICS } from './vocabulary.ts';

/** Event metrics a visit's row holds the counts of (per visit; by page only its distinct visitors; by goal no time on page). */
const FROM_VISITS: readonly Metric[] = ['visitors', 'pageviews', 'events', 'time_on_page', 'percentage', 'conversions', 'conversion_rate'];
const BY_PAGE: readonly Metric[] = ['visitors', 'percentage'];
const BY_GOAL: readonly Metric[] = ['visitors', 'pageviews', 'events', 'percentage', 'conversions', 'conversion_rate'];
const DAY = 86_400_000;

/**
 * Whether the goals can be told from a visit's (name, path) pairs: no property condition (the
 * pairs hold no props) and no goal of engagements (the pairs leave engagements out).
 */
function goalsFromPairs(goals: SiteGoals): boolean {
  return !hasPropGoals(goals) && !goals.configured.some(([, list]) => list.some((g) => 'event' in g && g.event === 'engagement'));
}

/**
 * Whether the event statement can count from visits: a visit attribute used (a filter or a
 * dimension), filters on visit attributes only, dimensions of the visit, time, and `page` (then
 * distinct visitors only) or `goal` (goals a visit's pairs tell), and event metrics a visit holds
 * the counts of (no scroll depth or properties).
 */
export function visitEventsEligible(input: StatementInput): boolean {
  const { metrics } = input;
  if (metrics === undefined || input.rawOnly === true) return false;
  const filtered = filterDimensions(input.filters);
  if (!filtered.every(isVisitDimension) || ![...filtered, ...input.dimensions].some(isVisitDimension)) return false;
  const page = input.dimensions.includes('page');
  const goal = input.dimensions.includes('goal');
  if (page && goal) return false;
  if ((goal || input.conversions || input.converters === true) && !goalsFromPairs(input.goals)) return false;
  const allowed = page ? BY_PAGE : goal ? BY_GOAL : FROM_VISITS;
  if (!metrics.every((m) => VISIT_METRICS.includes(m) || allowed.includes(m))) return false;
  return input.dimensions.every((d) => d === 'page' || d === 'goal' || isVisitDimension(d) || isTimeDimension(d));
}

/**
 * The goal columns of a visit: `pairs` its pairs as (is a pageview, the goals the pair completes);
 * `exact(pg)` whether its counts per goal (`byGoal`) or of conversions are exact from its row, given
 * its `pairs` as `pg` (see the file's comment); and, per visit (or per goal `g` it completes),
 * whether its pageviews / custom events complete it (or any goal).
 */
function visitGoals(byGoal: boolean, params: Params) {
  // What must agree among a kind's pairs: the goals themselves (by goal) or whether there are any.
  const key = byGoal ? 'arraySort(x.2)' : 'notEmpty(x.2)';
  const completes = byGoal ? 'has(x.2, g)' : 'notEmpty(x.2)';
  return {
    pairs: `arrayMap(p -> tuple(p.name = 'pageview', ${goalsOf('p', params, '/dimensions')}), v.pairs)`,
    exact: (pg: string) =>
      `length(arrayDistinct(arrayMap(x -> tuple(x.1, ${key}), ${pg}))) = length(arrayDistinct(arrayMap(p -> p.name = 'pageview', v.pairs)))`,
    pageviews: `arrayExists(x -> x.1 AND ${completes}, pg)`,
    customs: `arrayExists(x -> NOT x.1 AND ${completes}, pg)`,
    goals: 'arrayDistinct(arrayFlatten(arrayMap(x -> x.2, pg)))',
  };
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
  const byGoal = input.dimensions.includes('goal');
  const metrics = input.metrics ?? [];
  // Goals evaluated: by goal, or for conversions (their count) or converters (conversion_rate).
  const counting = metrics.includes('conversions') || (byGoal && (metrics.includes('pageviews') || metrics.includes('events')));
  const goals = byGoal || counting || input.converters === true ? visitGoals(byGoal, params) : null;
  // A visit whose goal counts its row cannot tell is read raw (when those counts are asked). Without
  // the goal dimension and configured goals, every custom event is a conversion and no pageview is.
  const exact = goals && counting && (byGoal || input.goals.configured.length > 0) ? goals.exact : null;
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
    ...(goals && exact ? [`${inside} AND NOT (${exact(goals.pairs)})`] : []),
  ];
  // FINAL for the rows counted; the bounds of the event read may take a superseded row too (a wider bound).
  const crossing = (kind: string, columns: string, final = ' FINAL') =>
    `SELECT ${columns} FROM ${input.tables.visits} AS v${final} WHERE v.site IN ${sites} AND ${kind} AND ${filter}`;
  const crossers = (columns: string, final = ' FINAL') => kinds.map((k) => crossing(k, columns, final)).join(' UNION ALL ');
  const dimOf = (d: Dimension, i: number, src: 'v' | 'e') =>
    d === 'page'
      ? src === 'v'
        ? 'page'
        : 'e.path'
      : d === 'goal' && src === 'v'
        ? 'g'
        : dimensionSql(d, src, params, time, input.pointers[i] ?? '');
  const dims = (src: 'v' | 'e') => input.dimensions.map((d, i) => `${dimOf(d, i, src)} AS d${i}`);
  const arrayJoin = input.dimensions.includes('page')
    ? 'ARRAY JOIN arrayDistinct(v.pairs.path) AS page'
    : byGoal && goals
      ? `ARRAY JOIN ${goals.goals} AS g`
      : '';
  // The crossing visits' events lie within their spans: each kind's read is bounded by its
  // earliest start and latest end (none: an empty span, nothing read), one scalar each.
  const spans = kinds.map(
    (k, i) =>
      `(SELECT tuple(ifNull(minOrNull(v.first_at), ${to}), ifNull(maxOrNull(v.last_at), ${from})) ${crossing(k, '', '').slice('SELECT '.length)}) AS b${i}`,
  );
  const bounds = kinds.map((_, i) => `(e0.timestamp >= tupleElement(b${i}, 1) AND e0.timestamp <= tupleElement(b${i}, 2))`).join(' OR ');
  const visitRows = `FROM ${input.tables.visits} AS v FINAL`;
  const visitWhere = `WHERE v.site IN ${sites} AND ${inside} AND ${filter}`;
  // With goals, the visits' pairs as `pg` first (each pair's goals evaluated once), then per visit or per goal.
  const visitPart = goals
    ? `SELECT ${[...dims('v'), visitCounts(byGoal, goals)].join(', ')}
      FROM (SELECT *, ${goals.pairs} AS pg ${visitRows} ${visitWhere}${exact ? ` AND ${exact('pg')}` : ''}) AS v
      ${arrayJoin}`
    : `SELECT ${[...dims('v'), VISIT_COUNTS, NO_GOALS].join(', ')}
      ${visitRows} ${arrayJoin}
      ${visitWhere}`;
  const eventGoals = goals
    ? byGoal
      ? GOAL_EVENT
      : `toUInt64(notEmpty(${goalsOf('e', params, '/metrics')})) AS cn, toUInt8(cn) AS cv`
    : NO_GOALS;
  const sql = `
    SELECT ${[...input.dimensions.map((_, i) => `d${i}`), input.dimensions.includes('page') ? VISITORS_SQL : METRICS_SQL].join(',\n  ')}
    FROM (
      ${visitPart}
      ${
        kinds.length === 0
          ? ''
          : `UNION ALL
      SELECT ${[...dims('e'), EVENT_COUNTS, eventGoals].join(', ')}
      FROM (${crossers(VISIT_ATTRIBUTE_COLUMNS)}) AS v
      INNER JOIN (
        WITH ${spans.join(', ')}
        SELECT e0.site AS site, e0.name AS name, e0.timestamp AS timestamp, e0.visitor_id AS visitor_id, e0.path AS path,
               e0.duration_ms AS duration_ms
        FROM ${input.tables.events} AS e0
        WHERE e0.site IN ${sites} AND e0.timestamp >= ${from} AND e0.timestamp < ${to} AND (${bounds})
          AND (e0.site, e0.visitor_id) IN (${crossers('v.site, v.visitor_id', '')})
        LIMIT 1 BY e0.event_id
      ) AS e
        ON e.site = v.site AND e.visitor_id = v.visitor_id
      WHERE e.timestamp >= v.first_at AND e.timestamp <= v.last_at`
      }
    )
    ${input.dimensions.length === 0 ? '' : `GROUP BY ${input.dimensions.map((_, i) => `d${i}`).join(', ')}`}`;
  return { sql, params: params.values, dims: input.dimensions.map((_, i) => `d${i}`) };
}

const VISIT_COUNTS = `v.visitor_id AS visitor_id, v.pageviews + v.events > 0 AS counted, toUInt64(v.pageviews) AS pv,
  toUInt64(v.events) AS ev, toUInt64(v.engagements) AS en, toUInt64(v.engaged_ms) AS ms`;

/** No goal evaluated: no conversion (`cn`), no converter (`cv`). */
const NO_GOALS = 'toUInt64(0) AS cn, toUInt8(0) AS cv';

/**
 * A visit's counts with its goals: per visit, its own counts, its conversions (the pageviews and
 * custom events of the kinds that complete a goal) and whether it converted; per goal it completes,
 * the pageviews and custom events that complete that goal, both its conversions, and no engagement.
 */
function visitCounts(byGoal: boolean, goals: ReturnType<typeof visitGoals>): string {
  const pv = `if(${goals.pageviews}, toUInt64(v.pageviews), 0)`;
  const ev = `if(${goals.customs}, toUInt64(v.events), 0)`;
  if (byGoal)
    return `v.visitor_id AS visitor_id, toUInt8(1) AS counted, ${pv} AS pv, ${ev} AS ev, toUInt64(0) AS en, toUInt64(0) AS ms,
      pv + ev AS cn, toUInt8(1) AS cv`;
  return `${VISIT_COUNTS}, ${pv} + ${ev} AS cn, toUInt8(${goals.pageviews} OR ${goals.customs}) AS cv`;
}

const EVENT_COUNTS = `e.visitor_id AS visitor_id, e.name != 'engagement' AS counted, toUInt64(e.name = 'pageview') AS pv,
  toUInt64(e.name NOT IN ('pageview', 'engagement')) AS ev, toUInt64(e.name = 'engagement') AS en,
  toUInt64(if(e.name = 'engagement', e.duration_ms, 0)) AS ms`;

/** A raw event by goal (one row per goal it completes, `dimensionSql`): a conversion of that goal. */
const GOAL_EVENT = 'toUInt64(1) AS cn, toUInt8(1) AS cv';

/** By page: distinct visitors only (a visit's counts are not per path); its other columns are never asked. */
const VISITORS_SQL = `0 AS pageviews, 0 AS events, uniqIf(visitor_id, counted) AS visitors, 0 AS time_on_page, 0 AS engagements,
  0 AS scroll_depth, 0 AS scrolls, 0 AS conversions, 0 AS converters`;

/** The event statement's columns (`statements.ts`); those a visit does not hold are zero (never asked: `visitEventsEligible`). */
const METRICS_SQL = `sum(pv) AS pageviews, sum(ev) AS events, uniqIf(visitor_id, counted) AS visitors,
  ifNotFinite(sum(ms) / sum(en), 0) AS time_on_page, sum(en) AS engagements, 0 AS scroll_depth, 0 AS scrolls,
  sum(cn) AS conversions, uniqIf(visitor_id, cv) AS converters`;

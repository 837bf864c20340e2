/**
 * Event metrics under negated property and event-attribute filters, counted the other way round
 * (issue 18: a filter-bar click `prop:plan is_not free`). Such a negation N passes nearly every
 * event (an event without the property passes), so the event statement would read, dedupe and
 * join every raw event of the range. Its positive form P (`positiveOf`: `is`, `contains`,
 * `matches`, never holding for '' — a missing value) passes few; every event passes exactly one
 * of N and P. So, per group:
 * - pageviews, custom events, engagements and conversions under N are those without N (the counts
 *   and rollups the planner reads for the remaining filters: `eventStatementOf`) less those of the
 *   events passing P as well (read raw, each event id once);
 * - distinct visitors (and converters) under N are those without N less the visitors whose events
 *   in the group (non-engagement ones; for converters those completing a goal) all pass P: such a
 *   visitor has an event passing P in the range, so only the raw events of those few visitors are
 *   read (`rawEventsSource`'s `visitorsOf`), and compared per (group, visitor);
 * - a group keeps its row while one of its events is left (engagements included, as raw rows do).
 *
 * Only when the remaining filters are answered by counts or rollups (`nameCounts`, the
 * quarter-hour and day rollups, the visit counts): else the raw read is as big either way. Not for
 * means (time_on_page, scroll_depth), property or event-attribute dimensions, a range reaching
 * before the raw events kept (its older events are in the rollups only), or when another event
 * filter passes few events already (`fewEvents`: the plain statement reads few).
 */
import { toClickHouseTime } from '@tidemark/shared';
import { attributeVisitsEligible } from './attribute-visits.ts';
import { byLevel, dimensionSql, fewEvents, filterDimensions, filterSql, goalsOf, Params, VISIT_ATTRIBUTE_COLUMNS } from './fields.ts';
import { dayEnd, positiveOf } from './matched-visits.ts';
import { nameCountsEligible } from './name-counts.ts';
import { nameVisitsEligible } from './name-visits.ts';
import { pageVisitsEligible } from './page-visits.ts';
import type { Filter } from './parse.ts';
import { EVENT_COLUMNS, rawEventsSource, rollupEligible, type Statement, type StatementInput, visitRollupEligible } from './statements.ts';
import { visitCountsEligible } from './visit-counts.ts';
import { EVENT_ATTRIBUTE_DIMENSIONS, isEventDimension, isVisitDimension, type Metric, PROP_PREFIX, VISIT_METRICS } from './vocabulary.ts';

/** The metrics whose figures are counts (subtractable); the visit metrics come from their own statement. */
const COUNTS: readonly Metric[] = ['visitors', 'pageviews', 'events', 'conversions', 'conversion_rate', 'percentage'];

/** Whether a dimension is a property or an event's own attribute (the raw events alone hold it). */
function attribute(d: string): boolean {
  return d.startsWith(PROP_PREFIX) || (EVENT_ATTRIBUTE_DIMENSIONS as readonly string[]).includes(d);
}

/** The positive form of a negation of one property or event attribute (`positiveOf`), or null. */
function negatedAttribute(f: Filter): Filter | null {
  const dims = filterDimensions([f]);
  if (dims.length !== 1 || !attribute(dims[0] as string)) return null;
  return positiveOf(f);
}

export interface Negated {
  /** The filters kept: the statement without the negations counts from them. */
  kept: Filter[];
  /** What the negations' events fail: their positive forms, or-ed. */
  positive: Filter;
}

/**
 * The query's negations of a property or event attribute whose positive form passes few events,
 * split from its other filters; null when there is none, or when another event-level filter passes
 * few events already (the plain statement is fast).
 */
export function negatedFilters(filters: readonly Filter[]): Negated | null {
  if (fewEvents(byLevel(filters).event)) return null;
  const kept: Filter[] = [];
  const positives: Filter[] = [];
  for (const f of filters) {
    const p = negatedAttribute(f);
    if (p === null) kept.push(f);
    else positives.push(p);
  }
  if (positives.length === 0) return null;
  const positive = positives.length === 1 ? (positives[0] as Filter) : ({ op: 'or', filters: positives, pointer: '' } as Filter);
  return { kept, positive };
}

/** The event statement's plan under negations (see above), or null: the plain statement answers. */
export function negatedCountsPlan(input: StatementInput, buckets: readonly number[]): (Negated & { base: StatementInput }) | null {
  const { metrics } = input;
  if (metrics === undefined || input.rawOnly === true || input.from >= input.to) return null;
  if (!metrics.every((m) => VISIT_METRICS.includes(m) || COUNTS.includes(m))) return null;
  if (input.rawFrom !== undefined && input.rawFrom > input.from) return null;
  if (input.dimensions.some(attribute)) return null;
  const negated = negatedFilters(input.filters);
  if (negated === null) return null;
  const base = { ...input, filters: negated.kept };
  // The statement without the negations reads counts or rollups (engine.ts `eventStatementOf` picks the first that holds).
  if (!nameCountsEligible(base, buckets) && !rollupEligible(base, buckets) && !visitCountsEligible(base, buckets)) return null;
  return { ...negated, base };
}

/**
 * A statement's bound range and sites, and its dimension columns (`d0`…) over `src`: the events
 * (`e`) or their visits (`v`).
 */
function rangeParts(input: StatementInput, src: 'e' | 'v') {
  const params = new Params(input.goals);
  const zone = params.add('String', input.zone);
  const sites = params.add('Array(String)', input.sites);
  const from = params.add("DateTime64(3, 'UTC')", toClickHouseTime(input.from));
  const to = params.add("DateTime64(3, 'UTC')", toClickHouseTime(input.to));
  const keys = input.dimensions.map((_, i) => `d${i}`);
  const dims = input.dimensions.map(
    (d, i) => `${dimensionSql(d, src, params, { interval: input.interval, zone }, input.pointers[i] ?? '')} AS d${i}`,
  );
  return { params, sites, from, to, keys, dims };
}

/**
 * Per group, what the events passing P take from the counts without the negations: their
 * pageviews, custom events, engagements and conversions, and the visitors (converters) whose
 * events of the group (completing a goal) all pass P. Only the visitors with an event passing P
 * in the range are read.
 */
export function negatedCountsStatement(input: StatementInput, negated: Negated): Statement {
  const { params, sites, from, to, keys, dims } = rangeParts(input, 'e');
  const p = filterSql([negated.positive], 'e', params);
  const { source, where } = rawEventsSource({ ...input, filters: negated.kept }, params, sites, from, to, p);
  if (input.dimensions.includes('event')) where.push("e.name != 'engagement'");
  const goals = input.conversions ? `notEmpty(${goalsOf('e', params, '/metrics')})` : '0';
  const perVisitor = [
    "countIf(e.name != 'engagement') AS n",
    `countIf(e.name != 'engagement' AND ${p}) AS np`,
    `countIf(e.name = 'pageview' AND ${p}) AS pv`,
    `countIf(e.name NOT IN ('pageview', 'engagement') AND ${p}) AS ev`,
    `countIf(e.name = 'engagement' AND ${p}) AS en`,
    `countIf(${goals}) AS c`,
    `countIf(${goals} AND ${p}) AS cp`,
  ];
  const sql = `
    SELECT ${[
      ...keys,
      'sum(pv) AS pageviews',
      'sum(ev) AS events',
      'sum(en) AS engagements',
      'countIf(n > 0 AND np = n) AS visitors',
      'sum(cp) AS conversions',
      'countIf(c > 0 AND cp = c) AS converters',
    ].join(', ')}
    FROM (
      SELECT ${[...dims, 'e.site AS vs', 'e.visitor_id AS vid', ...perVisitor].join(',\n  ')}
      FROM ${source}
      WHERE ${where.join(' AND ')}
      GROUP BY ${[...keys, 'vs', 'vid'].join(', ')}
    )
    ${keys.length === 0 ? '' : `GROUP BY ${keys.join(', ')}`}`;
  return { sql, params: params.values, dims: keys };
}

const TAKEN = ['pageviews', 'events', 'engagements', 'visitors', 'conversions', 'converters'] as const;

type Row = Record<string, unknown>;

/**
 * The rows of `base` less those of `taken` with the same dimension values (`key`), column by
 * column (each difference through `floor`); a row that `left` says has nothing left is dropped.
 */
function subtractRows(
  base: Row[],
  taken: Row[],
  key: (row: Row) => string,
  columns: readonly string[],
  left: (row: Row) => boolean,
  floor: (n: number) => number = (n) => n,
): Row[] {
  const minus = new Map(taken.map((r) => [key(r), r]));
  const out: Row[] = [];
  for (const row of base) {
    const t = minus.get(key(row));
    if (t === undefined) {
      out.push(row);
      continue;
    }
    const rest: Row = { ...row };
    for (const k of columns) rest[k] = floor(Number(row[k] ?? 0) - Number(t[k] ?? 0));
    if (left(rest)) out.push(rest);
  }
  return out;
}

/**
 * The rows without the negations less what the events passing P take (`negatedCountsStatement`),
 * by the dimension values (`key`); a group none of whose events is left has no row.
 */
export function subtractNegated(base: Row[], taken: Row[], key: (row: Row) => string): Row[] {
  return subtractRows(
    base,
    taken,
    key,
    TAKEN,
    // Distinct visitors left: an event of theirs is (a statement of visitors alone has no other counts: the marks).
    (r) => Number(r.pageviews) + Number(r.events) + Number(r.engagements) + Number(r.visitors) > 0,
    (n) => Math.max(0, n),
  );
}

/**
 * The visit statement's plan under negations: visit metrics by visit attributes and time only (a
 * visit counts once), every other filter of one level (a visit's, or its events'), and the visit
 * statement without the negations reading the visit rollups or sums. Visits are sums (visits,
 * bounces, duration, pageviews), so those under N are those without N less the visits whose
 * events passing the other event filters all pass P — visits of the visitors with an event passing P.
 */
export function negatedVisitsPlan(input: StatementInput, buckets: readonly number[]): (Negated & { base: StatementInput }) | null {
  if (input.from >= input.to || input.dimensions.some((d) => isEventDimension(d))) return null;
  if (input.rawFrom !== undefined && input.rawFrom > input.from) return null;
  const negated = negatedFilters(input.filters);
  if (negated === null) return null;
  for (const f of negated.kept) {
    const dims = filterDimensions([f]);
    if (!dims.every(isVisitDimension) && !dims.every(isEventDimension)) return null;
  }
  const base = { ...input, filters: negated.kept };
  // engine.ts asks these first, in this order: the first that holds answers the statement without the negations.
  const fast =
    visitRollupEligible(base, buckets) ||
    pageVisitsEligible(base, buckets) ||
    nameVisitsEligible(base, buckets) ||
    attributeVisitsEligible(base, buckets);
  return fast ? { ...negated, base } : null;
}

/**
 * Per group, the visits starting in the range (and their sums) whose pageviews and custom events
 * that pass the other event filters are all events passing P (one at least): the raw events of the
 * visitors with an event passing P, each id once, joined to their visits.
 */
export function negatedVisitsStatement(input: StatementInput, negated: Negated): Statement {
  const { params, sites, from, to, keys, dims } = rangeParts(input, 'v');
  const levels = byLevel(negated.kept);
  const p = filterSql([negated.positive], 'e', params);
  const other = filterSql(levels.event, 'e', params);
  const visitsOfRange = `site IN ${sites} AND first_at >= ${from} AND first_at < ${to}`;
  // The events of the range's visits: from its start (no visit of it starts earlier) to the end of
  // to's UTC day (no visit crosses a UTC midnight: none of them ends later).
  const end = params.add("DateTime64(3, 'UTC')", toClickHouseTime(dayEnd(input.to)));
  const eventsOf = `site IN ${sites} AND name != 'engagement' AND timestamp >= ${from} AND timestamp < ${end}`;
  const few = `(site, visitor_id) IN (SELECT site, visitor_id FROM ${input.tables.events} AS e WHERE ${eventsOf} AND ${p})`;
  const sql = `
    SELECT ${[...keys, 'count() AS visits', 'countIf(m.pv = 1 AND m.ev = 0) AS bounces', 'sum(m.ms) AS duration', 'sum(m.pv) AS visit_pageviews'].join(', ')}
    FROM (
      SELECT v.pageviews AS pv, v.events AS ev,
             toUnixTimestamp64Milli(v.last_at) - toUnixTimestamp64Milli(v.first_at) AS ms${dims.map((d) => `, ${d}`).join('')},
             countIf(${other}) AS n, countIf(${other} AND ${p}) AS np
      FROM (
        SELECT ${EVENT_COLUMNS} FROM ${input.tables.events} AS e
        WHERE ${eventsOf} AND ${few}
        LIMIT 1 BY event_id
      ) AS e
      INNER JOIN (
        SELECT ${VISIT_ATTRIBUTE_COLUMNS}, pageviews, events FROM ${input.tables.visits} FINAL
        WHERE ${visitsOfRange} AND pageviews + events > 0 AND ${few}
      ) AS v ON e.site = v.site AND e.visitor_id = v.visitor_id
      WHERE e.timestamp >= v.first_at AND e.timestamp <= v.last_at AND ${filterSql(levels.rest, 'e', params)}
      GROUP BY v.site, v.visitor_id, v.first_at, v.last_at, v.pageviews, v.events${keys.map((k) => `, ${k}`).join('')}
      HAVING n > 0 AND np = n
    ) AS m
    ${keys.length === 0 ? '' : `GROUP BY ${keys.join(', ')}`}`;
  return { sql, params: params.values, dims: keys };
}

const VISIT_SUMS = ['visits', 'bounces', 'duration', 'visit_pageviews'] as const;

/** The visit rows without the negations less the visits taken (`negatedVisitsStatement`); a group with no visit left has no row. */
export function subtractVisits(base: Row[], taken: Row[], key: (row: Row) => string): Row[] {
  return subtractRows(base, taken, key, VISIT_SUMS, (r) => Number(r.visits) > 0);
}

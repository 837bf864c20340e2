/**
 * The two statements a query is answered with, grouped by the query's dimensions:
 * - events: the range's events (raw `events`, one row per event id) that pass the filters,
 *   joined to their visit (the visit of the same visitor whose span holds the event) when a
 *   visit dimension or filter is used — pageviews, events, visitors, time on page, conversions;
 * - visits: the visits (`visits` FINAL) that start in the range and have a pageview or custom
 *   event that passes the filters — visits, bounces, durations, pageviews per visit.
 */
import type { Tables } from '../queries/tables.ts';
import { dimensionSql, filterDimensions, filterSql, Params } from './fields.ts';
import type { Filter } from './parse.ts';
import { type Dimension, type Interval, isEventDimension, isTimeDimension, isVisitDimension } from './vocabulary.ts';

export interface Statement {
  sql: string;
  params: Record<string, unknown>;
  /** Result column names of the dimensions, in order. */
  dims: string[];
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
}

const time = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 23);
const EVENT_COLUMNS =
  'site, name, timestamp, visitor_id, path, duration_ms, props, referrer_source, referrer_host, country, device, browser, os, utm_source, utm_medium, utm_campaign';

export const EVENT_METRICS_SQL = `countIf(e.name = 'pageview') AS pageviews,
  countIf(e.name NOT IN ('pageview', 'engagement')) AS events,
  uniqIf(e.visitor_id, e.name != 'engagement') AS visitors,
  ifNotFinite(avgIf(e.duration_ms, e.name = 'engagement'), 0) AS time_on_page,
  countIf(e.name NOT IN ('pageview', 'engagement')) AS conversions,
  uniqIf(e.visitor_id, e.name NOT IN ('pageview', 'engagement')) AS converters`;

export const VISIT_METRICS_SQL = `count() AS visits,
  countIf(v.pageviews = 1 AND v.events = 0) AS bounces,
  sum(toUnixTimestamp64Milli(v.last_at) - toUnixTimestamp64Milli(v.first_at)) AS duration,
  sum(v.pageviews) AS visit_pageviews`;

function groupBy(dims: string[]): string {
  return dims.length === 0 ? '' : `GROUP BY ${dims.join(', ')}`;
}

export function eventStatement(input: StatementInput): Statement {
  const params = new Params();
  const zone = params.add('String', input.zone);
  const sites = params.add('Array(String)', input.sites);
  const from = params.add("DateTime64(3, 'UTC')", time(input.from));
  const to = params.add("DateTime64(3, 'UTC')", time(input.to));
  const joinVisits = [...input.dimensions, ...filterDimensions(input.filters)].some(isVisitDimension);
  const dims = input.dimensions.map(
    (d, i) => `${dimensionSql(d, 'e', params, { interval: input.interval, zone }, input.pointers[i] ?? '')} AS d${i}`,
  );
  const where = [filterSql(input.filters, 'e', params)];
  if (input.dimensions.includes('event')) where.push("e.name != 'engagement'");
  if (input.dimensions.includes('goal')) where.push("e.name NOT IN ('pageview', 'engagement')");
  const join = joinVisits
    ? `INNER JOIN (SELECT * FROM ${input.tables.visits} FINAL WHERE site IN ${sites} AND last_at >= ${from} AND first_at < ${to}) AS v
       ON e.site = v.site AND e.visitor_id = v.visitor_id`
    : '';
  if (joinVisits) where.push('e.timestamp >= v.first_at AND e.timestamp <= v.last_at');
  const sql = `
    SELECT ${[...dims, EVENT_METRICS_SQL].join(',\n  ')}
    FROM (
      SELECT ${EVENT_COLUMNS} FROM ${input.tables.events}
      WHERE site IN ${sites} AND timestamp >= ${from} AND timestamp < ${to}
      LIMIT 1 BY event_id
    ) AS e
    ${join}
    WHERE ${where.join(' AND ')}
    ${groupBy(input.dimensions.map((_, i) => `d${i}`))}`;
  return { sql, params: params.values, dims: input.dimensions.map((_, i) => `d${i}`) };
}

export function visitStatement(input: StatementInput): Statement {
  const params = new Params();
  const zone = params.add('String', input.zone);
  const sites = params.add('Array(String)', input.sites);
  const from = params.add("DateTime64(3, 'UTC')", time(input.from));
  const to = params.add("DateTime64(3, 'UTC')", time(input.to));
  const eventLevel = [...input.dimensions, ...filterDimensions(input.filters)].some((d) => isEventDimension(d));
  const pairDims = input.dimensions.map((d, i) => ({ d, i })).filter(({ d }) => isEventDimension(d));
  const where = ['v.pageviews + v.events > 0'];
  const selects: string[] = [];
  let arrayJoin = '';
  const filter = filterSql(input.filters, 'p', params);
  if (pairDims.length > 0) {
    const tuple = pairDims.map(({ d, i }) => dimensionSql(d, 'p', params, null, input.pointers[i] ?? '')).join(', ');
    const keep = [filter, ...(input.dimensions.includes('goal') ? ["p.name NOT IN ('pageview', 'engagement')"] : [])].join(' AND ');
    arrayJoin = `ARRAY JOIN arrayDistinct(arrayMap(p -> tuple(${tuple}), arrayFilter(p -> ${keep}, v.pairs))) AS pd`;
  } else if (eventLevel) {
    where.push(`arrayExists(p -> ${filter}, v.pairs)`);
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
    FROM ${input.tables.visits} AS v FINAL
    ${arrayJoin}
    WHERE v.site IN ${sites} AND v.first_at >= ${from} AND v.first_at < ${to} AND ${where.join(' AND ')}
    ${groupBy(input.dimensions.map((_, i) => `d${i}`))}`;
  return { sql, params: params.values, dims: input.dimensions.map((_, i) => `d${i}`) };
}

export { isTimeDimension };

/**
 * The goals panel under one visit-attribute filter (`country is NL`: a locations row click) from
 * the visit counts `visit_visitors_1d` (clickhouse/029), when a site's goals are event names: a
 * site without configured goals (each custom event name is a goal) or with event goals without
 * property conditions (no pageview goal, no engagement goal). A day's row holds, per custom event
 * name, the distinct visitors and the events of the visits with the filter's value (`names`,
 * `name_visitors`, `name_events`), and the distinct visitors of any custom event
 * (`custom_visitors`). Visitor ids rotate with the UTC day, so over whole UTC days a goal's
 * converters are the sum of its name's days' visitors, and its conversions the sum of the events.
 * The totals (no `goal` dimension: conversions and converters of any goal) need converters of any
 * goal: a site without configured goals has them (`custom_visitors`), a site with configured goals
 * only when they are all of one event name.
 *
 * Unlike the other counts these are used only when every whole UTC day of the range with events is
 * counted and current (`uncountedDaysStatement`, checked first); otherwise the query counts from
 * visits. A range's partial UTC days (a zone off UTC), by goal and in the totals, are read from raw
 * events joined to their visits (each inside one UTC day: its distinct visitors and converters add
 * to the counted days').
 */
import { toClickHouseTime } from '@tidemark/shared';
import { Params } from './fields.ts';
import { goalsSql, type SiteGoals } from './goals.ts';
import { partialUtcDays, rawEventsSource, type Statement, type StatementInput, wholeUtcDays } from './statements.ts';
import { countedFilter } from './visit-counts.ts';
import { isVisitDimension, type Metric } from './vocabulary.ts';

const GOAL_METRICS: readonly Metric[] = ['visitors', 'events', 'conversions', 'conversion_rate'];

/** A custom event (of an event's own columns). */
const CUSTOM = "name NOT IN ('pageview', 'engagement')";

/** The one event name of a site's configured goals, or null (none, several, or a pageview or property goal among them). */
function oneName(goals: SiteGoals['configured'][number][1]): string | null {
  const names = new Set(goals.map((g) => ('event' in g && !g.props ? g.event : null)));
  return names.size === 1 ? ([...names][0] ?? null) : null;
}

/** Whether every goal is an event name (implicit, or configured event goals without properties and not of engagements). */
export function goalsAreNames(goals: SiteGoals): boolean {
  return goals.configured.every(([, list]) =>
    list.every((g) => 'event' in g && !g.props && g.event !== 'engagement' && g.event !== 'pageview'),
  );
}

export function goalCountsEligible(input: StatementInput, buckets: readonly number[]): boolean {
  const { metrics } = input;
  if (metrics === undefined || input.rawOnly === true || buckets.length > 0) return false;
  const [d, ...more] = input.dimensions;
  const byGoal = d === 'goal' && more.length === 0;
  if (!byGoal && !(d === undefined && (input.conversions || input.converters === true))) return false;
  if (!metrics.every((m) => GOAL_METRICS.includes(m))) return false;
  // A goal or custom event filter (a goals panel row click) is answered by the per-name counts (`name-counts.ts`).
  const f = countedFilter(input.filters);
  if (f === null || !isVisitDimension(f.dimension)) return false;
  // A range holding a whole UTC day (its partial UTC days — a zone off UTC — read raw).
  const [d0, d1] = wholeUtcDays(input);
  if (d0 >= d1) return false;
  if (input.rawFrom !== undefined && input.rawFrom > input.from) return false;
  if (!goalsAreNames(input.goals)) return false;
  return byGoal || input.goals.configured.every(([, list]) => oneName(list) !== null);
}

function daysOf(input: StatementInput, params: Params) {
  const sites = params.add('Array(String)', input.sites);
  const [d0, d1] = wholeUtcDays(input);
  const from = params.add("DateTime('UTC')", toClickHouseTime(d0).slice(0, 19));
  const to = params.add("DateTime('UTC')", toClickHouseTime(d1).slice(0, 19));
  const days = `site IN ${sites} AND bucket >= ${from} AND bucket < ${to}`;
  return {
    sites,
    days,
    totals: `(SELECT site, bucket, sum(events) AS e FROM ${input.tables.events1d} WHERE ${days} GROUP BY site, bucket)`,
  };
}

/**
 * Per site and custom event name, the distinct visitors and the events of the range's partial UTC
 * days at either end (each inside one UTC day: its visitors add to the counted days'), from raw
 * events joined to their visits under the query's filter.
 */
function edgeNames(input: StatementInput, params: Params, sites: string): string[] {
  const at = (ms: number) => params.add("DateTime64(3, 'UTC')", toClickHouseTime(ms));
  return partialUtcDays(input).map(([a, b]) => {
    // Only the custom events are read (a pageview or engagement converts nothing here), and only the visits holding one.
    const { source, where } = rawEventsSource(input, params, sites, at(a), at(b), undefined, { events: CUSTOM, visits: 'events > 0' });
    return `SELECT e.site AS site, toString(e.name) AS name, uniq(e.visitor_id) AS nv, count() AS ne
        FROM ${source}
        WHERE ${where.join(' AND ')} AND e.${CUSTOM}
        GROUP BY site, name`;
  });
}

/** The days of the range with events whose visit counts are missing or stale: `uncounted`, 0 when the counts answer. */
export function uncountedDaysStatement(input: StatementInput): Statement {
  const params = new Params();
  const { days, totals } = daysOf(input, params);
  const sql = `
    SELECT count() AS uncounted FROM ${totals}
    WHERE (site, bucket, e) NOT IN (SELECT site, bucket, events FROM ${input.tables.visitVisitors1d} WHERE ${days} AND dimension = '' AND held = events)`;
  return { sql, params: params.values, dims: [] };
}

export function goalCountsStatement(input: StatementInput): Statement {
  const params = new Params(input.goals);
  const counted = countedFilter(input.filters) as { dimension: string; value: string };
  const { sites, days, totals } = daysOf(input, params);
  const dimension = params.add('String', counted.dimension);
  const value = params.add('String', counted.value);
  const rows = `
      SELECT site, bucket, any(visitors) AS n, any(pageviews) AS pv, any(customs) AS cu, any(engagements) AS en, any(engaged_ms) AS ms,
             any(custom_visitors) AS cv, any(names) AS ns, any(name_visitors) AS nvs, any(name_events) AS nes
      FROM ${input.tables.visitVisitors1d}
      WHERE ${days} AND dimension = ${dimension} AND value = ${value} AND (site, bucket, events) IN ${totals}
      GROUP BY site, bucket`;
  if (input.dimensions[0] === 'goal') {
    const sql = `
      SELECT g AS d0, 0 AS pageviews, sum(e.ne) AS events, sum(e.nv) AS visitors, 0 AS time_on_page, 0 AS engagements, 0 AS scroll_depth,
             0 AS scrolls, sum(e.ne) AS conversions, sum(e.nv) AS converters
      FROM (${[`SELECT site, toString(name) AS name, nv, ne FROM (${rows}) ARRAY JOIN ns AS name, nvs AS nv, nes AS ne`, ...edgeNames(input, params, sites)].join('\n        UNION ALL ')}) AS e
      ARRAY JOIN ${goalsSql('e', input.goals, params, false)} AS g
      GROUP BY d0`;
    return { sql, params: params.values, dims: ['d0'] };
  }
  // Conversions and converters of any goal: a site's custom events (no configured goals), or its one goal name's.
  const implicit = params.add('Array(String)', input.goals.implicit);
  const configured = input.goals.configured.map(([site, list]) => [site, oneName(list) ?? ''] as const);
  const [siteList, nameList] = [
    params.add(
      'Array(String)',
      configured.map(([s]) => s),
    ),
    params.add(
      'Array(String)',
      configured.map(([, n]) => n),
    ),
  ];
  const nameOf = (site: string) => `transform(toString(${site}), ${siteList}, ${nameList}, '')`;
  const ofName = (xs: string) => `arraySum(arrayMap((x, nm) -> if(toString(nm) = ${nameOf('site')}, x, 0), ${xs}, ns))`;
  // The partial UTC days at either end (each inside one UTC day: its visitors add to the days') from raw events.
  const at = (ms: number) => params.add("DateTime64(3, 'UTC')", toClickHouseTime(ms));
  const edges = partialUtcDays(input).map(([a, b]) => {
    const { source, where } = rawEventsSource(input, params, sites, at(a), at(b));
    const converts = `e.name NOT IN ('pageview', 'engagement') AND (has(${implicit}, toString(e.site)) OR toString(e.name) = ${nameOf('e.site')})`;
    return `
      SELECT uniqIf(e.visitor_id, e.name != 'engagement') AS n, countIf(e.name = 'pageview') AS pv,
             countIf(e.name NOT IN ('pageview', 'engagement')) AS cu, countIf(e.name = 'engagement') AS en,
             sumIf(toUInt64(e.duration_ms), e.name = 'engagement') AS ms, countIf(${converts}) AS conv, uniqIf(e.visitor_id, ${converts}) AS cvv
      FROM ${source}
      WHERE ${where.join(' AND ')}`;
  });
  const counts = `
      SELECT n, pv, cu, en, ms, if(has(${implicit}, toString(site)), cu, ${ofName('nes')}) AS conv,
             if(has(${implicit}, toString(site)), cv, ${ofName('nvs')}) AS cvv
      FROM (${rows})`;
  const sql = `
    SELECT sum(pv) AS pageviews, sum(cu) AS events, sum(n) AS visitors, ifNotFinite(sum(ms) / sum(en), 0) AS time_on_page, sum(en) AS engagements,
           0 AS scroll_depth, 0 AS scrolls, sum(conv) AS conversions, sum(cvv) AS converters
    FROM (${[counts, ...edges].join('\n      UNION ALL')})`;
  return { sql, params: params.values, dims: [] };
}

/**
 * Event metrics under one goal or custom event filter (`goal is Signup`, `event is signup`: a click
 * on a goals panel row) from the per-name day counts `name_pages_1d` (clickhouse/039): per site and
 * UTC day, each custom event name's distinct visitors and events, overall and per path. Only the
 * events of one name per site pass such a filter (`nameFilter`), so its visitors are that name's,
 * and visitor ids rotate with the UTC day: over whole UTC days the visitors of the site, of a day
 * bucket, of a path, of the name (custom events tab) or of each goal it completes (goals panel) are
 * the sums of its days'. Answers the top numbers' visitors, the chart, the pages panel, the custom
 * events tab and the goals panel; and the goals panel without a filter (every custom event name:
 * `everyName`) when each goal is an event name.
 *
 * A day's row is read while its stamp (`events`: the day's events in `pages_1d` it counted) equals
 * the day's events in `events_1d`. The other days — not counted yet, stale, counted between the
 * two rollups' writes, or with events not yet in `events_1d` — and a range's partial UTC days (a
 * zone off UTC) are read from raw events, each day's distinct visitors apart, in the same
 * statement: a count never changes an answer, only its speed.
 */
import { toClickHouseTime } from '@tidemark/shared';
import { dimensionSql, filterDimensions, filterSql, goalsOf, Params } from './fields.ts';
import { goalsAreNames } from './goal-counts.ts';
import { hasPropGoals } from './goals.ts';
import { nameFilter } from './name-visits.ts';
import type { Filter } from './parse.ts';
import { dayAligned, type Statement, type StatementInput, wholeUtcDays } from './statements.ts';
import { isTimeDimension, type Metric, VISIT_METRICS } from './vocabulary.ts';

const DAY = 86_400_000;
/** Event metrics the counts answer: engagements and pageviews never pass the filter (0). */
const COUNTED: readonly Metric[] = ['visitors', 'pageviews', 'events', 'time_on_page', 'conversions', 'conversion_rate', 'percentage'];

/** Beside the name filter, only `event is_not …` (the custom events tab's own filter): it keeps or drops whole names. */
function extraIsSafe(f: Filter): boolean {
  return 'values' in f && f.dimension === 'event' && f.op === 'is_not';
}

/** The query's one goal or custom event filter's name per site (`nameFilter`), or null. */
export function countedNames(input: Pick<StatementInput, 'filters' | 'sites' | 'goals'>): Map<string, string | null> | null {
  const main = input.filters.filter((f) => !extraIsSafe(f));
  if (main.length !== 1 || input.filters.length > 2) return null;
  return nameFilter(main, input.sites, input.goals);
}

/**
 * The goals panel without a filter (the statement a negated property filter subtracts from:
 * `negated-counts.ts`): every custom event name's counts, when every goal is an event name
 * (`goalsAreNames`: a pageview, engagement or property goal is not on the name rows).
 */
function everyName(input: Pick<StatementInput, 'filters' | 'dimensions' | 'goals'>): boolean {
  return input.filters.length === 0 && input.dimensions.length === 1 && input.dimensions[0] === 'goal' && goalsAreNames(input.goals);
}

/**
 * Whether the event statement can read `name_pages_1d`: the name filter (and the custom events
 * tab's own), no dimension or one of time (buckets at UTC midnights), page, event or goal, metrics
 * the counts hold, no property goal where goals are evaluated, raw events kept over the range.
 */
export function nameCountsEligible(input: StatementInput, buckets: readonly number[]): boolean {
  const { metrics } = input;
  if (metrics === undefined || input.rawOnly === true || input.imported !== undefined) return false;
  if (!metrics.every((m) => VISIT_METRICS.includes(m) || COUNTED.includes(m))) return false;
  if ((countedNames(input) === null && !everyName(input)) || input.from >= input.to) return false;
  if (input.rawFrom !== undefined && input.rawFrom > input.from) return false;
  const [d, ...more] = input.dimensions;
  if (more.length > 0) return false;
  if (d !== undefined && d !== 'page' && d !== 'event' && d !== 'goal' && !(isTimeDimension(d) && dayAligned(input, buckets))) return false;
  // Goals are evaluated on name rows, which have no properties.
  const goalsUsed = d === 'goal' || input.conversions || input.converters === true || filterDimensions(input.filters).includes('goal');
  return !(goalsUsed && hasPropGoals(input.goals));
}

export function nameCountsStatement(input: StatementInput): Statement {
  const params = new Params(input.goals, false);
  const zone = params.add('String', input.zone);
  const sites = params.add('Array(String)', input.sites);
  const at = (ms: number) => params.add("DateTime('UTC')", toClickHouseTime(ms).slice(0, 19));
  const from = params.add("DateTime64(3, 'UTC')", toClickHouseTime(input.from));
  const to = params.add("DateTime64(3, 'UTC')", toClickHouseTime(input.to));
  const [d0, d1] = wholeUtcDays(input);
  const page = input.dimensions[0] === 'page';
  const names = countedNames(input);
  const pairs = [...(names ?? [])].filter((e): e is [string, string] => e[1] !== null);
  const held =
    names === null
      ? "name NOT IN ('pageview', 'engagement')"
      : pairs.length === 0
        ? '0'
        : `(${pairs.map(([site, name]) => `(site = ${params.add('String', site)} AND name = ${params.add('String', name)})`).join(' OR ')})`;
  const parts: string[] = [];
  // Raw events are read outside the whole UTC days, and on the whole days without a current row
  // (through the primary key: a month of counted days reads today's events alone).
  let raw = '1';
  if (d0 < d1) {
    const [day0, day1] = [at(d0), at(d1)];
    const days = `site IN ${sites} AND bucket >= ${day0} AND bucket < ${day1}`;
    const totals = `(SELECT site, bucket, sum(events) AS e FROM ${input.tables.events1d} WHERE ${days} GROUP BY site, bucket)`;
    // A current row's stamp is the day's events in `events_1d`. Every other (site, whole day) of
    // the range is read raw: also a day whose events have landed and whose `events_1d` row has not
    // yet (its first insert, between the two writes), which no list of `events_1d` holds.
    const counted = `(SELECT site, bucket FROM ${input.tables.namePages1d} WHERE ${days} AND (site, bucket, events) IN ${totals})`;
    const n = params.add('UInt32', (d1 - d0) / DAY);
    const uncounted = `(SELECT site, bucket FROM (SELECT arrayJoin(${sites}) AS site, arrayJoin(arrayMap(i -> ${day0} + toIntervalDay(i), range(${n}))) AS bucket)
      WHERE (site, bucket) NOT IN ${counted})`;
    raw = `(timestamp < ${day0} OR timestamp >= ${day1} OR (site, toDateTime(toStartOfDay(timestamp), 'UTC')) IN ${uncounted})`;
    const [ns, vs, cs] = page ? ['path_names', 'path_visitors', 'path_counts'] : ['names', 'visitors', 'counts'];
    const rows = `
        SELECT site, bucket, any(${ns}) AS ns, any(${vs}) AS vs, any(${cs}) AS cs${page ? ', any(paths) AS ps' : ''}
        FROM ${input.tables.namePages1d}
        WHERE ${days} AND (site, bucket, events) IN ${totals}
        GROUP BY site, bucket`;
    parts.push(`
      SELECT site, toString(name) AS name, bucket AS timestamp, ${page ? 'path' : "''"} AS path, n, c
      FROM (${rows})
      ARRAY JOIN ns AS name, vs AS n, cs AS c${page ? ', ps AS path' : ''}
      WHERE ${held}`);
  }
  // Every other day of the range (partial, uncounted, stale, not in `events_1d` yet) from its raw events, each UTC day apart.
  parts.push(`
      SELECT site, name, toDateTime(toStartOfDay(timestamp), 'UTC') AS timestamp, ${page ? 'path' : "''"} AS path,
             uniq(visitor_id) AS n, count() AS c
      FROM (
        SELECT site, toString(name) AS name, timestamp, path, visitor_id FROM ${input.tables.events}
        WHERE site IN ${sites} AND timestamp >= ${from} AND timestamp < ${to} AND ${held} AND ${raw}
        LIMIT 1 BY event_id)
      GROUP BY site, name, timestamp, path`);
  const dims = input.dimensions.map(
    (d, i) => `${dimensionSql(d, 'e', params, { interval: input.interval, zone }, input.pointers[i] ?? '')} AS d${i}`,
  );
  const done = input.conversions || input.converters === true ? `notEmpty(${goalsOf('e', params, '/metrics')})` : '0';
  const sql = `
    SELECT ${[...dims, '0 AS pageviews, sum(e.c) AS events, sum(e.n) AS visitors, 0 AS time_on_page, 0 AS engagements'].join(', ')},
           0 AS scroll_depth, 0 AS scrolls, sumIf(e.c, ${done}) AS conversions, sumIf(e.n, ${done}) AS converters
    FROM (${parts.join('\n      UNION ALL')}) AS e
    WHERE ${filterSql(input.filters, 'e', params)}
    ${dims.length > 0 ? 'GROUP BY d0' : ''}`;
  return { sql, params: params.values, dims: input.dimensions.map((_, i) => `d${i}`) };
}

/**
 * Visit metrics under event conditions a visit's (name, path) pairs cannot decide: goals with
 * property conditions (a goal filter that may pick one, the goal dimension), `prop:*` and
 * `event:*` filters and dimensions. A visit that starts in the range passes when ONE of its own
 * pageviews or custom events passes the whole filter (its visit conditions read the visit), and
 * grouped by event dimensions it counts once under each value its passing events have.
 *
 * The range's raw events are joined to their visit (the same site and visitor, inside the visit's
 * span; a visitor's visits never overlap), as the event statement does, each (visit, dimension
 * values) kept once, then summed. Raw events are read from where they are kept (`rawFrom`) up to
 * the last event of the range's visits: a visit of older events finds none (`meta.cut`).
 */
import { toClickHouseTime } from '@tidemark/shared';
import { dimensionSql, filterDimensions, filterSql, Params, VISIT_ATTRIBUTE_COLUMNS } from './fields.ts';
import { filtersSkipPropGoals, hasPropGoals } from './goals.ts';
import { EVENT_COLUMNS, type Statement, type StatementInput } from './statements.ts';
import { EVENT_ATTRIBUTE_DIMENSIONS, isEventDimension, PROP_PREFIX } from './vocabulary.ts';

/** Whether visit metrics need the visits' own events: a condition or dimension the pairs do not hold. */
export function matchedVisitsEligible(input: StatementInput): boolean {
  const used = [...input.dimensions, ...filterDimensions(input.filters)];
  if (used.some((d) => d.startsWith(PROP_PREFIX) || (EVENT_ATTRIBUTE_DIMENSIONS as readonly string[]).includes(d))) return true;
  if (!hasPropGoals(input.goals)) return false;
  return input.dimensions.includes('goal') || !filtersSkipPropGoals(input.filters, input.goals);
}

export function matchedVisitsStatement(input: StatementInput): Statement {
  const params = new Params(input.goals);
  const zone = params.add('String', input.zone);
  const sites = params.add('Array(String)', input.sites);
  const from = params.add("DateTime64(3, 'UTC')", toClickHouseTime(input.from));
  const to = params.add("DateTime64(3, 'UTC')", toClickHouseTime(input.to));
  const rawFrom = params.add(
    "DateTime64(3, 'UTC')",
    toClickHouseTime(Math.min(input.to, Math.max(input.from, input.rawFrom ?? input.from))),
  );
  // Time buckets and visit attributes are the visit's; event dimensions each passing event's (a goal: each goal it completes).
  const dims = input.dimensions.map((d, i) => {
    const src = isEventDimension(d) ? 'e' : 'v';
    return `${dimensionSql(d, src, params, { interval: input.interval, zone }, input.pointers[i] ?? '')} AS d${i}`;
  });
  const keys = input.dimensions.map((_, i) => `d${i}`);
  const visitsOfRange = `site IN ${sites} AND first_at >= ${from} AND first_at < ${to}`;
  const sql = `
    SELECT ${[...keys, 'count() AS visits', 'countIf(m.pv = 1 AND m.ev = 0) AS bounces', 'sum(m.ms) AS duration', 'sum(m.pv) AS visit_pageviews'].join(', ')}
    FROM (
      SELECT DISTINCT v.site AS vs, v.visitor_id AS vid, v.first_at AS vf, v.pageviews AS pv, v.events AS ev,
             toUnixTimestamp64Milli(v.last_at) - toUnixTimestamp64Milli(v.first_at) AS ms${dims.map((d) => `, ${d}`).join('')}
      FROM (
        SELECT ${EVENT_COLUMNS} FROM ${input.tables.events}
        WHERE site IN ${sites} AND name != 'engagement' AND timestamp >= ${rawFrom}
          AND timestamp <= (SELECT max(last_at) FROM ${input.tables.visits} WHERE ${visitsOfRange})
        LIMIT 1 BY event_id
      ) AS e
      INNER JOIN (
        SELECT ${VISIT_ATTRIBUTE_COLUMNS}, pageviews, events FROM ${input.tables.visits} FINAL
        WHERE ${visitsOfRange} AND pageviews + events > 0
      ) AS v ON e.site = v.site AND e.visitor_id = v.visitor_id
      WHERE e.timestamp >= v.first_at AND e.timestamp <= v.last_at AND ${filterSql(input.filters, 'e', params)}
    ) AS m
    ${keys.length === 0 ? '' : `GROUP BY ${keys.join(', ')}`}`;
  return { sql, params: params.values, dims: keys };
}

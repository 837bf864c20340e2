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
 * the end of the UTC day of the range's end (no visit crosses a UTC midnight): a visit of older
 * events finds none (`meta.cut`).
 *
 * A filter nearly every event passes (`prop:plan is_not free`: every event without the property
 * passes) makes that join as big as the range. When every event-level filter is a negation and no
 * event dimension is asked (`negatedSplit`), the visits are counted the other way round: only the
 * events passing the negations' positive form P (few) are read, per visitor, and a visit holds an
 * event passing the filter exactly when its pageviews and custom events (the visit's own counts)
 * outnumber its events passing P. Visits that start before `rawFrom` are still joined (their older
 * events are not read, so their counts would not match).
 */
import { toClickHouseTime } from '@tidemark/shared';
import { byLevel, dimensionSql, fewEvents, filterDimensions, filterSql, Params, VISIT_ATTRIBUTE_COLUMNS } from './fields.ts';
import { filtersSkipPropGoals, hasPropGoals } from './goals.ts';
import type { Filter } from './parse.ts';
import { EVENT_COLUMNS, type Statement, type StatementInput } from './statements.ts';
import { EVENT_ATTRIBUTE_DIMENSIONS, isEventDimension, isVisitDimension, PROP_PREFIX } from './vocabulary.ts';

/** Whether visit metrics need the visits' own events: a condition or dimension the pairs do not hold. */
export function matchedVisitsEligible(input: StatementInput): boolean {
  const used = [...input.dimensions, ...filterDimensions(input.filters)];
  if (used.some((d) => d.startsWith(PROP_PREFIX) || (EVENT_ATTRIBUTE_DIMENSIONS as readonly string[]).includes(d))) return true;
  if (!hasPropGoals(input.goals)) return false;
  return input.dimensions.includes('goal') || !filtersSkipPropGoals(input.filters, input.goals);
}

/** The event-level dimensions a negation may read to be counted (`negatedSplit`): the goal dimension is not one. */
function countable(d: string): boolean {
  return d === 'page' || d === 'event' || d.startsWith(PROP_PREFIX) || (EVENT_ATTRIBUTE_DIMENSIONS as readonly string[]).includes(d);
}

/** The positive form of an event-level negation (`is_not` → `is`, `not [is …]` → `is …`), or null. */
export function positiveOf(f: Filter): Filter | null {
  const leaf = 'filter' in f ? f.filter : f;
  if (!('values' in leaf) || !countable(leaf.dimension)) return null;
  const negated = leaf.op.endsWith('_not');
  if (negated === 'filter' in f) return null;
  const op = (negated ? leaf.op.slice(0, -4) : leaf.op) as 'is' | 'contains' | 'matches';
  // The positive form of a negation every event passes is of almost no event; one that may hold
  // for a value an event lacks ('': a missing property) is of almost every event: joined instead.
  const holdsForEmpty =
    op === 'matches'
      ? leaf.values.some((v) => {
          try {
            return new RegExp(v).test('');
          } catch {
            return true;
          }
        })
      : leaf.values.includes('');
  if (holdsForEmpty) return null;
  return { op, dimension: leaf.dimension, values: leaf.values, pointer: leaf.pointer } as Filter;
}

/**
 * The query's filters split for counting: the visit filters, and the positive form of its
 * event-level filters when each is a negation of one `page`, `event`, `prop:*` or `event:*` leaf
 * whose positive form cannot hold for an event lacking the value ('' is not among its values).
 * Null when an event dimension is asked, a filter mixes visit and event conditions (or / and
 * across both), reads goals, or an event-level filter is positive (it passes few events: joined).
 */
export function negatedSplit(input: StatementInput): { visit: Filter[]; positive: Filter } | null {
  if (input.dimensions.some((d) => isEventDimension(d))) return null;
  const visit: Filter[] = [];
  const positives: Filter[] = [];
  for (const f of input.filters) {
    const dims = filterDimensions([f]);
    if (dims.every(isVisitDimension)) {
      visit.push(f);
      continue;
    }
    const positive = positiveOf(f);
    if (positive === null) return null;
    positives.push(positive);
  }
  if (positives.length === 0) return null;
  const positive = positives.length === 1 ? (positives[0] as Filter) : ({ op: 'or', filters: positives, pointer: '' } as Filter);
  return { visit, positive };
}

/** The end of the UTC day of the instant before `ms` (`ms` itself at a midnight): no visit starting before `ms` ends later. */
export function dayEnd(ms: number): number {
  return Math.ceil(ms / 86_400_000) * 86_400_000;
}

export function matchedVisitsStatement(input: StatementInput): Statement {
  const params = new Params(input.goals);
  const zone = params.add('String', input.zone);
  const sites = params.add('Array(String)', input.sites);
  const from = params.add("DateTime64(3, 'UTC')", toClickHouseTime(input.from));
  const to = params.add("DateTime64(3, 'UTC')", toClickHouseTime(input.to));
  const rawFromMs = Math.min(input.to, Math.max(input.from, input.rawFrom ?? input.from));
  const rawFrom = params.add("DateTime64(3, 'UTC')", toClickHouseTime(rawFromMs));
  // Time buckets and visit attributes are the visit's; event dimensions each passing event's (a goal: each goal it completes).
  const dims = input.dimensions.map((d, i) => {
    const src = isEventDimension(d) ? 'e' : 'v';
    return `${dimensionSql(d, src, params, { interval: input.interval, zone }, input.pointers[i] ?? '')} AS d${i}`;
  });
  const keys = input.dimensions.map((_, i) => `d${i}`);
  const visitsOfRange = `site IN ${sites} AND first_at >= ${from} AND first_at < ${to}`;
  const metrics = [
    'count() AS visits',
    'countIf(m.pv = 1 AND m.ev = 0) AS bounces',
    'sum(m.ms) AS duration',
    'sum(m.pv) AS visit_pageviews',
  ];
  // No visit crosses a UTC midnight (visitor ids rotate with the UTC day: docs/query.md), so the
  // events of the visits starting before `to` are before the end of to's UTC day.
  const toEnd = params.add("DateTime64(3, 'UTC')", toClickHouseTime(dayEnd(input.to)));
  const eventsUpTo = (end: string) => `site IN ${sites} AND name != 'engagement' AND timestamp >= ${rawFrom} AND timestamp < ${end}`;
  // Each (visit, dimension values) with a passing event, once: the range's events joined to their
  // visits, the event conditions applied before one row per event id (a filter few events pass joins few).
  const levels = byLevel(input.filters);
  const read = levels.event.length === 0 ? '' : ` AND ${filterSql(levels.event, 'e', params)}`;
  // Under event filters few events pass, only the visits of their visitors are read.
  const few = (end: string) =>
    fewEvents(levels.event)
      ? ` AND (site, visitor_id) IN (SELECT site, visitor_id FROM ${input.tables.events} AS e WHERE ${eventsUpTo(end)}${read})`
      : '';
  const joined = (visits: string, end: string) => `
      SELECT DISTINCT v.site AS vs, v.visitor_id AS vid, v.first_at AS vf, v.pageviews AS pv, v.events AS ev,
             toUnixTimestamp64Milli(v.last_at) - toUnixTimestamp64Milli(v.first_at) AS ms${dims.map((d) => `, ${d}`).join('')}
      FROM (
        SELECT ${EVENT_COLUMNS} FROM ${input.tables.events} AS e
        WHERE ${eventsUpTo(end)}${read}
        LIMIT 1 BY event_id
      ) AS e
      INNER JOIN (
        SELECT ${VISIT_ATTRIBUTE_COLUMNS}, pageviews, events FROM ${input.tables.visits} FINAL
        WHERE ${visits} AND pageviews + events > 0${few(end)}
      ) AS v ON e.site = v.site AND e.visitor_id = v.visitor_id
      WHERE e.timestamp >= v.first_at AND e.timestamp <= v.last_at AND ${filterSql(levels.rest, 'e', params)}`;
  const split = negatedSplit(input);
  let rows: string;
  if (split === null) rows = joined(visitsOfRange, toEnd);
  else {
    // The visits whose events are all kept: passing when their pageviews and custom events
    // outnumber their events that pass P (read per visitor: few), each visit once.
    const kept = `${visitsOfRange} AND first_at >= ${rawFrom}`;
    const counted = `
      SELECT v.pageviews AS pv, v.events AS ev,
             toUnixTimestamp64Milli(v.last_at) - toUnixTimestamp64Milli(v.first_at) AS ms${dims.map((d) => `, ${d}`).join('')}
      FROM (
        SELECT ${VISIT_ATTRIBUTE_COLUMNS}, pageviews, events FROM ${input.tables.visits} FINAL
        WHERE ${kept} AND pageviews + events > 0
      ) AS v
      LEFT JOIN (
        SELECT site, visitor_id, groupArray(timestamp) AS ts
        FROM (
          SELECT e.site AS site, e.visitor_id AS visitor_id, e.timestamp AS timestamp FROM ${input.tables.events} AS e
          WHERE ${eventsUpTo(toEnd)} AND ${filterSql([split.positive], 'e', params)}
          LIMIT 1 BY event_id)
        GROUP BY site, visitor_id
      ) AS p ON v.site = p.site AND v.visitor_id = p.visitor_id
      WHERE ${filterSql(split.visit, 'e', params)}
        AND v.pageviews + v.events > arrayCount(t -> t >= v.first_at AND t <= v.last_at, p.ts)`;
    // Visits that start before the raw events kept (a range longer than them): joined, as above.
    const cut = `${visitsOfRange} AND first_at < ${rawFrom}`;
    rows =
      rawFromMs > input.from
        ? `SELECT pv, ev, ms${keys.map((k) => `, ${k}`).join('')} FROM (${joined(cut, params.add("DateTime64(3, 'UTC')", toClickHouseTime(dayEnd(rawFromMs))))})
      UNION ALL${counted}`
        : counted;
  }
  const sql = `
    SELECT ${[...keys, ...metrics].join(', ')}
    FROM (${rows}
    ) AS m
    ${keys.length === 0 ? '' : `GROUP BY ${keys.join(', ')}`}`;
  return { sql, params: params.values, dims: keys };
}

/**
 * The one table from the Query API's words to fixed SQL. Expressions are written against four
 * row sources: `e` (an event of `events`), `v` (a visit of `visits`), `p` (one distinct
 * (name, path) pair of a visit's pageviews and custom events) and `r` (a row of the visit
 * rollups: one visit dimension's `value` and the `first_at` bucket). Request values never appear in
 * SQL text: they are bound parameters created through `Params`.
 */
import { ValidationError } from '@tidemark/shared';
import { goalPassesSql, goalsNamed, goalsSql, hasPropGoals, type SiteGoals } from './goals.ts';
import type { Filter } from './parse.ts';
import { type Dimension, type Interval, isEventDimension, isTimeDimension, PROP_PREFIX } from './vocabulary.ts';

export type Source = 'e' | 'p' | 'v' | 'r';

/**
 * Bound parameters of one statement: `add` returns the `{name:Type}` placeholder. It also
 * carries what the statement's goal expressions need: the sites' goals, and whether its rows
 * are raw events (property goals need their props; rollup rows have none).
 */
export class Params {
  readonly values: Record<string, unknown> = {};
  private n = 0;
  readonly goals: SiteGoals;
  readonly raw: boolean;
  constructor(goals: SiteGoals = { configured: [], implicit: [] }, raw = true) {
    this.goals = goals;
    this.raw = raw;
  }
  add(type: string, value: unknown): string {
    const name = `p${this.n++}`;
    this.values[name] = value;
    return `{${name}:${type}}`;
  }
}

/** Visit columns by dimension (a visit's entry event's attribute, or its first / last pageview's path). */
const VISIT_COLUMN: Record<string, string> = {
  entry_page: 'v.entry_page',
  exit_page: 'v.exit_page',
  hostname: 'toString(v.host)',
  source: 'toString(v.source)',
  referrer: 'toString(v.referrer_host)',
  channel: 'toString(v.channel)',
  utm_source: 'toString(v.utm_source)',
  utm_medium: 'toString(v.utm_medium)',
  utm_campaign: 'toString(v.utm_campaign)',
  utm_term: 'v.utm_term',
  utm_content: 'v.utm_content',
  country: 'toString(v.country)',
  // The collector's DB-IP City Lite names (clickhouse/045); '' before it, and for imported-only data.
  region: 'toString(v.region)',
  city: 'toString(v.city)',
  device: 'toString(v.device)',
  browser: 'toString(v.browser)',
  browser_version: 'toString(v.browser_version)',
  os: 'toString(v.os)',
  os_version: 'toString(v.os_version)',
  screen:
    "multiIf(v.screen_width = 0, '', v.screen_width < 576, 'Mobile', v.screen_width < 992, 'Tablet', v.screen_width < 1440, 'Laptop', 'Desktop')",
};

/** The `visits` columns the expressions above read (a join of events to visits reads only these, never `pairs`). */
export const VISIT_ATTRIBUTE_COLUMNS =
  'site, visitor_id, first_at, last_at, host, entry_page, exit_page, source, referrer_host, channel, utm_source, utm_medium, utm_campaign, utm_term, utm_content, country, region, city, device, browser, browser_version, os, os_version, screen_width';

/** Each event's own attributes (`event:*`), as `/api/v1/breakdown` counts them. */
const EVENT_ATTRIBUTE: Record<string, string> = {
  'event:source': 'toString(e.referrer_source)',
  'event:referrer': 'toString(e.referrer_host)',
  'event:country': 'toString(e.country)',
  'event:device': 'toString(e.device)',
  'event:browser': 'toString(e.browser)',
  'event:os': 'toString(e.os)',
  'event:utm_source': 'toString(e.utm_source)',
  'event:utm_medium': 'toString(e.utm_medium)',
  'event:utm_campaign': 'toString(e.utm_campaign)',
};

/**
 * The goals a row completes (an array; `goals.ts`). A visit's pairs hold no properties: the engine
 * sends the queries whose goals have property conditions to `matched-visits.ts` (raw events), or
 * leaves those goals out where the filter cannot pick them (`withoutPropGoals`).
 */
export function goalsOf(src: 'e' | 'p', params: Params, pointer: string, goals: SiteGoals = params.goals): string {
  pairsCanDecide(src, goals, pointer);
  return goalsSql(src, goals, params, params.raw);
}

/** A visit's (name, path) pairs hold no properties: goals with property conditions are the engine's to route to raw events. */
function pairsCanDecide(src: 'e' | 'p', goals: SiteGoals, pointer: string): void {
  if (src === 'p' && hasPropGoals(goals)) throw new Error(`${pointer}: goals with property conditions need raw events, not pairs`);
}

/** The goals a positive goal filter can pass (`goalsNamed`): `is` one of its values, `contains` one; all of them for the others. */
export function goalsPassable(f: { op: string; values: readonly string[] }, goals: SiteGoals): SiteGoals {
  if (f.op === 'is') return goalsNamed(goals, (name) => f.values.includes(name));
  if (f.op === 'contains') return goalsNamed(goals, (name) => f.values.some((v) => name.includes(v)));
  return goals;
}

export function intervalOf(d: Dimension, auto: Interval): Interval {
  return d === 'time' ? auto : (d.slice(5) as Interval);
}

/** The start (Unix seconds) of a time bucket holding `column`, in the bound zone. */
export function bucketSql(column: string, interval: Interval, zone: string): string {
  const local = `toDateTime(${column}, ${zone})`;
  switch (interval) {
    case 'minute':
      return `toUnixTimestamp(toStartOfMinute(${column}))`;
    case 'hour':
      return `toUnixTimestamp(toStartOfHour(${local}))`;
    case 'day':
      return `toUnixTimestamp(toStartOfDay(${local}))`;
    case 'week':
      return `toUnixTimestamp(toDateTime(toMonday(${local}), ${zone}))`;
    default:
      return `toUnixTimestamp(toDateTime(toStartOfMonth(${local}), ${zone}))`;
  }
}

/** A dimension's value in a row source, or an error naming where it cannot be answered. */
export function dimensionSql(
  d: Dimension,
  src: Source,
  params: Params,
  time: { interval: Interval; zone: string } | null,
  pointer: string,
): string {
  if (isTimeDimension(d)) {
    if (!time) throw new ValidationError(`${d}: not here`, pointer);
    return bucketSql(src === 'v' || src === 'r' ? `${src}.first_at` : 'e.timestamp', time.interval, time.zone);
  }
  if (!isEventDimension(d)) {
    return src === 'r' ? 'r.value' : (VISIT_COLUMN[d] as string);
  }
  if (src === 'v' || src === 'r') throw new ValidationError(`${d}: an event dimension has no single value per visit`, pointer);
  if (d === 'page') return `${src}.path`;
  if (d === 'event') return `toString(${src}.name)`;
  if (d === 'goal') return `arrayJoin(${goalsOf(src, params, pointer)})`;
  if (d.startsWith(PROP_PREFIX)) {
    if (src === 'p') throw unsupported(d, pointer);
    return `e.props[${params.add('String', d.slice(PROP_PREFIX.length))}]`;
  }
  if (src === 'p') throw unsupported(d, pointer);
  return EVENT_ATTRIBUTE[d] as string;
}

/** A visit's pairs hold names and paths only: the engine answers other event dimensions from raw events (`matched-visits.ts`). */
function unsupported(d: string, pointer: string): Error {
  return new Error(`${pointer}: ${d} needs raw events, not a visit's pairs`);
}

function leafSql(op: string, x: string, values: string[], params: Params): string {
  switch (op) {
    case 'is':
      return `has(${params.add('Array(String)', values)}, ${x})`;
    case 'is_not':
      return `NOT has(${params.add('Array(String)', values)}, ${x})`;
    case 'contains':
    case 'contains_not': {
      const any = `(${values.map((v) => `position(${x}, ${params.add('String', v)}) > 0`).join(' OR ')})`;
      return op === 'contains' ? any : `NOT ${any}`;
    }
    default: {
      const any = `(${values.map((v) => `match(${x}, ${params.add('String', v)})`).join(' OR ')})`;
      return op === 'matches' ? any : `NOT ${any}`;
    }
  }
}

/**
 * The filter as SQL over an event and its visit (`src` 'e') or over a visit's pair and the
 * visit (`src` 'p'), or over a visit rollup row (`src` 'r': visit dimensions only). A goal
 * filter also requires the event to complete a goal.
 */
export function filterSql(filters: readonly Filter[], src: 'e' | 'p' | 'r', params: Params): string {
  if (filters.length === 0) return '1';
  const one = (f: Filter): string => {
    if ('filters' in f) return `(${f.filters.map(one).join(f.op === 'and' ? ' AND ' : ' OR ')})`;
    if ('filter' in f) return `NOT (${one(f.filter)})`;
    if (f.dimension === 'goal' && src !== 'r') {
      // An event passes when one of its goals passes (is, contains, matches), or when it completes
      // a goal and none of its goals passes the positive form (is_not, contains_not, matches_not).
      const passable = goalsPassable(f, params.goals);
      // `is` and `contains`: every configured goal left passes by its name, so a row passes when it completes one.
      if (f.op === 'is' || f.op === 'contains') {
        pairsCanDecide(src, passable, `${f.pointer}/1`);
        return goalPassesSql(src, passable, params, params.raw, (x) => leafSql(f.op, x, f.values, params));
      }
      const goals = goalsOf(src, params, `${f.pointer}/1`, passable);
      const negated = f.op.endsWith('_not');
      const any = `arrayExists(gx -> ${leafSql(negated ? f.op.slice(0, -4) : f.op, 'gx', f.values, params)}, ${goals})`;
      return negated ? `(notEmpty(${goals}) AND NOT ${any})` : any;
    }
    const x = dimensionSql(f.dimension, src === 'r' || isEventDimension(f.dimension) ? src : 'v', params, null, `${f.pointer}/1`);
    return leafSql(f.op, x, f.values, params);
  };
  return filters.map(one).join(' AND ');
}

/** Dimensions a filter list uses (any depth). */
export function filterDimensions(filters: readonly Filter[]): Dimension[] {
  return filters.flatMap((f) =>
    'filters' in f ? filterDimensions(f.filters) : 'filter' in f ? filterDimensions([f.filter]) : [f.dimension],
  );
}

/**
 * A filter list split by what it reads: the filters of events alone (every dimension of theirs an
 * event's: page, event, goal, `prop:*`, `event:*`) and the others (a visit's, or both). Raw reads
 * apply the first before keeping one row per event id (copies of an event are alike), so a
 * filter few events pass dedups and joins few rows.
 */
export function byLevel(filters: readonly Filter[]): { event: Filter[]; rest: Filter[] } {
  const event: Filter[] = [];
  const rest: Filter[] = [];
  for (const f of filters) (filterDimensions([f]).every(isEventDimension) ? event : rest).push(f);
  return { event, rest };
}

/**
 * Whether event filters (`byLevel`) pass few events, so that a join reads only the visits of their
 * visitors: one of them is a positive leaf (`is`, `contains`, `matches`), or a property's `is_not`
 * of `''` among others (the property is set: the properties tab's own filter).
 */
export function fewEvents(event: readonly Filter[]): boolean {
  return event.some(
    (f) => 'values' in f && (!f.op.endsWith('_not') || (f.op === 'is_not' && f.dimension.startsWith(PROP_PREFIX) && f.values.includes(''))),
  );
}

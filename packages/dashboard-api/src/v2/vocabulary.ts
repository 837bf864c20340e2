/**
 * The words of the Query API (SPEC §10): metrics, dimensions, filter operators, date ranges.
 * Only these names are accepted; each maps to fixed SQL in `fields.ts`.
 */

export const METRICS = [
  'visitors',
  'visits',
  'pageviews',
  'views_per_visit',
  'bounce_rate',
  'visit_duration',
  'time_on_page',
  'events',
  'conversions',
  'conversion_rate',
  'percentage',
  'scroll_depth',
] as const;
export type Metric = (typeof METRICS)[number];

/** Metrics of visits (a visit belongs to the range and bucket in which it starts). */
export const VISIT_METRICS: readonly Metric[] = ['visits', 'views_per_visit', 'bounce_rate', 'visit_duration'];

/** Dimensions that select events: a visit counts if one of its pageviews or custom events matches. */
export const EVENT_DIMENSIONS = ['page', 'event', 'goal'] as const;

/** Dimensions of the visit (its entry event's, or its first / last pageview's path). */
export const VISIT_DIMENSIONS = [
  'entry_page',
  'exit_page',
  'hostname',
  'source',
  'referrer',
  'channel',
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'utm_term',
  'utm_content',
  'country',
  'region',
  'city',
  'device',
  'browser',
  'browser_version',
  'os',
  'os_version',
  'screen',
] as const;

/**
 * Each event's own attribute (not its visit's): what `/api/v1/breakdown` counts, e.g.
 * `event:source` is the pageview's referrer class (`search`, `social`, …, `internal`).
 */
export const EVENT_ATTRIBUTE_DIMENSIONS = [
  'event:source',
  'event:referrer',
  'event:country',
  'event:device',
  'event:browser',
  'event:os',
  'event:utm_source',
  'event:utm_medium',
  'event:utm_campaign',
] as const;

export const TIME_DIMENSIONS = ['time', 'time:minute', 'time:hour', 'time:day', 'time:week', 'time:month'] as const;
export type TimeDimension = (typeof TIME_DIMENSIONS)[number];
export type Interval = 'minute' | 'hour' | 'day' | 'week' | 'month';

export const PROP_PREFIX = 'prop:';

export type EventDimension = (typeof EVENT_DIMENSIONS)[number] | (typeof EVENT_ATTRIBUTE_DIMENSIONS)[number] | `prop:${string}`;
export type VisitDimension = (typeof VISIT_DIMENSIONS)[number];
export type Dimension = EventDimension | VisitDimension | TimeDimension;

export const FILTER_OPS = ['is', 'is_not', 'contains', 'contains_not', 'matches', 'matches_not'] as const;
export type FilterOp = (typeof FILTER_OPS)[number];

export const NAMED_RANGES = ['realtime', 'today', 'yesterday', '7d', '28d', '30d', 'month', 'last_month', 'year', '12mo', 'all'] as const;

export function isEventDimension(d: string): d is EventDimension {
  return (
    (EVENT_DIMENSIONS as readonly string[]).includes(d) ||
    (EVENT_ATTRIBUTE_DIMENSIONS as readonly string[]).includes(d) ||
    d.startsWith(PROP_PREFIX)
  );
}

export function isVisitDimension(d: string): d is VisitDimension {
  return (VISIT_DIMENSIONS as readonly string[]).includes(d);
}

export function isTimeDimension(d: string): d is TimeDimension {
  return (TIME_DIMENSIONS as readonly string[]).includes(d);
}

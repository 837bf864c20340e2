/**
 * The `/breakdown` dimensions (SPEC §6) and, for the raw edge minutes, the expression that
 * gives each one's value. Only these fixed strings ever reach SQL; the user's choice is
 * matched against the keys and bound as a parameter.
 */
export const DIMENSIONS = [
  'source',
  'referrer',
  'country',
  'device',
  'browser',
  'os',
  'utm_source',
  'utm_medium',
  'utm_campaign',
  'event',
] as const;

export type Dimension = (typeof DIMENSIONS)[number];

/** Raw column per dimension; `event` counts custom events by name, the others pageviews. */
export const RAW_VALUE: Record<Dimension, string> = {
  source: 'toString(referrer_source)',
  referrer: 'toString(referrer_host)',
  country: 'toString(country)',
  device: 'toString(device)',
  browser: 'toString(browser)',
  os: 'toString(os)',
  utm_source: 'toString(utm_source)',
  utm_medium: 'toString(utm_medium)',
  utm_campaign: 'toString(utm_campaign)',
  event: 'toString(name)',
};

/** Which raw rows a dimension counts: pageviews, or custom events for `event`. */
export function rawFilter(dimension: Dimension): string {
  return dimension === 'event' ? "name NOT IN ('pageview', 'engagement')" : "name = 'pageview'";
}

/**
 * The `/breakdown` dimensions (SPEC §6). Each maps to the Query API's event-level dimension of
 * the same name (`event:source`, …; `event` to custom events by name): `v1/on-v2.ts`.
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

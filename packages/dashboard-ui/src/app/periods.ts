/**
 * The periods of the dashboard: each maps to a Query API `dateRange` (SPEC §10), the chart
 * grains it allows, and a keyboard shortcut. `realtime` is the last 30 minutes, live.
 */
export type Grain = 'minute' | 'hour' | 'day' | 'week' | 'month';

export interface Period {
  id: string;
  label: string;
  key: string;
  grains: Grain[];
  /** The range reaches now: the view refreshes when new data lands. */
  live: boolean;
}

export const PERIODS: Period[] = [
  { id: 'realtime', label: 'Realtime (30 minutes)', key: 'r', grains: ['minute'], live: true },
  { id: 'today', label: 'Today', key: 'd', grains: ['hour', 'minute'], live: true },
  { id: 'yesterday', label: 'Yesterday', key: 'e', grains: ['hour', 'minute'], live: false },
  { id: '7d', label: 'Last 7 days', key: 'w', grains: ['day', 'hour'], live: false },
  { id: '28d', label: 'Last 28 days', key: 'f', grains: ['day', 'week', 'hour'], live: false },
  { id: '30d', label: 'Last 30 days', key: 't', grains: ['day', 'week', 'hour'], live: false },
  { id: 'month', label: 'This month', key: 'm', grains: ['day', 'week', 'hour'], live: true },
  { id: 'last_month', label: 'Last month', key: 'n', grains: ['day', 'week', 'hour'], live: false },
  { id: 'year', label: 'This year', key: 'y', grains: ['month', 'week', 'day'], live: true },
  { id: '12mo', label: 'Last 12 months', key: 'l', grains: ['month', 'week', 'day'], live: true },
  { id: 'all', label: 'All time', key: 'a', grains: ['month', 'week'], live: true },
  { id: 'custom', label: 'Custom range', key: 'c', grains: ['day', 'week', 'month', 'hour'], live: false },
];

export const DEFAULT_PERIOD = '28d';

export function periodOf(id: string): Period {
  return PERIODS.find((p) => p.id === id) ?? (PERIODS.find((p) => p.id === DEFAULT_PERIOD) as Period);
}

/** A custom range's grains, by its length in days (at most a few hundred points). */
export function customGrains(from: string, to: string): Grain[] {
  const days = (Date.parse(to) - Date.parse(from)) / 86_400_000 + 1;
  if (days <= 2) return ['hour', 'day'];
  if (days <= 90) return ['day', 'week', 'hour'];
  if (days <= 800) return ['week', 'month', 'day'];
  return ['month', 'week'];
}

export function grainsOf(id: string, from: string, to: string): Grain[] {
  return id === 'custom' && from && to ? customGrains(from, to) : periodOf(id).grains;
}

/** The Query API's `dateRange` of a period. */
export function dateRangeOf(id: string, from: string, to: string): string | [string, string] {
  if (id === 'realtime') return '30m';
  if (id === 'custom') return [from, to];
  return periodOf(id).id;
}

export const DATE = /^\d{4}-\d{2}-\d{2}$/;

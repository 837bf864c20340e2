/** Numbers as the dashboard shows them: compact counts, percentages, durations. */
const compact = new Intl.NumberFormat('en', { notation: 'compact', maximumFractionDigits: 1 });
const whole = new Intl.NumberFormat('en');

export type MetricKind = 'count' | 'percent' | 'duration' | 'ratio';

export const METRIC_KIND: Record<string, MetricKind> = {
  visitors: 'count',
  visits: 'count',
  pageviews: 'count',
  events: 'count',
  conversions: 'count',
  views_per_visit: 'ratio',
  bounce_rate: 'percent',
  conversion_rate: 'percent',
  percentage: 'percent',
  scroll_depth: 'percent',
  visit_duration: 'duration',
  time_on_page: 'duration',
};

export function duration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

export function formatMetric(metric: string, value: number | null | undefined, exact = false): string {
  if (value === null || value === undefined) return '—';
  switch (METRIC_KIND[metric] ?? 'count') {
    case 'percent':
      return `${value.toFixed(1)}%`;
    case 'duration':
      return duration(value);
    case 'ratio':
      return value.toFixed(2);
    default:
      return exact || value < 10_000 ? whole.format(value) : compact.format(value);
  }
}

/** A change in percent; for bounce rate a fall is the good direction. */
export function formatChange(metric: string, change: number | null | undefined): { text: string; tone: 'up' | 'down' | 'flat' } {
  if (change === null || change === undefined) return { text: '', tone: 'flat' };
  const better = metric === 'bounce_rate' ? change < 0 : change > 0;
  const arrow = change > 0 ? '↑' : change < 0 ? '↓' : '';
  return { text: `${arrow}${Math.abs(change).toFixed(1)}%`, tone: change === 0 ? 'flat' : better ? 'up' : 'down' };
}

/**
 * Metrics from the counts of a group (SPEC §10 "Numbers"): counts are integers, percentages
 * have one decimal, durations are whole ms, views per visit two decimals. The reference
 * implementation finishes its counts with the same function, so rounding is never a difference.
 */
import type { Metric } from './vocabulary.ts';

export interface Raw {
  pageviews: number;
  events: number;
  visitors: number;
  timeOnPage: number;
  /** Mean scroll depth (percent) of the engagements that carry one. */
  scrollDepth: number;
  conversions: number;
  converters: number;
  visits: number;
  bounces: number;
  duration: number;
  visitPageviews: number;
}

/** Every raw figure zero: what nothing counted gives. */
export function zeroRaw(): Raw {
  return {
    pageviews: 0,
    events: 0,
    visitors: 0,
    timeOnPage: 0,
    scrollDepth: 0,
    conversions: 0,
    converters: 0,
    visits: 0,
    bounces: 0,
    duration: 0,
    visitPageviews: 0,
  };
}

export const round1 = (x: number) => Math.round(x * 10) / 10;

export function finish(metrics: readonly Metric[], r: Raw, context: { totalVisitors: number; baseVisitors: number }): (number | null)[] {
  return metrics.map((m) => {
    switch (m) {
      case 'visitors':
        return r.visitors;
      case 'visits':
        return r.visits;
      case 'pageviews':
        return r.pageviews;
      case 'events':
        return r.events;
      case 'conversions':
        return r.conversions;
      case 'views_per_visit':
        return r.visits === 0 ? 0 : Math.round((r.visitPageviews / r.visits) * 100) / 100;
      case 'bounce_rate':
        return r.visits === 0 ? 0 : round1((r.bounces / r.visits) * 100);
      case 'visit_duration':
        return r.visits === 0 ? 0 : Math.round(r.duration / r.visits);
      case 'time_on_page':
        return Math.round(r.timeOnPage);
      case 'scroll_depth':
        return Math.round(r.scrollDepth);
      case 'percentage':
        return context.totalVisitors === 0 ? 0 : round1((r.visitors / context.totalVisitors) * 100);
      default:
        return context.baseVisitors === 0 ? 0 : round1((r.converters / context.baseVisitors) * 100); // conversion_rate
    }
  });
}

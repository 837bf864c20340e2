import { describe, expect, it } from 'vitest';
import { duration, formatChange, formatMetric } from './format';
import { customGrains, dateRangeOf, grainsOf, PERIODS } from './periods';

describe('numbers as the dashboard shows them', () => {
  it('counts, percentages, ratios and durations', () => {
    expect(formatMetric('visitors', 1234)).toBe('1,234');
    expect(formatMetric('visitors', 12_345)).toBe('12.3K');
    expect(formatMetric('visitors', 12_345, true)).toBe('12,345');
    expect(formatMetric('bounce_rate', 13.9)).toBe('13.9%');
    expect(formatMetric('views_per_visit', 2.666)).toBe('2.67');
    expect(formatMetric('visit_duration', 109_500)).toBe('1m 50s');
    expect(formatMetric('visits', null)).toBe('—');
    expect(duration(3_600_000 + 125_000)).toBe('1h 02m');
    expect(duration(400)).toBe('0s');
  });

  it('a change is good when it rises, except for the bounce rate', () => {
    expect(formatChange('visitors', 12.5)).toEqual({ text: '↑12.5%', tone: 'up' });
    expect(formatChange('visitors', -3)).toEqual({ text: '↓3.0%', tone: 'down' });
    expect(formatChange('bounce_rate', -3)).toEqual({ text: '↓3.0%', tone: 'up' });
    expect(formatChange('visitors', null)).toEqual({ text: '', tone: 'flat' });
  });
});

describe('periods', () => {
  it('map to the Query API date ranges, realtime being the last 30 minutes', () => {
    expect(dateRangeOf('realtime', '', '')).toBe('30m');
    expect(dateRangeOf('12mo', '', '')).toBe('12mo');
    expect(dateRangeOf('custom', '2026-01-01', '2026-01-31')).toEqual(['2026-01-01', '2026-01-31']);
    expect(new Set(PERIODS.map((p) => p.key)).size).toBe(PERIODS.length);
  });

  it('allow the grains that give a readable number of points', () => {
    expect(grainsOf('realtime', '', '')).toEqual(['minute']);
    expect(grainsOf('all', '', '')).not.toContain('day');
    expect(customGrains('2026-01-01', '2026-01-02')[0]).toBe('hour');
    expect(customGrains('2026-01-01', '2026-03-01')[0]).toBe('day');
    expect(customGrains('2025-01-01', '2026-01-01')[0]).toBe('week');
    expect(customGrains('2020-01-01', '2026-01-01')[0]).toBe('month');
  });
});

import { describe, expect, it } from 'vitest';
import { comparisonRange, resolveRange } from './dates.ts';

describe('resolveRange', () => {
  it('keeps every range within what ClickHouse stores (1900 … 2299)', () => {
    const now = Date.UTC(2026, 5, 1);
    const earliest = Date.UTC(1900, 0, 1);
    const latest = Date.UTC(2299, 11, 31, 23, 59, 59, 999);
    expect(resolveRange(['0000-01-01', '9999-12-31'], 'Asia/Kolkata', now)).toEqual({ from: earliest, to: latest });
    expect(resolveRange(['1899-06-01T00:00Z', '2300-01-01T00:00Z'], 'UTC', now)).toEqual({ from: earliest, to: latest });
    const span = resolveRange(['1900-01-01', '1900-01-10'], 'UTC', now);
    expect(comparisonRange('previous_period', span, 'UTC')).toEqual({ from: earliest, to: earliest });
    expect(resolveRange(['2026-01-01', '2026-01-31'], 'UTC', now)).toEqual({ from: Date.UTC(2026, 0, 1), to: Date.UTC(2026, 1, 1) });
  });
});

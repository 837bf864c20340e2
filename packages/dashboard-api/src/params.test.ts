import { ValidationError } from '@tidemark/shared';
import { describe, expect, it } from 'vitest';
import { parseRange, parseSite, parseWindowMs } from './params.ts';
import { bucketCount } from './queries/buckets.ts';
import { fitPoints, MAX_POINTS } from './routes/stats.ts';

describe('Stats API parameters', () => {
  it.each([
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['90d', 90 * 86_400_000],
  ])('window %s is %i ms', (window, ms) => {
    expect(parseWindowMs(window)).toBe(ms);
  });

  it.each(['29s', '91d', '5', 'm5', '5 m', "5m'; DROP TABLE events", '', '-5m', '05m', '0d', '7776001s', '2161h'])(
    'rejects window %j',
    (window) => {
      expect(() => parseWindowMs(window)).toThrow(ValidationError);
    },
  );

  it('makes one range of every combination: it ends at `to` (or now) and starts at `from` or `window` before, whichever is later', () => {
    const now = Date.parse('2026-01-01T12:00:00Z');
    const range = (q: Record<string, string>) => {
      const r = parseRange(q, '1h', now);
      return { window: r.window, from: r.from.toISOString(), to: r.to.toISOString() };
    };
    expect(range({})).toEqual({ window: '1h', from: '2026-01-01T11:00:00.000Z', to: '2026-01-01T12:00:00.000Z' });
    expect(range({ window: '5m' })).toEqual({ window: '5m', from: '2026-01-01T11:55:00.000Z', to: '2026-01-01T12:00:00.000Z' });
    expect(range({ from: '2026-01-01' })).toEqual({ window: null, from: '2026-01-01T00:00:00.000Z', to: '2026-01-01T12:00:00.000Z' });
    expect(range({ from: '2026-01-01T00:00:00Z', to: '2026-01-01T01:00:00+00:30' })).toMatchObject({
      window: null,
      to: '2026-01-01T00:30:00.000Z',
    });
    expect(range({ to: '2026-01-01T06:00:00Z' })).toEqual({
      window: '1h',
      from: '2026-01-01T05:00:00.000Z',
      to: '2026-01-01T06:00:00.000Z',
    });
    expect(range({ window: '5m', to: '2026-01-01T06:00:00Z' })).toMatchObject({ from: '2026-01-01T05:55:00.000Z' });
    // from and window: the later start wins.
    expect(range({ window: '5m', from: '2026-01-01T00:00:00Z' })).toMatchObject({ window: '5m', from: '2026-01-01T11:55:00.000Z' });
    expect(range({ window: '1d', from: '2026-01-01T11:00:00Z' })).toMatchObject({ from: '2026-01-01T11:00:00.000Z' });
    // A from after the end: the empty range at the end.
    expect(range({ from: '2026-01-02T00:00:00Z', to: '2026-01-01T00:00:00Z' })).toMatchObject({
      from: '2026-01-01T00:00:00.000Z',
      to: '2026-01-01T00:00:00.000Z',
    });
    // Any span, within 1970 … 2299.
    expect(range({ from: '0001-01-01', to: '9999-12-31T23:59:59Z' })).toEqual({
      window: null,
      from: '1970-01-01T00:00:00.000Z',
      to: '2299-12-31T23:59:59.999Z',
    });
    expect(range({ from: '0099-06-01' }).from).toBe('1970-01-01T00:00:00.000Z');
  });

  it.each([
    'yesterday',
    '0000-00-00',
    '2026-02-30',
    '2026-13-01',
    '2026-01-01T00:00:00',
    '2026-01-01T24:00:00Z',
    '2026-1-1',
    ' 2026-01-01',
  ])('refuses time %j', (value) => {
    expect(() => parseRange({ from: value }, '1h')).toThrow(ValidationError);
  });

  it('keeps a series within 2 200 points: the next coarser interval, then the last 2 200 days', () => {
    const span = (from: string, to: string) => ({ window: null, from: new Date(from), to: new Date(to) });
    expect(fitPoints('minute', span('2026-01-01T00:00:00Z', '2026-01-01T12:00:00Z')).interval).toBe('minute');
    expect(fitPoints('minute', span('2026-01-01T00:00:00Z', '2026-01-31T00:00:00Z')).interval).toBe('hour');
    expect(fitPoints('minute', span('2026-01-01T00:00:00Z', '2026-12-31T00:00:00Z')).interval).toBe('day');
    const long = fitPoints('hour', span('1970-01-01T00:00:00Z', '2026-01-01T00:00:00Z'));
    expect(long.interval).toBe('day');
    expect(bucketCount('day', long.range.from, long.range.to)).toBe(MAX_POINTS);
    expect(long.range.to.toISOString()).toBe('2026-01-01T00:00:00.000Z');
  });

  it('requires a host-like site', () => {
    expect(parseSite('Example.com')).toBe('example.com');
    expect(() => parseSite(undefined)).toThrow(ValidationError);
    expect(() => parseSite("x' OR 1=1 --")).toThrow(ValidationError);
  });
});

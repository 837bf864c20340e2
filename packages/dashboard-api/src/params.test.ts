import { ValidationError } from '@tidemark/shared';
import { describe, expect, it } from 'vitest';
import { parseRange, parseSite, parseWindowMs } from './params.ts';

describe('Stats API parameters', () => {
  it.each([
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['90d', 90 * 86_400_000],
  ])('window %s is %i ms', (window, ms) => {
    expect(parseWindowMs(window)).toBe(ms);
  });

  it.each(['29s', '91d', '5', 'm5', '5 m', "5m'; DROP TABLE events", '', '-5m'])('rejects window %j', (window) => {
    expect(() => parseWindowMs(window)).toThrow(ValidationError);
  });

  it('slides a window up to now, or takes from/to', () => {
    const now = Date.parse('2026-01-01T12:00:00Z');
    expect(parseRange({ window: '5m' }, '1h', now)).toEqual({ window: '5m', from: new Date(now - 300_000), to: new Date(now) });
    expect(parseRange({}, '1h', now).window).toBe('1h');
    const fixed = parseRange({ from: '2026-01-01T00:00:00Z', to: '2026-01-01T01:00:00Z' }, '1h', now);
    expect(fixed.window).toBeNull();
    expect(() => parseRange({ from: '2026-01-02T00:00:00Z', to: '2026-01-01T00:00:00Z' }, '1h', now)).toThrow(ValidationError);
    expect(() => parseRange({ from: 'yesterday' }, '1h', now)).toThrow(ValidationError);
  });

  it('requires a host-like site', () => {
    expect(parseSite('Example.com')).toBe('example.com');
    expect(() => parseSite(undefined)).toThrow(ValidationError);
    expect(() => parseSite("x' OR 1=1 --")).toThrow(ValidationError);
  });
});

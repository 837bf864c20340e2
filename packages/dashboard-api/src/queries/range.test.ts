import { describe, expect, it } from 'vitest';
import { splitRange } from './range.ts';

describe('splitRange', () => {
  it('takes whole minutes from the rollups and the partial edges from the raw table', () => {
    const split = splitRange(new Date('2026-01-01T12:20:30.500Z'), new Date('2026-01-01T12:25:30.500Z'));
    expect(split).toEqual({
      from: '2026-01-01 12:20:30.500',
      wholeFrom: '2026-01-01 12:21:00.000',
      wholeTo: '2026-01-01 12:25:00.000',
      to: '2026-01-01 12:25:30.500',
    });
  });

  it('keeps aligned bounds whole', () => {
    const split = splitRange(new Date('2026-01-01T12:00:00Z'), new Date('2026-01-01T13:00:00Z'));
    expect([split.wholeFrom, split.wholeTo]).toEqual(['2026-01-01 12:00:00.000', '2026-01-01 13:00:00.000']);
  });

  it('sends a range inside one minute entirely to the raw table', () => {
    const split = splitRange(new Date('2026-01-01T12:00:10Z'), new Date('2026-01-01T12:00:50Z'));
    expect(split.wholeFrom).toBe(split.to);
    expect(split.wholeTo).toBe(split.to);
  });
});

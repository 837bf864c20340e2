import { describe, expect, it } from 'vitest';
import { parseIsoInstant } from './iso-time.ts';

describe('parseIsoInstant', () => {
  it.each([
    ['2026-03-01T12:30:00Z', '2026-03-01T12:30:00.000Z'],
    ['2026-03-01T12:30Z', '2026-03-01T12:30:00.000Z'],
    ['2026-03-01t12:30:00z', '2026-03-01T12:30:00.000Z'],
    ['2026-03-01 12:30:00Z', '2026-03-01T12:30:00.000Z'],
    ['2026-03-01T12:30:00.5Z', '2026-03-01T12:30:00.500Z'],
    ['2026-03-01T12:30:00,25Z', '2026-03-01T12:30:00.250Z'],
    ['2026-03-01T12:30:00.123456789Z', '2026-03-01T12:30:00.123Z'],
    ['2026-03-01T14:30:00+02:00', '2026-03-01T12:30:00.000Z'],
    ['2026-03-01T14:30:00+0200', '2026-03-01T12:30:00.000Z'],
    ['2026-03-01T07:00:00-05:30', '2026-03-01T12:30:00.000Z'],
    ['2026-03-01T00:15:00+05:45', '2026-02-28T18:30:00.000Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
  ])('%s is %s', (text, iso) => {
    expect(parseIsoInstant(text)).toBe(Date.parse(iso));
  });

  it('agrees with Date.parse on every shape both read, over random instants and offsets', () => {
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    for (let i = 0; i < 2000; i++) {
      const ms = Date.UTC(2000, 0, 1) + rand(2 ** 30) * 1000 + rand(1000);
      const offset = (rand(27 * 4) - 12 * 4) * 15; // minutes, -12:00 … +14:45
      const local = new Date(ms + offset * 60_000).toISOString().slice(0, 23);
      const sign = offset < 0 ? '-' : '+';
      const abs = Math.abs(offset);
      const zone = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
      const text = `${local}${zone}`;
      expect(parseIsoInstant(text)).toBe(Date.parse(text));
      expect(parseIsoInstant(text)).toBe(ms);
    }
  });

  it.each([
    ['no zone', '2026-03-01T12:30:00'],
    ['a date only', '2026-03-01'],
    ['a month 13', '2026-13-01T00:00:00Z'],
    ['February 30', '2026-02-30T00:00:00Z'],
    ['February 29 of a common year', '2026-02-29T00:00:00Z'],
    ['hour 24', '2026-03-01T24:00:00Z'],
    ['minute 60', '2026-03-01T12:60:00Z'],
    ['a leap second', '2026-03-01T12:30:60Z'],
    ['an offset of 24 hours', '2026-03-01T12:30:00+24:00'],
    ['an offset minute 60', '2026-03-01T12:30:00+01:60'],
    ['epoch milliseconds as text', '1772368200000'],
    ['an RFC 2822 date', 'Sun, 01 Mar 2026 12:30:00 GMT'],
    ['trailing text', '2026-03-01T12:30:00Z junk'],
    ['empty', ''],
  ])('refuses %s', (_, text) => {
    expect(parseIsoInstant(text)).toBeNull();
  });
});

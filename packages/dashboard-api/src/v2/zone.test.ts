import { describe, expect, it } from 'vitest';
import { ZONE_NAMES, zoneName } from './zone.ts';

describe('zoneName', () => {
  it('keeps every listed name as given', () => {
    for (const zone of ZONE_NAMES) expect(zoneName(zone)).toBe(zone);
  });

  it('answers the name ClickHouse takes for another case or an alias (its zone files are read by exact name)', () => {
    expect(zoneName('europe/berlin')).toBe('Europe/Berlin');
    expect(zoneName('utc')).toBe('UTC');
    expect(zoneName('etc/gmt+5')).toBe('Etc/GMT+5');
    expect(zoneName('us/eastern')).toBe('America/New_York');
    expect(zoneName('US/Eastern')).toBe('America/New_York');
  });

  it('refuses what is no zone name', () => {
    for (const zone of ['Mars/Olympus', '+05:00', '', 'Europe/Berlin/', '../etc/passwd']) expect(zoneName(zone)).toBeNull();
  });
});

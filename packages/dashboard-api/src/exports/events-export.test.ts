import { ValidationError } from '@tidemark/shared';
import { describe, expect, it } from 'vitest';
import { namedZone, ZONE_NAMES } from '../v2/zone.ts';
import { parseExportRange } from './events-export.ts';

function refusal(query: Record<string, string>): ValidationError {
  try {
    parseExportRange(query);
  } catch (error) {
    if (error instanceof ValidationError) return error;
    throw error;
  }
  throw new Error(`taken: ${JSON.stringify(query)}`);
}

describe("the export's time zone (documented by its pattern)", () => {
  it('takes every zone the Query API lists', () => {
    const refused = ZONE_NAMES.filter((timezone) => {
      try {
        parseExportRange({ from: '2026-01-01', to: '2026-01-02', timezone });
        return false;
      } catch {
        return true;
      }
    });
    expect(refused).toEqual([]);
  });

  it('refuses offsets and unknown names, which the runtime alone would take or which fit the pattern', () => {
    for (const timezone of ['+05:00', '+01', '-0330', 'Mars/Olympus', 'Europe/Berlin/Mitte', '']) {
      expect(namedZone(timezone), timezone).toBe(false);
      expect(refusal({ from: '2026-01-01', to: '2026-01-02', timezone })).toMatchObject({ field: 'timezone' });
    }
    expect(namedZone('US/Eastern')).toBe(true); // an alias the runtime knows
  });

  it('takes a zone only with days', () => {
    expect(refusal({ from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z', timezone: 'UTC' }).message).toMatch(/only with dates/);
  });
});

import { ValidationError } from '@tidemark/shared';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../openapi.ts';
import { parseQuery } from './parse.ts';
import { ZONE_NAMES } from './zone.ts';

const base = { site: 'example.com', metrics: ['visitors'] };

function pointerOf(body: unknown): string | undefined {
  try {
    parseQuery(body);
  } catch (error) {
    if (error instanceof ValidationError) return error.field;
    throw error;
  }
  return undefined;
}

describe('parseQuery', () => {
  it('fills the defaults', () => {
    expect(parseQuery(base)).toMatchObject({
      sites: ['example.com'],
      dateRange: '7d',
      timezone: 'UTC',
      dimensions: [],
      filters: [],
      compare: null,
      orderBy: [['visitors', 'desc']],
      limit: 100,
      offset: 0,
      format: 'json',
      include: { imports: false, totals: true },
    });
    expect(parseQuery({ ...base, include: { totals: false } }).include).toEqual({ imports: false, totals: false });
    expect(parseQuery({ ...base, include: { imports: true, totals: true } }).include).toEqual({ imports: true, totals: true });
    expect(parseQuery({ ...base, dimensions: ['time:day'] }).orderBy).toEqual([['time:day', 'asc']]);
    expect(parseQuery(base, { siteTimezone: () => 'Asia/Kolkata' }).timezone).toBe('Asia/Kolkata');
    expect(parseQuery(base, { acceptCsv: true }).format).toBe('csv');
  });

  it.each([
    ['not an object', [], ''],
    ['no site', { metrics: ['visitors'] }, '/site'],
    ['a bad site', { ...base, site: ['ok.com', 'not a host'] }, '/site/1'],
    ['an unknown key', { ...base, planet: 1 }, '/planet'],
    ['an unknown metric', { ...base, metrics: ['visitors', 'revenue'] }, '/metrics/1'],
    ['an unknown dimension', { ...base, dimensions: ['planet'] }, '/dimensions/0'],
    ['two time dimensions', { ...base, dimensions: ['time:day', 'time:hour'] }, '/dimensions'],
    ['a bad filter shape', { ...base, filters: [['is', 'page']] }, '/filters/0'],
    ['an unknown operator', { ...base, filters: [['like', 'page', ['/']]] }, '/filters/0/0'],
    [
      'an unknown filter dimension',
      {
        ...base,
        filters: [
          [
            'or',
            [
              ['is', 'page', ['/']],
              ['is', 'planet', ['x']],
            ],
          ],
        ],
      },
      '/filters/0/1/1/1',
    ],
    ['a filter on time', { ...base, filters: [['is', 'time', ['x']]] }, '/filters/0/1'],
    ['a non-string value', { ...base, filters: [['is', 'page', ['/', 3]]] }, '/filters/0/2/1'],
    ['a range the wrong way round', { ...base, dateRange: ['2026-02-01', '2026-01-01'] }, '/dateRange/0'],
    ['a range of mixed kinds', { ...base, dateRange: ['2026-02-01', 'tomorrow'] }, '/dateRange/1'],
    ['an impossible date', { ...base, dateRange: ['2026-02-30', '2026-03-01'] }, '/dateRange/0'],
    ['a window over 24h', { ...base, dateRange: '25h' }, '/dateRange'],
    ['a window with a leading zero', { ...base, dateRange: '030m' }, '/dateRange'],
    ['an instant at hour 24', { ...base, dateRange: ['2026-01-01T00:00Z', '2026-01-01T24:00Z'] }, '/dateRange/1'],
    ['a prop key over 64 characters', { ...base, dimensions: [`prop:${'😀'.repeat(65)}`] }, '/dimensions/0'],
    ['a value over 2048 characters', { ...base, filters: [['is', 'page', ['😀'.repeat(2049)]]] }, '/filters/0/2/0'],
    ['an unknown time zone', { ...base, timezone: 'Mars/Olympus' }, '/timezone'],
    ['a limit out of range', { ...base, limit: 10_001 }, '/limit'],
    ['a fractional offset', { ...base, offset: 1.5 }, '/offset'],
    ['orderBy on something not asked', { ...base, orderBy: [['visits', 'desc']] }, '/orderBy/0/0'],
    ['a bad comparison', { ...base, compare: 'last_week' }, '/compare'],
    ['conversion_rate without a goal', { ...base, metrics: ['conversion_rate'] }, '/metrics'],
    ['a bad format', { ...base, format: 'xml' }, '/format'],
    ['an unknown include key', { ...base, include: { rows: true } }, '/include'],
    ['include.totals not a boolean', { ...base, include: { totals: 'no' } }, '/include/totals'],
  ])('refuses %s with a pointer into the body', (_, body, pointer) => {
    expect(pointerOf(body)).toBe(pointer);
  });

  it('agrees with the OpenAPI request schema on what is well-formed', () => {
    const doc = openApiDocument() as { components: { schemas: Record<string, unknown> } };
    const ajv = new Ajv2020({ strict: false });
    ajv.addSchema({ $id: 'doc', components: doc.components } as object);
    const validate = ajv.getSchema('doc#/components/schemas/queryRequest');
    if (!validate) throw new Error('no queryRequest schema');
    const good = [
      base,
      { site: ['a.com', 'b.com'], metrics: ['visits', 'bounce_rate'], dateRange: ['2026-01-01', '2026-01-31'], timezone: 'Asia/Kathmandu' },
      {
        ...base,
        dimensions: ['prop:plan', 'time:week'],
        filters: [
          ['not', ['matches', 'page', ['^/blog']]],
          ['and', [['is', 'country', ['DE']]]],
        ],
      },
      { ...base, compare: ['2025-01-01', '2025-01-31'], orderBy: [['visitors', 'asc']], limit: 10_000, offset: 5, format: 'csv' },
      { ...base, dateRange: ['0000-02-29', '9999-12-31'], dimensions: [`prop:${'😀'.repeat(64)}`], timezone: 'Asia/Kolkata' },
      { ...base, dateRange: ['2026-01-01T00:00:00.5+05:45', '2026-01-01T23:59Z'], filters: [['is', 'page', ['😀'.repeat(2048)]]] },
      { ...base, dateRange: '86400s', dimensions: ['time:hour', 'page'], timezone: 'Asia/Calcutta' },
    ];
    for (const body of good) {
      expect(pointerOf(body)).toBeUndefined();
      expect(validate(body)).toBe(true);
    }
    const bad = [
      { metrics: ['visitors'] },
      { ...base, metrics: ['revenue'] },
      { ...base, limit: 0 },
      { ...base, filters: [['like', 'page', ['/']]] },
      { ...base, x: 1 },
      { ...base, site: 'not a host' },
      { ...base, timezone: '+05:00' },
      { ...base, timezone: 'not a zone' },
      { ...base, dateRange: '86401s' },
      { ...base, dateRange: ['2026-02-29', '2026-03-01'] },
      { ...base, dateRange: ['2026-01-01', '2026-01-01T00:00Z'] },
      { ...base, dimensions: ['time:day', 'time:hour'] },
      { ...base, filters: [['is', 'time:day', ['x']]] },
      { ...base, compare: '7d' },
      { ...base, dimensions: ['page'], orderBy: [['planet', 'asc']] },
    ];
    for (const body of bad) {
      expect(pointerOf(body)).toBeDefined();
      expect(validate(body), JSON.stringify(body)).toBe(false);
    }
    // The document states the form of a zone's name: every zone the runtime knows has it and is
    // taken; a name of that form no zone has is the parser's 400 (a rule schemathesis' hooks allow).
    for (const timezone of ZONE_NAMES) {
      expect(validate({ ...base, timezone }), timezone).toBe(true);
      expect(pointerOf({ ...base, timezone })).toBeUndefined();
    }
    expect(validate({ ...base, timezone: 'Mars/Olympus' })).toBe(true);
    expect(pointerOf({ ...base, timezone: 'Mars/Olympus' })).toBe('/timezone');
  });
});

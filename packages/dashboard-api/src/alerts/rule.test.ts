import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { signature } from './deliver.ts';
import { duePeriod } from './report.ts';
import { everyMs, parseAlert, parseReport, type ReportRule, redact } from './rule.ts';

const NOW = Date.UTC(2026, 10, 30, 12);
const base = {
  site: 'Example.com',
  name: 'Spike',
  query: { metrics: ['pageviews'], dateRange: '5m' },
  condition: { op: '>', value: 100 },
  every: '10s',
  channels: [{ type: 'webhook', url: 'https://hooks.example/x', secret: 'a-long-secret' }],
};
const fieldOf = (body: unknown, smtp = false) => {
  try {
    parseAlert(body, { smtp, now: NOW, id: 'r1' });
  } catch (error) {
    return (error as { field: string }).field;
  }
  return null;
};

describe('alert rules', () => {
  it('takes a threshold rule and answers it without its secret', () => {
    const rule = parseAlert(base, { smtp: false, now: NOW, id: 'r1' });
    expect(rule).toMatchObject({ id: 'r1', site: 'example.com', every: '10s', condition: { op: '>', value: 100 } });
    expect(JSON.stringify(redact(rule, true))).not.toContain('a-long-secret');
    expect(redact(rule, true).channels).toEqual([
      { type: 'webhook', target: 'https://hooks.example', url: 'https://hooks.example/x', hasSecret: true },
    ]);
    // Who may only read the rule sees where it delivers, not the URL (a Slack webhook's is its credential).
    expect(redact(rule, false).channels).toEqual([{ type: 'webhook', target: 'https://hooks.example', hasSecret: true }]);
  });

  it('points at what is wrong', () => {
    expect(fieldOf({ ...base, extra: 1 })).toBe('/extra');
    expect(fieldOf({ ...base, every: '9s' })).toBe('/every');
    expect(fieldOf({ ...base, every: '2d' })).toBe('/every');
    expect(fieldOf({ ...base, condition: { changePct: 0, minVolume: 1 } })).toBe('/condition/changePct');
    expect(fieldOf({ ...base, query: { metrics: ['pageviews'], filters: [['is', 'nope', ['x']]] } })).toBe('/query/filters/0/1');
    expect(fieldOf({ ...base, query: { metrics: ['pageviews'], dateRange: '30d' } })).toBe('/query/dateRange');
    expect(fieldOf({ ...base, query: { metrics: ['pageviews'], dateRange: '30d' }, every: '1h' })).toBe(null);
    expect(fieldOf({ ...base, channels: [{ type: 'email', to: 'a@b.example' }] })).toBe('/channels/0/type');
    expect(fieldOf({ ...base, channels: [{ type: 'email', to: 'a@b.example' }] }, true)).toBe(null);
    expect(fieldOf({ ...base, channels: [{ type: 'webhook', url: 'https://x.example', secret: 'short' }] })).toBe('/channels/0/secret');
    expect(fieldOf({ ...base, channels: [] })).toBe('/channels');
    expect(fieldOf({ ...base, site: 'not a site' })).toBe('/site');
  });

  it('takes null for no field: a default is for a field left out (as /openapi.json says)', () => {
    expect(fieldOf({ ...base, every: null })).toBe('/every');
    expect(fieldOf({ ...base, query: { metrics: ['pageviews'], dateRange: null } })).toBe('/query/dateRange');
    const report = { site: 'example.com', period: 'weekly', channels: base.channels };
    const reportField = (body: unknown) => {
      try {
        parseReport(body, { smtp: false, now: NOW, id: 'r2', siteTimezone: null });
      } catch (error) {
        return (error as { field: string }).field;
      }
      return null;
    };
    expect(reportField(report)).toBe(null);
    expect(reportField({ ...report, timezone: null })).toBe('/timezone');
    expect(reportField({ ...report, at: null })).toBe('/at');
    expect(reportField({ ...report, site: ['example.com'] })).toBe('/site');
  });

  it('reads intervals from 10 s to a day', () => {
    expect([everyMs('10s'), everyMs('5m'), everyMs('1h'), everyMs('1d'), everyMs('9s'), everyMs('25h'), everyMs('10')]).toEqual([
      10_000,
      300_000,
      3_600_000,
      86_400_000,
      null,
      null,
      null,
    ]);
  });

  it('signs like openssl: sha256=<hex HMAC-SHA256 of the raw body>', () => {
    const body = JSON.stringify({ alert: 'Spike', site: 'example.com', state: 'firing', value: 120.5, note: 'é ✓' });
    const openssl = execFileSync('openssl', ['dgst', '-sha256', '-hmac', 'a-long-secret', '-hex'], { input: body }).toString();
    expect(signature('a-long-secret', body)).toBe(`sha256=${openssl.trim().split(/\s+/).at(-1)}`);
  });

  it('schedules reports on the Monday / the 1st at their local time, across DST', () => {
    const weekly: ReportRule = {
      id: 'w',
      kind: 'report',
      site: 's',
      name: 'w',
      period: 'weekly',
      at: '08:00',
      timezone: 'Europe/Berlin',
      channels: [],
      createdAt: '',
    };
    // Monday 2026-10-26 08:00 in Berlin is 07:00 UTC (CET, the day after the change).
    expect(duePeriod(weekly, Date.UTC(2026, 9, 26, 7, 0, 30))).toEqual({
      sendAt: Date.UTC(2026, 9, 26, 7),
      key: Date.UTC(2026, 9, 19) / 86_400_000,
      from: '2026-10-19',
      to: '2026-10-25',
    });
    expect(duePeriod(weekly, Date.UTC(2026, 9, 26, 6, 59)).from).toBe('2026-10-12');
    const monthly: ReportRule = { ...weekly, period: 'monthly', timezone: 'America/New_York', at: '09:30' };
    expect(duePeriod(monthly, Date.UTC(2026, 2, 1, 15))).toMatchObject({
      sendAt: Date.UTC(2026, 2, 1, 14, 30),
      from: '2026-02-01',
      to: '2026-02-28',
    });
    expect(duePeriod(monthly, Date.UTC(2026, 0, 1, 14)).from).toBe('2025-11-01');
  });
});

/**
 * Imported history as reports read it (docs/imports.md "Imported data in reports"), against the
 * real engine and server: the statement over an imported Plausible export (Jan 1–3, 2024) gives
 * its totals by report, leaves out the days on which the site has native events (in the query's
 * zone: native data wins, nothing counts twice), and says why when a query is one the imported
 * reports cannot answer.
 */
import { storedEvent } from '@tidemark/shared';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type ImportedInput, importedStatement } from '../packages/dashboard-api/src/imports/query.ts';
import { type Stack, startStack, uniqueName } from './harness.ts';
import { plausibleExport, zip } from './import-fixtures.ts';

const TOKEN = uniqueName('token');
const modes = [
  ['embedded ClickHouse', () => ({})],
  ['ClickHouse server', () => ({ CLICKHOUSE_URL: inject('clickhouseUrl') })],
] as const;

describe.each(modes)('imported data in reports, %s', (_, envOf) => {
  let stack: Stack;
  const site = `${uniqueName('iq')}.example`;

  beforeAll(async () => {
    // Raw events of 2024 outlive the default 90-day retention only with a longer one.
    stack = await startStack({ API_TOKEN: TOKEN, RETENTION_DAYS: '3650', ...envOf() });
    const res = await fetch(`${stack.apiUrl}/api/v2/sites/${site}/imports?source=plausible`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}` },
      body: zip(plausibleExport()),
    });
    expect(res.status).toBe(201);
    // One native pageview at 00:30 UTC on Jan 2: Jan 2 in UTC, Jan 1 in New York.
    await stack.client.insert({
      table: `${stack.database}.events`,
      values: [
        storedEvent({
          site,
          event_id: '0f0e0d0c-0b0a-4908-8706-050403020100',
          timestamp: '2024-01-02 00:30:00.000',
          url: `https://${site}/`,
          host: site,
        }),
      ],
      format: 'JSONEachRow',
    });
    await importRecent();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  // The Query API reads whole days from rollups kept 2 years: its tests import the same export moved to recent days.
  const recent = `${uniqueName('iqr')}.example`;
  const day = (i: number) => new Date(Math.floor(Date.now() / 86_400_000 - 60 + i) * 86_400_000).toISOString().slice(0, 10);
  const days = [day(0), day(1), day(2)] as const;
  async function importRecent(): Promise<void> {
    const moved = Object.fromEntries(
      Object.entries(plausibleExport(`${days[0].replaceAll('-', '')}_${days[2].replaceAll('-', '')}`)).map(([name, text]) => [
        name,
        text.replaceAll('2024-01-01', days[0]).replaceAll('2024-01-02', days[1]).replaceAll('2024-01-03', days[2]),
      ]),
    );
    const res = await fetch(`${stack.apiUrl}/api/v2/sites/${recent}/imports?source=plausible`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}` },
      body: zip(moved),
    });
    expect(res.status).toBe(201);
    await stack.client.insert({
      table: `${stack.database}.events`,
      values: [
        storedEvent({
          site: recent,
          event_id: '0f0e0d0c-0b0a-4908-8706-050403020101',
          timestamp: `${days[1]} 00:30:00.000`,
          url: `https://${recent}/`,
          host: recent,
        }),
      ],
      format: 'JSONEachRow',
    });
  }

  async function run(fields: Partial<ImportedInput>): Promise<Record<string, string | number>[]> {
    const plan = importedStatement({
      database: stack.database,
      sites: [site],
      fromDay: '2024-01-01',
      toDay: '2024-01-03',
      zone: 'UTC',
      dimensions: [],
      interval: 'day',
      filters: [],
      ...fields,
    });
    if (!plan.ok) throw new Error(plan.reason);
    const rows = await (await stack.client.query({ query: plan.sql, query_params: plan.params, format: 'JSONEachRow' })).json<
      Record<string, string | number>
    >();
    return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, /^d\d+$/.test(k) ? v : Number(v)])));
  }

  it('totals the days without native data (Jan 2 has a native pageview)', async () => {
    expect(await run({})).toEqual([{ visitors: 15, visits: 18, pageviews: 39, visit_pageviews: 39, bounces: 6, duration: 660_000 }]);
  });

  it('counts the day by the query’s zone: in New York the native pageview is on Jan 1', async () => {
    const [row] = await run({ zone: 'America/New_York' });
    expect(row).toMatchObject({ visitors: 25, pageviews: 59 });
  });

  it('buckets by day, week and month as the Query API does', async () => {
    const days = await run({ dimensions: ['time:day'] });
    expect(days.map((r) => [r.d0, r.visitors]).sort()).toEqual([
      [Date.UTC(2024, 0, 1) / 1000, 10],
      [Date.UTC(2024, 0, 3) / 1000, 5],
    ]);
    const weeks = await run({ dimensions: ['time'], interval: 'week', zone: 'Europe/Berlin' });
    // Jan 1, 2024 is a Monday: one week, from Berlin's midnight.
    expect(weeks).toEqual([expect.objectContaining({ d0: Date.UTC(2023, 11, 31, 23) / 1000, visitors: 15 })]);
  });

  it('breaks down by source (empty source = Direct / None), page, browser, and filters on the same report', async () => {
    const sources = await run({ dimensions: ['source'] });
    expect(sources.map((r) => [r.d0, r.visitors, r.visits]).sort()).toEqual([
      ['Direct / None', 3, 4],
      ['Google', 7, 8],
    ]);
    const pages = await run({ dimensions: ['page'] });
    expect(pages.map((r) => [r.d0, r.pageviews, r.time_on_page_sum, r.time_on_page_count, r.scroll_depth_sum]).sort()).toEqual([
      ['/', 20, 120_000, 6, 300],
      ['/blog/a, b', 10, 30_000, 3, 0],
    ]);
    expect(await run({ dimensions: ['browser', 'browser_version'] })).toEqual([
      expect.objectContaining({ d0: 'Firefox', d1: '121.0', visits: 5 }),
    ]);
    expect(await run({ filters: [{ op: 'is', dimension: 'source', values: ['Google'] }] })).toEqual([
      expect.objectContaining({ visitors: 7 }),
    ]);
    expect(await run({ dimensions: ['utm_medium'], filters: [{ op: 'contains_not', dimension: 'source', values: ['oo'] }] })).toEqual([
      expect.objectContaining({ d0: '', visitors: 3 }),
    ]);
  });

  it('leaves out an imported day the native data covers, also for custom events', async () => {
    expect(await run({ dimensions: ['event'] })).toEqual([]); // Signup was on Jan 2
    expect(await run({ dimensions: ['event'], zone: 'America/New_York' })).toEqual([
      expect.objectContaining({ d0: 'Signup', events: 5, conversions: 5, converters: 4 }),
    ]);
  });

  it.each([
    [{ dimensions: ['time:hour'] }, 'imported data is daily'],
    [{ dimensions: ['page', 'country'] }, 'no imported report holds them together'],
    [{ dimensions: ['prop:plan'] }, 'imports hold no custom properties'],
    [
      { dimensions: ['page'], filters: [{ op: 'is' as const, dimension: 'source', values: ['Google'] }] },
      'no imported report holds them together',
    ],
  ])('says why it cannot answer %j', (fields, reason) => {
    const plan = importedStatement({
      database: 'db',
      sites: [site],
      fromDay: '2024-01-01',
      toDay: '2024-01-03',
      zone: 'UTC',
      interval: 'day',
      filters: [],
      ...fields,
    });
    expect(plan.ok).toBe(false);
    expect(plan.ok ? '' : plan.reason).toContain(reason);
  });

  async function query(body: Record<string, unknown>): Promise<{
    results: { dimensions: string[]; metrics: number[] }[];
    totals: number[];
    meta: { imports?: { included: boolean; reason?: string } };
  }> {
    const res = await fetch(`${stack.apiUrl}/api/v2/query`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ site: recent, dateRange: [days[0], days[2]], timezone: 'UTC', ...body }),
    });
    expect(res.status).toBe(200);
    return res.json() as never;
  }

  it('counts in the Query API with "include": { "imports": true }, native data winning on the second day', async () => {
    const metrics = ['visitors', 'pageviews', 'visits', 'bounce_rate'];
    expect((await query({ metrics })).totals).toEqual([1, 1, 0, 0]);
    const both = await query({ metrics, include: { imports: true } });
    // Days 1 and 3 imported (15 visitors, 39 pageviews, 18 visits, 6 bounces) + day 2's native pageview.
    expect(both.totals).toEqual([16, 40, 18, 33.3]);
    expect(both.meta.imports).toEqual({ included: true, table: `${stack.database}.imported_visitors` });
    const daily = await query({ metrics: ['visitors', 'pageviews'], dimensions: ['time:day'], include: { imports: true } });
    expect(daily.results.map((r) => [r.dimensions[0], ...r.metrics])).toEqual([
      [days[0], 10, 30],
      [days[1], 1, 1],
      [days[2], 5, 9],
    ]);
    const pages = await query({ metrics: ['pageviews', 'time_on_page'], dimensions: ['page'], include: { imports: true } });
    expect(pages.results.map((r) => [r.dimensions[0], ...r.metrics])).toEqual([
      ['/', 21, 20_000],
      ['/blog/a, b', 10, 10_000],
    ]);
    const sources = await query({ metrics: ['visits'], dimensions: ['source'], include: { imports: true } });
    expect(sources.results.map((r) => [r.dimensions[0], ...r.metrics])).toEqual([
      ['Google', 8],
      ['Direct / None', 4],
    ]);
  });

  it('leaves imports out of a query they cannot answer, rows and totals alike, and says why', async () => {
    const props = await query({ metrics: ['pageviews'], dimensions: ['prop:plan'], include: { imports: true } });
    expect(props.totals).toEqual([1]);
    expect(props.meta.imports).toEqual({ included: false, reason: 'prop:plan: imports hold no custom properties' });
    const hours = await query({ metrics: ['pageviews'], dimensions: ['time:hour'], include: { imports: true } });
    expect(hours.totals).toEqual([1]);
    expect(hours.meta.imports?.included).toBe(false);
    const partial = await query({
      metrics: ['pageviews'],
      dateRange: [`${days[0]}T12:00:00Z`, `${days[1]}T12:00:00Z`],
      include: { imports: true },
    });
    expect(partial.totals).toEqual([1]);
  });

  it('counts in the dashboard (the v1 routes) by default', async () => {
    const res = await fetch(`${stack.apiUrl}/api/v1/live?site=${recent}&from=${days[0]}&to=${day(3)}`, {
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ views: 40, visitors: 16 });
  });

  it('reads nothing of another site, nor of an import that did not complete', async () => {
    const other = `${uniqueName('none')}.example`;
    const bad = plausibleExport();
    bad['imported_visitors_20240101_20240103.csv'] = 'date,visitors\n2024-01-01,x\n';
    const res = await fetch(`${stack.apiUrl}/api/v2/sites/${other}/imports?source=plausible`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}` },
      body: zip(bad),
    });
    expect(res.status).toBe(400);
    const rows = await run({ sites: [other] });
    expect(rows.map((r) => r.visitors)).toEqual([0]);
  });
});

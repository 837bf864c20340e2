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
  });
  afterAll(async () => {
    await stack?.stop();
  });

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
    return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, k.startsWith('d') ? v : Number(v)])));
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

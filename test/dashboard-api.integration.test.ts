/**
 * Every Stats API route over a seeded dataset with known answers, on both real engines
 * (ClickHouse in-process and the ClickHouse server), each answer also checked against
 * `/openapi.json`.
 */
import { createDashboardApp, type DashboardApp } from '@tidemark/dashboard-api';
import { migrate } from '@tidemark/ingester';
import { type ClickHouseClient, createAccessRegistry, createClickHouse, loadConfig, plainLogger } from '@tidemark/shared';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { responseChecker } from './dashboard-openapi.ts';
import { EXPECTED, FRESH_SITE, NOW, SITE, seed, WEEK } from './dashboard-seed.ts';
import { processDataDir, uniqueName } from './harness.ts';

const iso = (ms: number) => new Date(ms).toISOString();
const HOUR_START = NOW - (25 * 60_000 + 30_500);
const at = (minute: number) => iso(HOUR_START + minute * 60_000);

describe.each(['embedded', 'server'] as const)('Stats API over a seeded dataset (%s ClickHouse)', (engine) => {
  const database = uniqueName('dash');
  let client: ClickHouseClient;
  let app: DashboardApp;
  let check: ReturnType<typeof responseChecker>;
  let backlog: number | null = null;

  beforeAll(async () => {
    const config = loadConfig({
      CLICKHOUSE_DATABASE: database,
      ...(engine === 'server' ? { CLICKHOUSE_URL: inject('clickhouseUrl') } : { DATA_DIR: processDataDir() }),
    });
    client = createClickHouse(config.clickhouse);
    await migrate(client, config.clickhouse);
    await seed(client, database);
    app = createDashboardApp({
      client,
      database,
      token: null,
      access: createAccessRegistry({ client, database, log: plainLogger() }),
      log: plainLogger(),
      registry: new Registry(),
      now: () => NOW,
      backlog: async () => backlog,
    });
    check = responseChecker(await (await app.request('/openapi.json')).json());
  });
  afterAll(async () => {
    app?.close();
    await client?.command({ query: `DROP DATABASE IF EXISTS ${database}` });
    await client?.close();
  });

  // biome-ignore lint/suspicious/noExplicitAny: answers are checked against the OpenAPI document right here
  async function get(path: string, status = 200): Promise<any> {
    const res = await app.request(path);
    const body: unknown = await res.json();
    expect({ path, status: res.status, body }).toMatchObject({ status });
    expect(check(path, res.status, body)).toEqual([]);
    return body;
  }

  it('/live counts views, distinct visitors across rollup minutes and raw edges, and time on page', async () => {
    expect(await get(`/api/v1/live?site=${SITE}&window=5m`)).toEqual({
      site: SITE,
      window: '5m',
      from: iso(NOW - 300_000),
      to: iso(NOW),
      ...EXPECTED.live5m,
    });
    expect(await get(`/api/v1/live?site=${SITE.toUpperCase()}&window=30s`)).toMatchObject({ views: 1, visitors: 1, avgDurationMs: 5000 });
    expect(await get(`/api/v1/live?site=${SITE}&from=${at(20)}&to=${at(24)}`)).toMatchObject({ window: null, views: 4, visitors: 3 });
    expect(await get(`/api/v1/live?site=nobody.example`)).toMatchObject({ views: 0, visitors: 0, avgDurationMs: 0 });
  });

  it('/top-pages ranks paths with views, visitors and time on page', async () => {
    expect(await get(`/api/v1/top-pages?site=${SITE}&window=10m`)).toEqual({
      pages: [
        { path: '/a', views: 3, visitors: 3, avgDurationMs: 4000 },
        { path: '/b', views: 1, visitors: 1, avgDurationMs: 0 },
        { path: '/c', views: 1, visitors: 1, avgDurationMs: 0 },
      ],
    });
    expect((await get(`/api/v1/top-pages?site=${SITE}&window=10m&limit=1`)).pages).toHaveLength(1);
  });

  it('/timeseries gives every minute bucket of the window, zeros included', async () => {
    const body = await get(`/api/v1/timeseries?site=${SITE}&window=10m&interval=minute`);
    expect(body.interval).toBe('minute');
    expect(body.points).toHaveLength(11);
    const views = Object.fromEntries(
      body.points.filter((p: { views: number }) => p.views > 0).map((p: { time: string; views: number }) => [p.time, p.views]),
    );
    expect(views).toEqual({ [at(20)]: 2, [at(22)]: 1, [at(23)]: 1, [at(25)]: 1 });
    expect(body.points[0]).toEqual({ time: at(15), views: 0, visitors: 0 });
  });

  it('/timeseries by hour keeps visitors distinct within a bucket', async () => {
    const body = await get(`/api/v1/timeseries?site=${SITE}&window=1h&interval=hour`);
    expect(body.points).toEqual([
      { time: iso(HOUR_START - 3_600_000), views: 0, visitors: 0 },
      { time: iso(HOUR_START), views: 6, visitors: 5 },
    ]);
  });

  it('/timeseries with a breakdown splits buckets by country, top values only', async () => {
    const body = await get(`/api/v1/timeseries?site=${SITE}&window=10m&interval=minute&breakdown=country`);
    expect(body.breakdown).toBe('country');
    expect(body.points).toEqual([
      { time: at(20), country: 'DE', views: 1, visitors: 1 },
      { time: at(20), country: 'GB', views: 1, visitors: 1 },
      { time: at(22), country: 'FR', views: 1, visitors: 1 },
      { time: at(23), country: 'DE', views: 1, visitors: 1 },
      { time: at(25), country: 'US', views: 1, visitors: 1 },
    ]);
    const top = await get(`/api/v1/timeseries?site=${SITE}&window=10m&interval=minute&breakdown=country&limit=1`);
    expect(top.points.map((p: { country: string }) => p.country)).toEqual(['DE', 'DE']);
  });

  it('/breakdown answers every dimension', async () => {
    const rows = async (dimension: string) => (await get(`/api/v1/breakdown?site=${SITE}&window=10m&dimension=${dimension}`)).rows;
    expect(await rows('country')).toEqual([
      { value: 'DE', views: 2, visitors: 2 },
      { value: 'FR', views: 1, visitors: 1 },
      { value: 'GB', views: 1, visitors: 1 },
      { value: 'US', views: 1, visitors: 1 },
    ]);
    expect(await rows('source')).toEqual([
      { value: 'direct', views: 3, visitors: 3 },
      { value: 'search', views: 1, visitors: 1 },
      { value: 'social', views: 1, visitors: 1 },
    ]);
    expect(await rows('device')).toEqual([
      { value: 'desktop', views: 4, visitors: 4 },
      { value: 'mobile', views: 1, visitors: 1 },
    ]);
    expect(await rows('event')).toEqual([{ value: 'signup', views: 1, visitors: 1 }]);
    for (const dimension of ['referrer', 'browser', 'os', 'utm_source', 'utm_medium', 'utm_campaign']) {
      const found = await rows(dimension);
      expect(found.reduce((n: number, r: { views: number }) => n + r.views, 0)).toBe(5);
    }
  });

  it('/anomaly compares this hour so far with the same elapsed minutes 7 days earlier', async () => {
    expect(await get(`/api/v1/anomaly?site=${SITE}`)).toEqual({
      ...EXPECTED.anomaly,
      from: iso(HOUR_START),
      to: iso(NOW),
      previousFrom: iso(HOUR_START - WEEK),
      previousTo: iso(NOW - WEEK),
    });
    expect(await get(`/api/v1/anomaly?site=nobody.example`)).toMatchObject({ currentViews: 0, previousViews: 0, changePct: null });
  });

  it('/freshness reports the newest stored event, the queue backlog and the lag', async () => {
    backlog = 5;
    expect(await get(`/api/v1/freshness?site=${FRESH_SITE}`)).toEqual({ lagMs: 1234, lastEventAt: iso(NOW - 1234), queueBacklog: 5 });
    backlog = 0;
    expect(await get(`/api/v1/freshness?site=${FRESH_SITE}`)).toEqual({ lagMs: 0, lastEventAt: iso(NOW - 1234), queueBacklog: 0 });
    backlog = null;
    expect(await get('/api/v1/freshness')).toEqual({ lagMs: 0, lastEventAt: iso(NOW + 5000), queueBacklog: null });
    expect(await get('/api/v1/freshness?site=nobody.example')).toEqual({ lagMs: null, lastEventAt: null, queueBacklog: null });
  });

  it('/sites lists the sites with pageviews', async () => {
    expect(await get('/api/v1/sites')).toEqual({
      sites: [
        { site: SITE, views: 13 },
        { site: FRESH_SITE, views: 1 },
      ],
    });
  });

  it('bad parameters are 400s that match the documented error shape', async () => {
    const body = await get(`/api/v1/breakdown?site=${SITE}&dimension=planet`, 400);
    expect(body).toMatchObject({ field: 'dimension' });
  });
});

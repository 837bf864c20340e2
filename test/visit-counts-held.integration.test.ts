/**
 * The `held` marker rows of the visit counts (`visit_visitors_1d`, clickhouse/029): a complete UTC
 * day whose visits do not hold exactly the day's events (not all written yet) gets its '' row
 * alone, with the events its visits hold as `held`. The Query API must not read such a day as a
 * count (it reads the day's visits), the ingester must not count it again until its events change,
 * and once they change and the visits hold them all, the day is counted in full and read from the
 * counts — the same answers throughout as the visits give.
 */
import { createDashboardApp } from '@tidemark/dashboard-api';
import { countVisitors, migrate } from '@tidemark/ingester';
import { type ClickHouseClient, createAccessRegistry, createClickHouse, loadConfig, plainLogger, toClickHouseTime } from '@tidemark/shared';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { processDataDir, uniqueName } from './harness.ts';

const DAY = 86_400_000;
const SITE = 'held.example';
/** A complete UTC day (three days ago) and the query's "now" after it. */
const D = Math.floor(Date.now() / DAY) * DAY - 3 * DAY;
const NOW = D + 2 * DAY + 3_600_000;
const at = (minutes: number) => toClickHouseTime(D + 10 * 3_600_000 + minutes * 60_000);

describe.each(['embedded', 'server'] as const)('visit counts of a day whose visits do not hold its events (%s)', (mode) => {
  const database = uniqueName('held');
  let client: ClickHouseClient;
  let app: ReturnType<typeof createDashboardApp>;

  beforeAll(async () => {
    const config = loadConfig({
      CLICKHOUSE_DATABASE: database,
      ...(mode === 'server' ? { CLICKHOUSE_URL: inject('clickhouseUrl') } : { DATA_DIR: processDataDir() }),
    });
    client = createClickHouse(config.clickhouse);
    await migrate(client, config.clickhouse);
    const log = plainLogger('warn');
    const access = createAccessRegistry({ client, database, log });
    app = createDashboardApp({ client, database, token: null, access, log, registry: new Registry(), now: () => NOW });
  });

  afterAll(async () => {
    app?.close();
    await client?.command({ query: `DROP DATABASE IF EXISTS ${database}` });
    await client?.close();
  });

  const event = (visitor: number, name: string, minutes: number, path = '/') => ({
    event_id: crypto.randomUUID(),
    site: SITE,
    name,
    timestamp: at(minutes),
    visitor_id: visitor,
    host: SITE,
    path,
    country: 'NL',
  });
  const visit = (
    visitor: number,
    sign: number,
    version: number,
    first: number,
    last: number,
    pageviews: number,
    events: number,
    pairs: [string, string][],
  ) => ({
    site: SITE,
    visitor_id: visitor,
    first_at: at(first),
    last_at: at(last),
    sign,
    version,
    host: SITE,
    entry_page: '/',
    exit_page: '/',
    entry_page_at: at(first),
    exit_page_at: at(last),
    channel: 'Direct',
    source: 'Direct / None',
    country: 'NL',
    device: 'desktop',
    pageviews,
    events,
    pairs: pairs.map(([name, path]) => ({ name, path })),
  });
  const insert = (table: string, values: object[]) => client.insert({ table: `${database}.${table}`, values, format: 'JSONEachRow' });
  const dayRows = async () =>
    (
      await (
        await client.query({
          query: `SELECT dimension, value, events, held, visitors FROM ${database}.visit_visitors_1d FINAL
                  WHERE site = {site:String} AND bucket = {day:DateTime('UTC')} ORDER BY dimension, value`,
          query_params: { site: SITE, day: toClickHouseTime(D).slice(0, 19) },
          format: 'JSONEachRow',
        })
      ).json<{ dimension: string; value: string; events: string; held: string; visitors: string }>()
    ).map((r) => ({ ...r, events: Number(r.events), held: Number(r.held), visitors: Number(r.visitors) }));
  const ask = async (body: Record<string, unknown>) => {
    const res = await app.request('/api/v2/query', {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'Content-Type': 'application/json' },
    });
    const json = (await res.json()) as { results: { metrics: number[]; dimensions: string[] }[]; meta: { tables: string[] } };
    if (res.status !== 200) throw new Error(`${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const day = new Date(D).toISOString().slice(0, 10);
  const clicked = { site: SITE, dateRange: [day, day], filters: [['is', 'channel', ['Direct']]] };

  it('keeps a marker row alone, answers from the visits, and counts the day in full once its events change', async () => {
    // Visitor 1: two pageviews; visitor 2: a pageview and a signup. Only visitor 1's visit is written.
    await insert('events', [event(1, 'pageview', 0), event(1, 'pageview', 5, '/a'), event(2, 'pageview', 20), event(2, 'signup', 22)]);
    await insert('visits', [
      visit(1, 1, 1, 0, 5, 2, 0, [
        ['pageview', '/'],
        ['pageview', '/a'],
      ]),
    ]);
    await countVisitors(client, database);
    // The marker: the '' row alone, holding 2 of the day's 4 events. The day has no `channel` row, so
    // an answer read from its counts would be 0 visitors: the answers below are the visits'.
    expect(await dayRows()).toEqual([{ dimension: '', value: '', events: 4, held: 2, visitors: 1 }]);
    const early = await ask({ ...clicked, metrics: ['visitors', 'pageviews', 'events'] });
    expect(early.results[0]?.metrics).toEqual([1, 2, 0]);

    // Visitor 2's visit lands: the visits now hold the day's events, but the day's events have not
    // changed, so it is not counted again (not every round), and the answer comes from the visits.
    await insert('visits', [
      visit(2, 1, 1, 20, 22, 1, 1, [
        ['pageview', '/'],
        ['signup', '/'],
      ]),
    ]);
    await countVisitors(client, database);
    expect(await dayRows()).toEqual([{ dimension: '', value: '', events: 4, held: 2, visitors: 1 }]);
    const landed = await ask({ ...clicked, metrics: ['visitors', 'pageviews', 'events'] });
    expect(landed.results[0]?.metrics).toEqual([2, 3, 1]);
    const byGoal = await ask({ ...clicked, metrics: ['visitors', 'conversions'], dimensions: ['goal'] });
    expect(byGoal.results).toEqual([expect.objectContaining({ dimensions: ['signup'], metrics: [1, 1] })]);

    // A late pageview of visitor 2 (its visit rewritten to hold it): the day's events change, and it is counted in full.
    await insert('events', [event(2, 'pageview', 25, '/b')]);
    await insert('visits', [
      visit(2, -1, 1, 20, 22, 1, 1, [
        ['pageview', '/'],
        ['signup', '/'],
      ]),
      visit(2, 1, 2, 20, 25, 2, 1, [
        ['pageview', '/'],
        ['signup', '/'],
        ['pageview', '/b'],
      ]),
    ]);
    await countVisitors(client, database);
    const counted = await dayRows();
    expect(counted.find((r) => r.dimension === '')).toEqual({ dimension: '', value: '', events: 5, held: 5, visitors: 2 });
    expect(counted.find((r) => r.dimension === 'channel' && r.value === 'Direct')).toMatchObject({ events: 5, held: 5, visitors: 2 });
    const current = await ask({ ...clicked, metrics: ['visitors', 'pageviews', 'events'] });
    expect(current.results[0]?.metrics).toEqual([2, 4, 1]);
    const pages = await ask({ ...clicked, metrics: ['visitors'], dimensions: ['page'] });
    expect(pages.results.map((r) => [r.dimensions[0], r.metrics[0]])).toEqual([
      ['/', 2],
      ['/a', 1],
      ['/b', 1],
    ]);
  });
});

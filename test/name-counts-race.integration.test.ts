/**
 * The per-name day counts (`name-counts.ts`, clickhouse/039) and a whole UTC day's first insert:
 * between the write of its raw events and that of its `events_1d` row, the day has events and no
 * row of either rollup. Event metrics under a custom event filter (a goals panel row click) must
 * still count it, from its raw events, in both modes. The moment is made by deleting the day's
 * `events_1d` rows after the insert (the views write in turn; no setting holds one back).
 */
import { randomUUID } from 'node:crypto';
import { createDashboardApp, parseQuery } from '@tidemark/dashboard-api';
import { countVisitors, migrate } from '@tidemark/ingester';
import {
  type ClickHouseClient,
  createAccessRegistry,
  createClickHouse,
  loadConfig,
  plainLogger,
  type StoredEvent,
  storedEvent,
  toClickHouseTime,
} from '@tidemark/shared';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { processDataDir, uniqueName } from './harness.ts';
import { referenceQuery } from './reference/query.ts';

const DAY = 86_400_000;
const SITE = 'race.example';
/** Noon UTC two days ago; the range is the four whole UTC days before NOW's day. */
const NOW = Math.floor(Date.now() / DAY) * DAY - 36 * 3_600_000;
const TODAY = Math.floor(NOW / DAY) * DAY;
const day = (k: number) => new Date(TODAY - k * DAY).toISOString().slice(0, 10);

/** A day's visitors: each a pageview, half of them a signup too; ids of the day (they rotate). */
function dayEvents(k: number, visitors: number): StoredEvent[] {
  const out: StoredEvent[] = [];
  for (let v = 0; v < visitors; v++) {
    const t = TODAY - k * DAY + 3_600_000 + v * 60_000;
    const event = (name: string, at: number) =>
      storedEvent({
        event_id: randomUUID(),
        site: SITE,
        host: SITE,
        name,
        path: `/p/${v % 3}`,
        url: `https://${SITE}/p/${v % 3}`,
        visitor_id: String(k * 1000 + v),
        session_id: String(k * 1000 + v),
        timestamp: toClickHouseTime(at),
      });
    out.push(event('pageview', t));
    if (v % 2 === 0) out.push(event('signup', t + 5_000));
  }
  return out;
}

describe.each(['embedded', 'server'] as const)('name counts and a day not in events_1d yet (%s)', (mode) => {
  const database = uniqueName('name_race');
  let client: ClickHouseClient;
  let app: ReturnType<typeof createDashboardApp>;
  const counted = [1, 2, 3].flatMap((k) => dayEvents(k, 6 + k));
  const first = dayEvents(4, 10);

  beforeAll(async () => {
    const config = loadConfig({
      CLICKHOUSE_DATABASE: database,
      ...(mode === 'server' ? { CLICKHOUSE_URL: inject('clickhouseUrl') } : { DATA_DIR: processDataDir() }),
    });
    client = createClickHouse(config.clickhouse);
    await migrate(client, config.clickhouse);
    await client.insert({ table: `${database}.events`, values: counted, format: 'JSONEachRow' });
    await countVisitors(client, database);
    const log = plainLogger('warn');
    const access = createAccessRegistry({ client, database, log });
    app = createDashboardApp({ client, database, token: null, access, log, registry: new Registry(), now: () => NOW });
  });

  afterAll(async () => {
    app?.close();
    await client?.command({ query: `DROP DATABASE IF EXISTS ${database}` });
    await client?.close();
  });

  async function ask(body: Record<string, unknown>) {
    const res = await app.request('/api/v2/query', {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'Content-Type': 'application/json' },
    });
    expect(res.status).toBe(200);
    return (await res.json()) as { results: unknown[]; totals: unknown[]; meta: { tables: string[] } };
  }

  const bodies = [
    { site: SITE, metrics: ['visitors', 'events'], dateRange: [day(4), day(1)], filters: [['is', 'event', ['signup']]] },
    { site: SITE, metrics: ['visitors'], dateRange: [day(4), day(1)], dimensions: ['time:day'], filters: [['is', 'goal', ['signup']]] },
    {
      site: SITE,
      metrics: ['visitors', 'events'],
      dateRange: [day(4), day(1)],
      dimensions: ['page'],
      filters: [['is', 'event', ['signup']]],
    },
  ];

  it('counts a whole day whose events have landed before its events_1d row, from its raw events', async () => {
    // The counted days are read from their rows.
    for (const body of bodies) {
      const got = await ask(body);
      expect(got.meta.tables).toContain(`${database}.name_pages_1d`);
      expect({ body, results: got.results, totals: got.totals }).toEqual({ body, ...referenceQuery(counted, parseQuery(body), NOW) });
    }
    // The first insert of the oldest day: its raw events are there, its events_1d rows not yet.
    await client.insert({ table: `${database}.events`, values: first, format: 'JSONEachRow' });
    await client.command({
      query: `ALTER TABLE ${database}.events_1d DELETE WHERE bucket = {day:DateTime('UTC')}`,
      query_params: { day: toClickHouseTime(TODAY - 4 * DAY).slice(0, 19) },
      clickhouse_settings: { mutations_sync: '2' },
    });
    const left = await client.query({
      query: `SELECT count() AS n FROM ${database}.events_1d WHERE bucket = {day:DateTime('UTC')}`,
      query_params: { day: toClickHouseTime(TODAY - 4 * DAY).slice(0, 19) },
      format: 'JSONEachRow',
    });
    expect(Number(((await left.json()) as { n: string }[])[0]?.n)).toBe(0);
    const all = [...counted, ...first];
    for (const body of bodies) {
      const got = await ask(body);
      expect(got.meta.tables).toContain(`${database}.name_pages_1d`);
      expect({ body, results: got.results, totals: got.totals }).toEqual({ body, ...referenceQuery(all, parseQuery(body), NOW) });
    }
  });
});

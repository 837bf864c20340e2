/**
 * The insert wire formats against the real engines: varied events (unicode, empty strings
 * and maps, long text, the limits of every numeric type) go through the ingester — RowBinary
 * via `input()` to the ClickHouse server, JSONEachRow to the embedded engine — and read back
 * as JSON, equal in every column (times within the table's TTL: older rows are dropped on insert); the encoder's column list matches the real table.
 */
import { randomUUID } from 'node:crypto';
import { createIngester, createIngesterMetrics, createRecentIds, migrate } from '@tidemark/ingester';
import {
  type ClickHouseClient,
  type Config,
  createClickHouse,
  createMemoryQueue,
  EVENT_COLUMNS,
  encodeMessages,
  isEmbeddedClient,
  loadConfig,
  plainLogger,
  type QueueConsumer,
  type StoredEvent,
  toClickHouseTime,
} from '@tidemark/shared';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { processDataDir, uniqueName } from './harness.ts';
import { syntheticEvent } from './ingester-support.ts';

function variedEvents(site: string): StoredEvent[] {
  const plain = (i: number) => ({ ...syntheticEvent(site, i), event_id: randomUUID() });
  return [
    { ...plain(0), event_id: '00000000-0000-0000-0000-000000000000', pageview_id: 'ffffffff-ffff-ffff-ffff-ffffffffffff' },
    { ...plain(1), event_id: '00112233-4455-6677-8899-aabbccddeeff', pageview_id: '0a0b0c0d-0e0f-1011-1213-141516171819' },
    {
      ...plain(2),
      visitor_id: '18446744073709551615',
      session_id: '0',
      screen_width: 65_535,
      duration_ms: 4_294_967_295,
      timestamp: '2299-12-31 23:59:59.999',
    },
    {
      ...plain(3),
      visitor_id: '9007199254740993',
      session_id: '123456789012345',
      timestamp: toClickHouseTime(Math.floor(Date.now() / 1000) * 1000),
    },
    { ...plain(4), timestamp: toClickHouseTime(Date.now() - 86_400_000 + 1), screen_width: 0, duration_ms: 0 },
    {
      ...plain(5),
      path: '/ünï/çødé/日本語/😀',
      url: `https://${site}/ünï/çødé/日本語/😀?q=${'x'.repeat(3000)}`,
      referrer: 'https://例え.テスト/パス',
      utm_term: 'tab\there, newline\nhere, quote " and \\ backslash',
      utm_content: '\u0000\u0001\u007f',
      browser: 'Сафари',
      props: { plan: 'pro', '': '', ключ: '値😀', long: 'v'.repeat(300), quote: '"\'\\' },
    },
    {
      ...plain(6),
      query: '',
      referrer: '',
      referrer_host: '',
      utm_source: '',
      country: '',
      device: '',
      browser: '',
      browser_version: '',
      os: '',
      os_version: '',
      props: {},
    },
    ...Array.from({ length: 200 }, (_, i) => plain(7 + i)),
  ];
}

async function roundTrip(config: Config, client: ClickHouseClient, expectedFormat: 'RowBinary' | 'JSONEachRow') {
  const db = config.clickhouse.database;
  await migrate(client, config.clickhouse);
  const columns = await (
    await client.query({
      query: `SELECT name, type FROM system.columns WHERE database = '${db}' AND table = 'events' ORDER BY position`,
      format: 'JSONEachRow',
    })
  ).json<{ name: string; type: string }>();
  expect(columns.map((c) => [c.name, c.type.replace('LowCardinality(String)', 'String')])).toEqual(EVENT_COLUMNS.map(([n, t]) => [n, t]));

  const site = 'roundtrip.example';
  const events = variedEvents(site);
  const queue = createMemoryQueue({ maxRows: 1000, intervalMs: 20 });
  // The ingester picks its format from the client: text for the embedded engine, RowBinary otherwise.
  expect(isEmbeddedClient(client) ? 'JSONEachRow' : 'RowBinary').toBe(expectedFormat);
  const registry = new Registry();
  const ingester = createIngester({
    client,
    database: db,
    consumer: queue.consumer,
    log: plainLogger(),
    metrics: createIngesterMetrics(registry),
  });
  await ingester.start();
  await queue.producer.send(events);
  while (queue.size() > 0) await new Promise((r) => setTimeout(r, 20));
  await ingester.stop();
  expect(await registry.getSingleMetricAsString('tidemark_ingester_dead_lettered_total')).toMatch(/ 0$/);

  const stored = await (
    await client.query({
      query: `SELECT * FROM ${db}.events WHERE site = {site:String}`,
      query_params: { site },
      format: 'JSONEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 1 },
    })
  ).json<StoredEvent>();
  const byId = (a: StoredEvent, b: StoredEvent) => a.event_id.localeCompare(b.event_id);
  expect(stored.sort(byId)).toEqual([...events].sort(byId));

  // The Kafka wire format (RowBinary messages), one batch delivered twice with the same
  // coordinates, as after a crash before the commit: stored once, every column as sent.
  const packedSite = 'packed.example';
  const packed = variedEvents(packedSite);
  const messages = encodeMessages(packed, 16 * 1024);
  expect(messages.length).toBeGreaterThan(1);
  const topic = uniqueName('packed');
  const twice: QueueConsumer = {
    replays: false,
    async run(handle) {
      for (let assignment = 1; assignment <= 2; assignment++) {
        await handle({
          topic,
          partition: 0,
          assignment,
          messages: messages.map((m, i) => ({ ...m, offset: BigInt(i) })),
          highWatermark: BigInt(messages.length),
          active: () => true,
          heartbeat: async () => {},
          commit: async () => {},
          stop: () => {},
        });
      }
    },
    deadLetter: async () => {},
    backlog: async () => 0,
    close: async () => {},
  };
  const replaying = createIngester({
    client,
    database: db,
    consumer: twice,
    log: plainLogger(),
    metrics: createIngesterMetrics(new Registry()),
    recentIds: createRecentIds({ capacity: 1 }),
  });
  await replaying.start();
  await replaying.stop();
  const storedPacked = await (
    await client.query({
      query: `SELECT * FROM ${db}.events WHERE site = {site:String}`,
      query_params: { site: packedSite },
      format: 'JSONEachRow',
      clickhouse_settings: { output_format_json_quote_64bit_integers: 1 },
    })
  ).json<StoredEvent>();
  expect(storedPacked.sort(byId)).toEqual([...packed].sort(byId));
}

describe('insert wire formats, round-trip on the real engines', () => {
  const serverConfig = loadConfig({ CLICKHOUSE_URL: inject('clickhouseUrl'), CLICKHOUSE_DATABASE: uniqueName('rowbinary') });
  const server = createClickHouse(serverConfig.clickhouse);
  const embeddedConfig = loadConfig({ DATA_DIR: processDataDir(), CLICKHOUSE_DATABASE: uniqueName('rowbinary_embedded') });
  const embedded = createClickHouse(embeddedConfig.clickhouse);

  afterAll(async () => {
    await server.command({ query: `DROP DATABASE IF EXISTS ${serverConfig.clickhouse.database}` });
    await embedded.command({ query: `DROP DATABASE IF EXISTS ${embeddedConfig.clickhouse.database}` });
    await server.close();
    await embedded.close();
  });

  it('server: RowBinary through input() stores every column as sent', async () => {
    await roundTrip(serverConfig, server, 'RowBinary');
  });

  it('embedded engine: JSONEachRow stores every column as sent', async () => {
    await roundTrip(embeddedConfig, embedded, 'JSONEachRow');
  });
});

/**
 * Exactly-once under crashes and rebalances, on the real Kafka broker and ClickHouse server:
 * a batch inserted but not committed is replayed with the same boundaries (so the same
 * token) and dropped by ClickHouse; `kill -9` of the ingester mid-stream loses and doubles
 * nothing; two ingesters of one group share a 6-partition topic and the total is exact.
 */
import { createRangeLog, migrate } from '@tidemark/ingester';
import { createClickHouse, loadConfig } from '@tidemark/shared';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { waitFor } from './harness.ts';
import {
  breakdownsAgree,
  groupState,
  ingesterEnv,
  metric,
  produce,
  rawCount,
  syntheticEvent,
  type Topics,
  totalsEverywhere,
  uniqueTopics,
} from './ingester-support.ts';
import { freePort, type Service, startService, waitHealthy } from './processes.ts';

const brokers = inject('kafkaBrokers');
const clickhouseUrl = inject('clickhouseUrl');
const client = createClickHouse(loadConfig({ CLICKHOUSE_URL: clickhouseUrl }).clickhouse);
const databases: string[] = [];
const services: Service[] = [];

async function ingester(t: Topics, extra: Record<string, string> = {}): Promise<{ service: Service; metricsUrl: string }> {
  const port = await freePort();
  const service = startService('ingester', ingesterEnv(brokers, clickhouseUrl, t, { INGESTER_PORT: String(port), ...extra }));
  services.push(service);
  await waitHealthy(service, `http://127.0.0.1:${port}/healthz`);
  return { service, metricsUrl: `http://127.0.0.1:${port}/metrics` };
}

/** Waits until the group committed every message produced (all produced before the call), then reads the final count. */
async function settled(t: Topics, site: string) {
  await waitFor(
    () => groupState(brokers, t),
    (g) => g.produced > 0 && g.lag === 0,
    90_000,
    500,
  );
  return rawCount(client, t.database, site);
}

afterAll(async () => {
  await Promise.all(services.map((s) => s.stop()));
  for (const db of databases) await client.command({ query: `DROP DATABASE IF EXISTS ${db}` });
  await client.close();
});

describe('ingester exactly-once under faults', () => {
  it('a batch inserted but not committed before a crash is replayed with its recorded boundaries and stored once', async () => {
    const t = uniqueTopics('replay');
    databases.push(t.database);
    const site = 'replay.example';
    const events = Array.from({ length: 1000 }, (_, i) => syntheticEvent(site, i));
    // One partition, one send per 100 events: offsets 0…9, each message holding 100 events in order.
    await produce(brokers, t, events, 1, 100);
    // What a crashed ingester left: range [0, 0] (events 0…99) written ahead and inserted, nothing committed.
    const config = loadConfig(ingesterEnv(brokers, clickhouseUrl, t)).clickhouse;
    await migrate(client, config);
    await createRangeLog(client, t.database).record({ topic: t.topic, partition: 0, first: 0n, last: 0n });
    await client.insert({
      table: `${t.database}.events`,
      values: events.slice(0, 100),
      format: 'JSONEachRow',
      clickhouse_settings: { insert_deduplication_token: `${t.topic}:0:0-0`, deduplicate_blocks_in_dependent_materialized_views: 1 },
    });

    // The restarted ingester would fetch all 1 000 at once; it must cut [0, 0] first.
    await ingester(t, { KAFKA_PARTITIONS: '1', FLUSH_MAX_ROWS: '10000' });
    expect(await settled(t, site)).toEqual({ rows: 1000, ids: 1000 });
    const totals = await totalsEverywhere(client, t.database, site);
    expect(totals.events_minute).toEqual(totals.raw);
  });

  it('kill -9 of the ingester mid-stream, then a restart: nothing lost, nothing doubled', async () => {
    const t = uniqueTopics('crash');
    databases.push(t.database);
    const site = 'crash.example';
    const total = 60_000;
    const env = { FLUSH_MAX_ROWS: '2000', FLUSH_INTERVAL_MS: '200' };
    const first = await ingester(t, env);
    const producing = produce(
      brokers,
      t,
      Array.from({ length: total }, (_, i) => syntheticEvent(site, i)),
      6,
      2000,
    );
    const before = await waitFor(
      () => rawCount(client, t.database, site),
      (c) => c.rows >= 10_000,
      90_000,
      50,
    );
    first.service.child.kill('SIGKILL');
    await new Promise((resolve) => first.service.child.once('exit', resolve));
    const stillAnswering = await fetch(first.metricsUrl).then(
      () => true,
      () => false,
    );
    expect(stillAnswering).toBe(false); // the ingester process itself is gone, not a wrapper
    expect(before.rows).toBeLessThan(total); // killed mid-stream
    await ingester(t, env);
    await producing;
    expect(await settled(t, site)).toEqual({ rows: total, ids: total });
    const totals = await totalsEverywhere(client, t.database, site);
    expect(totals.raw).toMatchObject({ views: 42_000, events: 6000 });
    expect(totals.events_minute).toEqual(totals.raw);
    for (const pair of await breakdownsAgree(client, t.database, site)) expect(pair.rollup).toBe(pair.raw);
  });

  it('two ingesters in one group over a 6-partition topic: both receive partitions, the total is exact', async () => {
    const t = uniqueTopics('pair');
    databases.push(t.database);
    const site = 'pair.example';
    const total = 60_000;
    const env = { FLUSH_MAX_ROWS: '2000', FLUSH_INTERVAL_MS: '200' };
    const [a, b] = await Promise.all([ingester(t, env), ingester(t, env)]);
    // Two members is not yet two owners: produce only once the rebalance has given both partitions,
    // or the first could store everything before it hands half over.
    await waitFor(
      () => groupState(brokers, t),
      (g) => g.members === 2 && g.stable && g.assigned === 2,
      60_000,
      250,
    );
    await produce(
      brokers,
      t,
      Array.from({ length: total }, (_, i) => syntheticEvent(site, i)),
      6,
      2000,
    );
    expect(await settled(t, site)).toEqual({ rows: total, ids: total });
    const inserted = await Promise.all([a, b].map((s) => metric(s.metricsUrl, 'tidemark_ingester_rows_inserted_total')));
    expect(inserted.every((n) => n > 0)).toBe(true);
    expect((inserted[0] ?? 0) + (inserted[1] ?? 0)).toBeGreaterThanOrEqual(total); // a rebalance may re-send a batch ClickHouse drops
    const totals = await totalsEverywhere(client, t.database, site);
    expect(totals.events_minute).toEqual(totals.raw);
  });
});

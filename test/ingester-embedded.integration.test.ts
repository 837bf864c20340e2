/**
 * The ingester in the embedded mode: the in-process queue into the ClickHouse engine
 * in-process (chdb), 100 000 events → exactly 100 000 rows with every rollup agreeing.
 */
import { createIngester, createIngesterMetrics, migrate } from '@tidemark/ingester';
import { createClickHouse, createMemoryQueue, loadConfig, plainLogger } from '@tidemark/shared';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { processDataDir, uniqueName, waitFor } from './harness.ts';
import { breakdownsAgree, rawCount, syntheticEvent, totalsEverywhere } from './ingester-support.ts';

describe('ingester, embedded: in-process queue → chdb', () => {
  const config = loadConfig({ DATA_DIR: processDataDir(), CLICKHOUSE_DATABASE: uniqueName('embedded_ingest'), FLUSH_INTERVAL_MS: '100' });
  const client = createClickHouse(config.clickhouse);

  afterAll(async () => {
    await client.command({ query: `DROP DATABASE IF EXISTS ${config.clickhouse.database}` });
    await client.close();
  });

  it('100 000 events → exactly 100 000 rows, and every rollup agrees with the raw table', async () => {
    await migrate(client, config.clickhouse);
    expect(await migrate(client, config.clickhouse)).toEqual([]); // safe to re-run
    const queue = createMemoryQueue({ maxRows: config.ingester.flushMaxRows, intervalMs: config.ingester.flushIntervalMs });
    const registry = new Registry();
    const ingester = createIngester({
      client,
      database: config.clickhouse.database,
      consumer: queue.consumer,
      log: plainLogger(),
      metrics: createIngesterMetrics(registry),
    });
    await ingester.start();
    const site = 'embedded-bulk.example';
    for (let i = 0; i < 100_000; i += 5000) {
      await queue.producer.send(Array.from({ length: 5000 }, (_, j) => syntheticEvent(site, i + j)));
    }
    const db = config.clickhouse.database;
    const stored = await waitFor(
      () => rawCount(client, db, site),
      (c) => c.rows >= 100_000,
      90_000,
      250,
    );
    await ingester.stop();
    expect(stored).toEqual({ rows: 100_000, ids: 100_000 });
    const totals = await totalsEverywhere(client, db, site);
    expect(totals.raw).toMatchObject({ views: 70_000, visitors: 997, sessions: 1499, events: 10_000 });
    expect(totals.events_minute).toEqual(totals.raw);
    expect(totals.countries_minute).toEqual({ views: 70_000, visitors: 997 });
    for (const pair of await breakdownsAgree(client, db, site)) expect(pair.rollup).toBe(pair.raw);
    expect(await registry.getSingleMetricAsString('tidemark_ingester_rows_inserted_total')).toMatch(/ 100000$/);
  });
});

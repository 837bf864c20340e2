/**
 * The distributed mode on real components: a real Kafka broker and a real ClickHouse HTTP
 * server (started by the global setup), with collector, ingester and dashboard-api as three
 * separate OS processes configured only by the environment.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type LiveAnswer, postEvents, uniqueName, waitFor } from './harness.ts';
import { freePort, type Service, startService, waitHealthy } from './processes.ts';

describe('distributed mode: three processes, Kafka and a ClickHouse server', () => {
  const services: Service[] = [];
  let collectorUrl = '';
  let apiUrl = '';
  let ingesterUrl = '';

  beforeAll(async () => {
    const [collectorPort, apiPort, ingesterPort] = await Promise.all([freePort(), freePort(), freePort()]);
    const env = {
      KAFKA_BROKERS: inject('kafkaBrokers'),
      CLICKHOUSE_URL: inject('clickhouseUrl'),
      CLICKHOUSE_DATABASE: uniqueName('dist'),
      KAFKA_TOPIC: uniqueName('page_views'),
      KAFKA_DLQ_TOPIC: uniqueName('page_views_dlq'),
      KAFKA_GROUP_ID: uniqueName('ingester'),
      KAFKA_PARTITIONS: '3',
      HOST: '127.0.0.1',
      COLLECTOR_PORT: String(collectorPort),
      API_PORT: String(apiPort),
      INGESTER_PORT: String(ingesterPort),
      FLUSH_INTERVAL_MS: '200',
      LOG_LEVEL: 'warn',
    };
    collectorUrl = `http://127.0.0.1:${collectorPort}`;
    apiUrl = `http://127.0.0.1:${apiPort}`;
    ingesterUrl = `http://127.0.0.1:${ingesterPort}`;
    // The ingester creates the database and tables, so it goes first.
    const ingester = startService('ingester', env);
    services.push(ingester);
    await waitHealthy(ingester, `${ingesterUrl}/healthz`);
    const collector = startService('collector', env);
    const api = startService('dashboard-api', env);
    services.push(collector, api);
    await Promise.all([waitHealthy(collector, `${collectorUrl}/readyz`), waitHealthy(api, `${apiUrl}/healthz`)]);
  });

  afterAll(async () => {
    const codes = await Promise.all(services.map((s) => s.stop()));
    expect(codes).toEqual(services.map(() => 0)); // each stopped cleanly on SIGTERM
  });

  it('1 000 events POSTed → /api/v1/live reports exactly 1 000 views', async () => {
    const site = 'dist.example';
    const statuses: number[] = [];
    for (let wave = 0; wave < 50; wave++) {
      const wave20 = Array.from({ length: 20 }, (_, i) =>
        postEvents(collectorUrl, { site, name: 'pageview', url: `https://${site}/p/${(wave * 20 + i) % 37}` }).then((r) => r.status),
      );
      statuses.push(...(await Promise.all(wave20)));
    }
    expect(statuses.filter((s) => s === 202)).toHaveLength(1000);

    const live = () => fetch(`${apiUrl}/api/v1/live?site=${site}&window=10m`).then((r) => r.json() as Promise<LiveAnswer>);
    const answer = await waitFor(live, (body) => body.views >= 1000, 60_000, 250);
    expect(answer.views).toBe(1000);

    // Every message inserted once: the ingester's own count agrees, and nothing more arrives.
    const inserted = () => fetch(`${ingesterUrl}/metrics`).then((r) => r.text());
    const metrics = await waitFor(inserted, (text) => /^tidemark_ingester_rows_inserted_total 1000$/m.test(text), 10_000, 200);
    expect(metrics).toMatch(/^tidemark_ingester_rows_inserted_total 1000$/m);
    await new Promise((r) => setTimeout(r, 1000));
    expect((await live()).views).toBe(1000);
  });
});

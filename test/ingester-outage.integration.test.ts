/**
 * ClickHouse down for 30 s mid-stream: the ingester pauses (retrying with backoff and
 * jitter, committing nothing), resumes when the server is back, and the total is exact.
 * Runs against a private ClickHouse server (own port and data directory), killed hard and
 * restarted on the same data, so the shared one on :8123 keeps serving everybody else.
 */
import { createClickHouse, loadConfig } from '@tidemark/shared';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { waitFor } from './harness.ts';
import {
  groupState,
  ingesterEnv,
  metric,
  type PrivateClickHouse,
  privateClickHouse,
  produce,
  rawCount,
  syntheticEvent,
  totalsEverywhere,
  uniqueTopics,
} from './ingester-support.ts';
import { freePort, type Service, startService, waitHealthy } from './processes.ts';

const OUTAGE_MS = 30_000;

describe('ingester: ClickHouse unavailable for 30 s', () => {
  const brokers = inject('kafkaBrokers');
  const t = uniqueTopics('outage');
  let server: PrivateClickHouse;
  let ingester: Service;
  let metricsUrl = '';

  beforeAll(async () => {
    server = await privateClickHouse();
    await server.start();
    const port = await freePort();
    metricsUrl = `http://127.0.0.1:${port}/metrics`;
    ingester = startService(
      'ingester',
      ingesterEnv(brokers, server.url, t, { INGESTER_PORT: String(port), FLUSH_MAX_ROWS: '2000', FLUSH_INTERVAL_MS: '200' }),
    );
    await waitHealthy(ingester, `http://127.0.0.1:${port}/healthz`);
  });

  afterAll(async () => {
    await ingester?.stop();
    await server?.dispose();
  });

  it('pauses, commits nothing while ClickHouse is down, resumes, and stores every event once', async () => {
    const site = 'outage.example';
    const total = 40_000;
    const events = Array.from({ length: total }, (_, i) => syntheticEvent(site, i));
    const client = () => createClickHouse(loadConfig({ CLICKHOUSE_URL: server.url }).clickhouse);

    // First half stored while the server is up.
    await produce(brokers, t, events.slice(0, total / 2), 6, 2000);
    const up = client();
    const half = await waitFor(
      () => rawCount(up, t.database, site),
      (c) => c.rows >= total / 2,
      60_000,
      200,
    );
    await up.close();
    expect(half).toEqual({ rows: total / 2, ids: total / 2 });
    // Stored is not yet committed: the commit follows each insert's answer. Kill only once
    // the first half is committed, so the lag below counts exactly the second half.
    const committed = await waitFor(
      () => groupState(brokers, t),
      (g) => g.lag === 0,
      60_000,
      200,
    );
    expect(committed.lag).toBe(0);

    // Down: the second half waits in Kafka, uncommitted, while inserts fail and are retried.
    await server.kill();
    const downSince = Date.now();
    await produce(brokers, t, events.slice(total / 2), 6, 2000);
    const failures = await waitFor(
      () => metric(metricsUrl, 'tidemark_ingester_insert_failures_total'),
      (n) => n >= 3,
      OUTAGE_MS,
      500,
    );
    expect(failures).toBeGreaterThanOrEqual(3);
    await new Promise((r) => setTimeout(r, Math.max(0, OUTAGE_MS - (Date.now() - downSince)))); // the outage itself
    const whileDown = await groupState(brokers, t);
    // Nothing of the second half committed: every message produced since is lagging (a
    // message holds the events of one send for one partition, so lag counts messages).
    expect(whileDown.produced).toBeGreaterThan(committed.produced);
    expect(whileDown.lag).toBe(whileDown.produced - committed.produced);
    expect(ingester.child.exitCode).toBeNull(); // still running, still retrying

    // Back: everything lands once.
    await server.start();
    await waitFor(
      () => groupState(brokers, t),
      (g) => g.lag === 0,
      90_000,
      500,
    );
    const back = client();
    try {
      expect(await rawCount(back, t.database, site)).toEqual({ rows: total, ids: total });
      const totals = await totalsEverywhere(back, t.database, site);
      expect(totals.events_minute).toEqual(totals.raw);
      expect(totals.raw).toMatchObject({ views: 28_000, events: 4000 });
    } finally {
      await back.close();
    }
  });
});

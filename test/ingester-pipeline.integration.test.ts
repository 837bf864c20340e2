/**
 * The ingester on the real Kafka broker and the real ClickHouse server, as its own OS
 * process: 100 000 events produced → exactly 100 000 rows, and every rollup agrees with
 * the raw table; a poison message goes to the DLQ without blocking its partition; an event
 * id sent twice, in two batches, is stored once; an insert that fails after the raw table
 * took it is retried until every rollup has it too.
 */
import { randomUUID } from 'node:crypto';
import { createClickHouse, loadConfig, type StoredEvent } from '@tidemark/shared';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { waitFor } from './harness.ts';
import {
  breakdownsAgree,
  ingesterEnv,
  metric,
  produce,
  rawCount,
  syntheticEvent,
  totalsEverywhere,
  uniqueTopics,
} from './ingester-support.ts';
import { freePort, type Service, startService, waitHealthy } from './processes.ts';

describe('ingester: Kafka → ClickHouse server, one process', () => {
  const brokers = inject('kafkaBrokers');
  const clickhouseUrl = inject('clickhouseUrl');
  const t = uniqueTopics('pipeline');
  const client = createClickHouse(loadConfig({ CLICKHOUSE_URL: clickhouseUrl }).clickhouse);
  let ingester: Service;
  let metricsUrl = '';

  beforeAll(async () => {
    const port = await freePort();
    metricsUrl = `http://127.0.0.1:${port}/metrics`;
    ingester = startService('ingester', ingesterEnv(brokers, clickhouseUrl, t, { INGESTER_PORT: String(port), FLUSH_INTERVAL_MS: '200' }));
    await waitHealthy(ingester, `http://127.0.0.1:${port}/healthz`);
  });

  afterAll(async () => {
    expect(await ingester.stop()).toBe(0);
    await client.command({ query: `DROP DATABASE IF EXISTS ${t.database}` });
    await client.close();
  });

  it('100 000 events → exactly 100 000 rows, and every rollup agrees with the raw table', async () => {
    const site = 'bulk.example';
    const events = Array.from({ length: 100_000 }, (_, i) => syntheticEvent(site, i));
    await produce(brokers, t, events);
    const stored = await waitFor(
      () => rawCount(client, t.database, site),
      (c) => c.rows >= 100_000,
      90_000,
      500,
    );
    expect(stored).toEqual({ rows: 100_000, ids: 100_000 });
    // The raw rows of an insert are visible before its views' rows: the rollups are read once
    // every partition's offsets are committed, which happens only after each insert returned.
    const caughtUp = (text: string) =>
      [0, 1, 2, 3, 4, 5].every((p) => new RegExp(`^tidemark_ingester_consumer_lag\\{partition="${p}"\\} 0$`, 'm').test(text));
    const lag = await waitFor(() => fetch(metricsUrl).then((r) => r.text()), caughtUp, 20_000, 500);
    expect(caughtUp(lag)).toBe(true);

    const totals = await totalsEverywhere(client, t.database, site);
    expect(totals.raw).toEqual({ views: 70_000, visitors: 997, sessions: 1499, events: 10_000, avgDuration: expect.any(Number) });
    expect(totals.events_minute).toEqual(totals.raw);
    expect(totals.pages_minute).toEqual({ views: 70_000, visitors: 997, avgDuration: totals.raw?.avgDuration });
    expect(totals.countries_minute).toEqual({ views: 70_000, visitors: 997 });
    expect(totals.events_15m).toEqual({ views: 70_000, visitors: 997, events: 10_000 });
    for (const pair of await breakdownsAgree(client, t.database, site)) expect(pair.rollup).toBe(pair.raw);

    const metrics = await fetch(metricsUrl).then((r) => r.text());
    expect(metrics).toMatch(/^tidemark_ingester_batch_rows_count \d+$/m);
    expect(metrics).toMatch(/^tidemark_ingester_insert_seconds_count \d+$/m);
    expect(metrics).toMatch(/^tidemark_ingester_newest_event_timestamp_seconds \d+/m);
  });

  it('a poison message goes to the DLQ with its error; everything else of its partition is stored', async () => {
    const site = 'poison.example';
    const good = Array.from({ length: 50 }, (_, i) => syntheticEvent(site, i));
    const kafka = new Kafka({ clientId: 'poison-test', brokers: [brokers], logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    // Same key as the good events of visitor 1, so they share a partition.
    const key = `${site}:1`;
    await producer.send({
      topic: t.topic,
      messages: [
        ...good.slice(0, 25).map((e) => ({ key, value: JSON.stringify(e) })),
        { key, value: '{"not": "an event"' },
        { key, value: JSON.stringify({ ...good[0], event_id: 'not-a-uuid' }) },
        ...good.slice(25).map((e) => ({ key, value: JSON.stringify(e) })),
      ],
    });
    await producer.disconnect();
    const stored = await waitFor(
      () => rawCount(client, t.database, site),
      (c) => c.rows >= 50,
      30_000,
      200,
    );
    expect(stored).toEqual({ rows: 50, ids: 50 });

    const consumer = kafka.consumer({ groupId: `${t.groupId}_reader` });
    await consumer.connect();
    await consumer.subscribe({ topic: t.dlqTopic, fromBeginning: true });
    const dead: { value: string; error: string }[] = [];
    await consumer.run({
      eachMessage: async ({ message }) => {
        dead.push({ value: message.value?.toString() ?? '', error: message.headers?.error?.toString() ?? '' });
      },
    });
    await waitFor(
      async () => dead.length,
      (n) => n >= 2,
      30_000,
      200,
    );
    await consumer.disconnect();
    expect(dead).toEqual([
      { value: '{"not": "an event"', error: 'message: not valid JSON' },
      { value: expect.stringContaining('not-a-uuid'), error: 'event_id: must be a UUID' },
    ]);
  });

  it('an event id sent twice, in two batches, is stored and counted once', async () => {
    const site = 'twice.example';
    const event: StoredEvent = { ...syntheticEvent(site, 0), event_id: randomUUID() };
    await produce(brokers, t, [event]);
    await waitFor(
      () => rawCount(client, t.database, site),
      (c) => c.rows >= 1,
      30_000,
      100,
    );
    await produce(brokers, t, [{ ...event, timestamp: syntheticEvent(site, 1).timestamp }, syntheticEvent(site, 1)]);
    const stored = await waitFor(
      () => rawCount(client, t.database, site),
      (c) => c.rows >= 2,
      30_000,
      100,
    );
    expect(stored).toEqual({ rows: 2, ids: 2 });
    // An insert's raw rows are visible before its views' rows: wait for the rollup, then check it
    // did not count the repeated id.
    const totals = await waitFor(
      () => totalsEverywhere(client, t.database, site),
      (x) => (x.events_minute?.views ?? 0) >= 2,
      30_000,
      100,
    );
    expect(totals.events_minute).toMatchObject({ views: 2 });
  });

  it('an insert that failed after the raw table took it is retried until every rollup has it', async () => {
    // ClickHouse writes the raw part before the materialized views run, and does not undo it
    // when a view's insert fails: the retry must still reach the views (the token makes the
    // raw table drop its copy), not stop at "the raw rows are there".
    const site = 'partial.example';
    const refuse = `ALTER TABLE ${t.database}.pages_minute ADD CONSTRAINT refuse_partial CHECK site != '${site}'`;
    await client.command({ query: refuse });
    const failuresBefore = await metric(metricsUrl, 'tidemark_ingester_insert_failures_total');
    const events = Array.from({ length: 500 }, (_, i) => syntheticEvent(site, i));
    await produce(brokers, t, events);
    // A batch's first attempt wrote its raw part, then failed. (Not necessarily all 500: the
    // consumer may have fetched them as several batches, and while the first is retried the
    // next wait — a slow run saw 157 rows here, which the retry below must still bring to
    // every rollup.)
    const raw = await waitFor(
      () => rawCount(client, t.database, site),
      (c) => c.rows >= 1,
      30_000,
      100,
    );
    expect(raw.rows).toBe(raw.ids);
    expect(raw.rows).toBeGreaterThan(0);
    // The failure is reported after the views ran, which is after the raw rows became visible.
    await waitFor(
      () => metric(metricsUrl, 'tidemark_ingester_insert_failures_total'),
      (n) => n > failuresBefore,
      30_000,
      100,
    );
    await client.command({ query: `ALTER TABLE ${t.database}.pages_minute DROP CONSTRAINT refuse_partial` });

    const totals = await waitFor(
      () => totalsEverywhere(client, t.database, site),
      // Views run one after another within an insert: wait for the last to catch up too.
      (x) => x.pages_minute?.views === 350 && x.events_minute?.views === 350 && x.countries_minute?.views === 350,
      30_000,
      200,
    );
    expect(totals.raw).toMatchObject({ views: 350 });
    expect(totals.pages_minute).toEqual({ views: 350, visitors: totals.raw?.visitors, avgDuration: totals.raw?.avgDuration });
    expect(totals.events_minute).toEqual(totals.raw);
    expect(totals.countries_minute).toEqual({ views: 350, visitors: totals.raw?.visitors });
    expect(await rawCount(client, t.database, site)).toEqual({ rows: 500, ids: 500 });
  });
});

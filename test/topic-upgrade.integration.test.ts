/**
 * Adding a column, the procedure of docs/topic.md ("Adding a column"), on the real broker and
 * ClickHouse server, with a build one version ahead (`future`, the version after this build's):
 * - an ingester of today's build meets a message of that version: it stores what comes before it,
 *   commits up to it, stops that partition (no dead letter), and the other partitions go on;
 * - after the migration, the newer build's ingester takes the group over and stores the rest —
 *   the newer version, today's and the framing written before headers — every event once.
 */
import { createIngester, createIngesterMetrics, migrate } from '@tidemark/ingester';
import {
  createClickHouse,
  createKafkaQueueConsumer,
  EVENT_COLUMNS,
  encodeEvents,
  encodeMessages,
  HEADERS,
  keyOf,
  loadConfig,
  openKafkaTopics,
  partitionOf,
  plainLogger,
  SCHEMA_VERSION,
  type StoredEvent,
  type WireMessage,
  wireSchemas,
} from '@tidemark/shared';
import { Registry } from 'prom-client';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { waitFor } from './harness.ts';
import { ingesterEnv, syntheticEvent, uniqueTopics } from './ingester-support.ts';

const brokers = inject('kafkaBrokers');
const t = uniqueTopics('upgrade');
const config = loadConfig({ ...ingesterEnv(brokers, inject('clickhouseUrl'), t), KAFKA_PARTITIONS: '3', FLUSH_INTERVAL_MS: '200' });
const client = createClickHouse(config.clickhouse);
const log = plainLogger((process.env.TEST_LOG as 'info' | undefined) ?? 'silent');
const AHEAD = SCHEMA_VERSION + 1;
const NEXT = wireSchemas([...EVENT_COLUMNS, ['future', 'String', AHEAD]]);
const SITE = 'upgrade.example';

/** A message of the next version, of one event: its row of today's version with the new column appended. */
function next(event: StoredEvent, future: string): WireMessage {
  const text = Buffer.from(future);
  return {
    key: keyOf(event),
    value: Buffer.concat([encodeEvents([event]), Buffer.from([text.length]), text]),
    headers: { [HEADERS.format]: 'RowBinary', [HEADERS.schema]: String(AHEAD), [HEADERS.rows]: '1' },
  };
}

async function stored(): Promise<{ event_id: string; region: string; future?: string }[]> {
  const columns = await (
    await client.query({
      query: `SELECT name FROM system.columns WHERE database = '${t.database}' AND table = 'events'`,
      format: 'JSONEachRow',
    })
  ).json<{ name: string }>();
  const future = columns.some((c) => c.name === 'future') ? ', future' : '';
  const result = await client.query({
    query: `SELECT toString(event_id) AS event_id, toString(region) AS region${future} FROM ${t.database}.events`,
    format: 'JSONEachRow',
  });
  return (await result.json<{ event_id: string; region: string; future?: string }>()).sort((a, b) => a.event_id.localeCompare(b.event_id));
}

describe('adding a column: an old ingester stops the partition, the new one reads every version', () => {
  afterAll(async () => {
    await client.command({ query: `DROP DATABASE IF EXISTS ${t.database}` });
    await client.close();
  });

  it('stores everything once, across the upgrade, with nothing dead-lettered', async () => {
    await migrate(client, config.clickhouse);
    const events = Array.from({ length: 40 }, (_, i) => syntheticEvent(SITE, i));
    const first = events[0] as StoredEvent;
    const p = partitionOf(first, 3);
    const mine = events.filter((e) => partitionOf(e, 3) === p && e !== first);
    const others = events.filter((e) => partitionOf(e, 3) !== p);
    // On partition p, in order: a message of the earlier framing, messages of today's version, one of the next, today's again.
    const [before, after] = [mine.slice(0, 3), mine.slice(3)];
    // The framing before headers holds version-1 rows: without version 2's scroll_depth (a UInt16) and version 3's
    // region and city (two Strings, one byte each while empty) at the end.
    const legacy: WireMessage = {
      key: keyOf(first),
      value: Buffer.concat([Buffer.from([1, 1]), encodeEvents([{ ...first, region: '', city: '' }]).subarray(0, -4)]),
      headers: {},
    };
    const newer = syntheticEvent(SITE, 1000);
    const onP = [legacy, ...encodeMessages(before), next({ ...newer, visitor_id: first.visitor_id }, 'Bavaria'), ...encodeMessages(after)];
    const topics = await openKafkaTopics(loadConfig({ KAFKA_BROKERS: brokers }).kafka, 'upgrade-test', log);
    await topics.ensure([{ topic: t.topic, partitions: 3 }]);
    // One record at a time, keyed: Kafka's default partitioner puts each on the partition of its key.
    for (const m of onP) await topics.write(t.topic, [{ key: String(m.key), value: m.value, headers: m.headers }]);
    for (const e of others)
      await topics.write(
        t.topic,
        encodeMessages([e]).map((m) => ({ key: String(m.key), value: m.value, headers: m.headers })),
      );

    // Today's build.
    const registry = new Registry();
    const old = createIngester({
      client,
      database: t.database,
      consumer: await createKafkaQueueConsumer(config.kafka, log, { maxRows: 1000, intervalMs: 200 }),
      log,
      metrics: createIngesterMetrics(registry),
    });
    await old.start();
    const expectedBefore = [first, ...before, ...others].map((e) => e.event_id).sort();
    await waitFor(
      async () => (await stored()).map((r) => r.event_id),
      (ids) => ids.length >= expectedBefore.length,
      60_000,
    );
    await waitFor(
      () => registry.getSingleMetricAsString('tidemark_ingester_partitions_stopped_total'),
      (text) => / [1-9]\d*$/.test(text),
      30_000,
    );
    await old.stop();
    expect((await stored()).map((r) => r.event_id)).toEqual(expectedBefore);
    expect(await registry.getSingleMetricAsString('tidemark_ingester_dead_lettered_total')).toMatch(/ 0$/);
    const dlq = (await topics.ends(t.dlqTopic)).reduce((n, part) => n + Number(part.high), 0);
    expect(dlq).toBe(0);

    // The upgrade: the migration adds the column, then the newer build's ingester takes the group over.
    await client.command({ query: `ALTER TABLE ${t.database}.events ADD COLUMN IF NOT EXISTS future LowCardinality(String)` });
    const upgraded = createIngester({
      client,
      database: t.database,
      consumer: await createKafkaQueueConsumer(config.kafka, log, { maxRows: 1000, intervalMs: 200 }),
      log,
      metrics: createIngesterMetrics(new Registry()),
      schemas: NEXT,
    });
    await upgraded.start();
    const all = [...expectedBefore, newer.event_id, ...after.map((e) => e.event_id)].sort();
    const rows = await waitFor(stored, (r) => r.length >= all.length, 60_000);
    await upgraded.stop();
    await topics.close();
    expect(rows.map((r) => r.event_id)).toEqual(all);
    expect(rows.find((r) => r.event_id === newer.event_id)?.future).toBe('Bavaria');
    expect(rows.filter((r) => r.future === '').length).toBe(all.length - 1);
    // Today's rows keep their region (version 3); the legacy row has none.
    const byId = new Map([...events, newer].map((e) => [e.event_id, e.region]));
    expect(rows.map((r) => r.region)).toEqual(rows.map((r) => (r.event_id === first.event_id ? '' : byId.get(r.event_id))));
  });
});

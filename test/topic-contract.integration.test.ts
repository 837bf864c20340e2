/**
 * The topic is a contract other tools can read (docs/topic.md), proven with readers nobody
 * here wrote, on the real broker and ClickHouse server:
 * - each message's value, decoded by ClickHouse's own `RowBinary` input format
 *   (`format(RowBinary, '<structure of its schema version>', …)`), equals the events sent;
 * - its headers say format, schema version and row count; its key is `<site>/<visitor_id>`,
 *   and Kafka's default partitioner puts that key on the message's partition;
 * - a ClickHouse `Kafka` table engine, defined as docs/topic.md shows, reads the topic;
 * - `pnpm tidemark topic tail` prints the events as JSON lines.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import {
  createClickHouse,
  createKafkaQueueProducer,
  decodeMessage,
  encodeEvents,
  HEADERS,
  loadConfig,
  openKafkaTopics,
  partitionOfKey,
  plainLogger,
  SCHEMAS,
  type StoredEvent,
  type TopicRecord,
} from '@tidemark/shared';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ROOT, uniqueName, waitFor } from './harness.ts';
import { syntheticEvent } from './ingester-support.ts';

const run = promisify(execFile);
const brokers = inject('kafkaBrokers');
const topic = uniqueName('contract_events');
const database = uniqueName('contract');
const client = createClickHouse(loadConfig({ CLICKHOUSE_URL: inject('clickhouseUrl') }).clickhouse);
const log = plainLogger('error');
const SITE = 'contract.example';
const byId = (a: { event_id: string }, b: { event_id: string }) => a.event_id.localeCompare(b.event_id);

/** The events as ClickHouse prints them back in JSON (UInt64 quoted, as `StoredEvent` has them). */
async function query<T>(sql: string): Promise<T[]> {
  const result = await client.query({
    query: sql,
    format: 'JSONEachRow',
    clickhouse_settings: { output_format_json_quote_64bit_integers: 1 },
  });
  return result.json<T>();
}

describe('the topic, read by tools nobody here wrote', () => {
  const sent: StoredEvent[] = Array.from({ length: 300 }, (_, i) => ({
    ...syntheticEvent(SITE, i),
    path: i % 50 === 0 ? '/ünï/日本語' : syntheticEvent(SITE, i).path,
    props: i % 7 === 0 ? { plan: 'pro', 'quote"': 'a\\b' } : ({} as Record<string, string>),
  }));
  const records: TopicRecord[] = [];

  beforeAll(async () => {
    const config = loadConfig({ KAFKA_BROKERS: brokers, KAFKA_TOPIC: topic, KAFKA_PARTITIONS: '3' }).kafka;
    const producer = await createKafkaQueueProducer(config, log);
    for (let i = 0; i < sent.length; i += 100) await producer.send(sent.slice(i, i + 100));
    await producer.close();
    const topics = await openKafkaTopics(loadConfig({ KAFKA_BROKERS: brokers }).kafka, 'contract-test', log);
    const reader = await topics.read(topic, { fromBeginning: true }, (record) => {
      records.push(record);
    });
    await waitFor(
      async () => records.reduce((n, r) => n + Number(r.headers[HEADERS.rows]), 0),
      (n) => n === sent.length,
      30_000,
    );
    await reader.close();
    await topics.close();
    await client.command({ query: `CREATE DATABASE IF NOT EXISTS ${database}` });
  });

  afterAll(async () => {
    await client.command({ query: `DROP DATABASE IF EXISTS ${database}` });
    await client.close();
  });

  it('frames each message in headers and keys it by visitor, on the partition Kafka’s partitioner gives the key', () => {
    expect(new Set(records.map((r) => r.partition)).size).toBe(3);
    for (const record of records) {
      expect(record.headers[HEADERS.format]).toBe('RowBinary');
      expect(record.headers[HEADERS.schema]).toBe(String(SCHEMAS.current.version));
      const key = record.key?.toString() ?? '';
      expect(key).toMatch(new RegExp(`^${SITE.replace('.', '\\.')}/\\d+$`));
      expect(partitionOfKey(key, 3)).toBe(record.partition);
    }
  });

  it("ClickHouse's own RowBinary reader decodes every message value into the events sent", async () => {
    const structure = SCHEMAS.current.structure.replaceAll("'", "\\'");
    const decoded: StoredEvent[] = [];
    for (const record of records) {
      const rows = await query<StoredEvent>(`SELECT * FROM format(RowBinary, '${structure}', unhex('${record.value.toString('hex')}'))`);
      expect(rows).toHaveLength(Number(record.headers[HEADERS.rows]));
      decoded.push(...rows);
    }
    expect(decoded.sort(byId)).toEqual([...sent].sort(byId));
  });

  it('writes version 3 (region and city at the end); rows of versions 1 and 2 read with the structure of their version, and in this build', async () => {
    expect(SCHEMAS.current.version).toBe(3);
    expect(SCHEMAS.current.names.slice(-3)).toEqual(['scroll_depth', 'region', 'city']);
    expect(sent.some((e) => e.region !== '' && e.city !== '')).toBe(true);
    // Rows an older collector wrote: today's without the appended columns (two empty Strings: one byte each; then a UInt16).
    const bare = sent.slice(0, 20).map((e) => ({ ...e, region: '', city: '' }));
    for (const [version, cut] of [
      [2, 2],
      [1, 4],
    ] as const) {
      const value = Buffer.concat(bare.map((e) => encodeEvents([e]).subarray(0, -cut)));
      const structure = (SCHEMAS.of(version)?.structure ?? '').replaceAll("'", "\\'");
      const rows = await query<Record<string, unknown>>(
        `SELECT * FROM format(RowBinary, '${structure}', unhex('${value.toString('hex')}'))`,
      );
      const older = bare.map(({ region: _r, city: _c, scroll_depth, ...e }) => (version === 1 ? e : { ...e, scroll_depth }));
      expect(rows).toEqual(older);
      const headers = { [HEADERS.format]: 'RowBinary', [HEADERS.schema]: String(version), [HEADERS.rows]: String(bare.length) };
      expect(decodeMessage({ value, headers })).toEqual(bare.map((e) => (version === 1 ? { ...e, scroll_depth: 0 } : e)));
    }
  });

  it('a ClickHouse Kafka table engine, defined as docs/topic.md shows, reads the topic', async () => {
    const columns = SCHEMAS.current.columns.map(([name, type]) => `${name} ${type}`).join(', ');
    await client.command({
      query: `CREATE TABLE ${database}.page_views_queue (${columns}) ENGINE = Kafka
              SETTINGS kafka_broker_list = '${brokers}', kafka_topic_list = '${topic}',
                       kafka_group_name = '${uniqueName('clickhouse_reader')}', kafka_format = 'RowBinary'`,
    });
    const read: (StoredEvent & { _key: string; schema: string })[] = [];
    await waitFor(
      async () => {
        const rows = await query<StoredEvent & { _key: string; schema: string }>(
          `SELECT *, _key, _headers.value[indexOf(_headers.name, '${HEADERS.schema}')] AS schema FROM ${database}.page_views_queue
           SETTINGS stream_like_engine_allow_direct_select = 1, kafka_max_wait_ms = 1000`,
        );
        read.push(...rows);
        return read.length;
      },
      (n) => n >= sent.length,
      60_000,
      200,
    );
    expect(read.every((r) => r.schema === String(SCHEMAS.current.version) && r._key.startsWith(`${SITE}/`))).toBe(true);
    const events = read.map(({ _key, schema, ...event }) => event);
    expect(events.sort(byId)).toEqual([...sent].sort(byId));
  });

  it('`pnpm tidemark topic tail` prints the events as JSON lines', async () => {
    const { stdout, stderr } = await run(
      process.execPath,
      [join(ROOT, 'src/cli/main.ts'), 'topic', 'tail', '--from-beginning', '--no-follow'],
      { cwd: ROOT, env: { PATH: process.env.PATH ?? '', KAFKA_BROKERS: brokers, KAFKA_TOPIC: topic }, timeout: 60_000 },
    );
    expect(stderr).toBe('');
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(sent.length);
    expect(lines.map((l) => JSON.parse(l) as StoredEvent).sort(byId)).toEqual([...sent].sort(byId));
  });
});

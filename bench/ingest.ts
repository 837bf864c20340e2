/**
 * Ingest benchmark: events/s from Kafka into the ClickHouse server (distributed mode) and
 * through the in-process queue into the embedded engine, with the batch size and insert
 * time distributions. Events are produced first (untimed); the rate is taken from the first
 * batch reaching the ingester to the end of the last insert (the consumer group join before
 * it is reported on its own). Runs alone: `npx tsx bench/ingest.ts [--quick]`.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createIngester, createIngesterMetrics, migrate } from '@tidemark/ingester';
import {
  type ClickHouseClient,
  type Config,
  createClickHouse,
  createKafkaQueueConsumer,
  createMemoryQueue,
  loadConfig,
  plainLogger,
  type QueueConsumer,
} from '@tidemark/shared';
import { Registry } from 'prom-client';
import { startServices } from '../services/index.ts';
import { ingesterEnv, produce, syntheticEvent, uniqueTopics } from '../test/ingester-support.ts';
import { dropTopics } from './cleanup.ts';

interface Run {
  eventsPerSec: number;
  /** From the ingester's start to its first insert: the consumer group join and the first fetch. */
  startMs: number;
  batches: number[];
  insertMs: number[];
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function stored(client: ClickHouseClient, database: string): Promise<number> {
  const result = await client.query({ query: `SELECT count() AS n FROM ${database}.events`, format: 'JSONEachRow' });
  const [row] = await result.json<{ n: string }>();
  return Number(row?.n ?? 0);
}

async function ingest(config: Config, consumer: QueueConsumer, client: ClickHouseClient, total: number): Promise<Run> {
  const run: Run = { eventsPerSec: 0, startMs: 0, batches: [], insertMs: [] };
  let firstBatchAt = 0;
  let lastInsertAt = 0;
  // The clock starts when the first batch reaches the ingester: the consumer group join
  // before it is a one-off (reported apart), not throughput.
  const timed: QueueConsumer = {
    ...consumer,
    run: (handle) =>
      consumer.run((fetch) => {
        firstBatchAt ||= performance.now();
        return handle(fetch);
      }),
  };
  const log = plainLogger('warn');
  const metrics = createIngesterMetrics(new Registry());
  const ingester = createIngester({
    client,
    database: config.clickhouse.database,
    consumer: timed,
    log,
    metrics,
    maxRows: config.ingester.flushMaxRows,
    onInsert: (rows, ms) => {
      run.batches.push(rows);
      run.insertMs.push(ms);
      lastInsertAt = performance.now();
    },
  });
  const started = performance.now();
  await ingester.start();
  let inserted = 0;
  while (inserted < total) {
    await new Promise((r) => setTimeout(r, 20));
    inserted = run.batches.reduce((a, b) => a + b, 0);
  }
  const seconds = (lastInsertAt - firstBatchAt) / 1000;
  run.startMs = Math.round(firstBatchAt - started);
  await ingester.stop();
  if ((await stored(client, config.clickhouse.database)) !== total) throw new Error('row count differs from events produced');
  run.eventsPerSec = Math.round(total / seconds);
  return run;
}

async function kafkaToServer(total: number): Promise<Run> {
  const services = await startServices();
  const t = uniqueTopics('bench');
  const config = loadConfig({
    ...ingesterEnv(services.kafkaBrokers, services.clickhouseUrl, t),
    FLUSH_MAX_ROWS: '50000',
    FLUSH_INTERVAL_MS: '1000',
  });
  const client = createClickHouse(config.clickhouse);
  try {
    await migrate(client, config.clickhouse);
    const events = Array.from({ length: total }, (_, i) => syntheticEvent('bench.example', i));
    await produce(services.kafkaBrokers, t, events, 6, 5000);
    const consumer = await createKafkaQueueConsumer(config.kafka, plainLogger('warn'), {
      maxRows: config.ingester.flushMaxRows,
      intervalMs: config.ingester.flushIntervalMs,
    });
    return await ingest(config, consumer, client, total);
  } finally {
    await client.command({ query: `DROP DATABASE IF EXISTS ${t.database}` });
    await client.close();
    await dropTopics(services.kafkaBrokers, [t.topic, t.dlqTopic]);
  }
}

async function embedded(total: number): Promise<Run> {
  const dir = join(new URL('..', import.meta.url).pathname, '.tmp', `bench-chdb-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  const config = loadConfig({ DATA_DIR: dir, CLICKHOUSE_DATABASE: 'bench', FLUSH_MAX_ROWS: '10000', FLUSH_INTERVAL_MS: '1000' });
  const client = createClickHouse(config.clickhouse);
  try {
    await migrate(client, config.clickhouse);
    const queue = createMemoryQueue({
      capacity: total,
      maxRows: config.ingester.flushMaxRows,
      intervalMs: config.ingester.flushIntervalMs,
    });
    for (let i = 0; i < total; i += 10_000) {
      await queue.producer.send(Array.from({ length: Math.min(10_000, total - i) }, (_, j) => syntheticEvent('bench.example', i + j)));
    }
    return await ingest(config, queue.consumer, client, total);
  } finally {
    await client.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchIngest(opts: { quick: boolean }): Promise<Record<string, number | string>> {
  const total = opts.quick ? 20_000 : 300_000;
  const kafka = await kafkaToServer(total);
  const local = await embedded(opts.quick ? 20_000 : 200_000);
  return {
    'ingest kafka→server events/s (first batch to last insert)': kafka.eventsPerSec,
    'ingest kafka→server group join, start to first batch ms': kafka.startMs,
    'ingest kafka→server batch rows p50/p95': `${percentile(kafka.batches, 50)} / ${percentile(kafka.batches, 95)}`,
    'ingest kafka→server insert ms p50/p95': `${percentile(kafka.insertMs, 50).toFixed(0)} / ${percentile(kafka.insertMs, 95).toFixed(0)}`,
    'ingest embedded events/s (first batch to last insert)': local.eventsPerSec,
    'ingest embedded batch rows p50/p95': `${percentile(local.batches, 50)} / ${percentile(local.batches, 95)}`,
    'ingest embedded insert ms p50/p95': `${percentile(local.insertMs, 50).toFixed(0)} / ${percentile(local.insertMs, 95).toFixed(0)}`,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const results = await benchIngest({ quick: process.argv.includes('--quick') });
  const width = Math.max(...Object.keys(results).map((k) => k.length));
  for (const [k, v] of Object.entries(results)) process.stdout.write(`${k.padEnd(width)}  ${v}\n`);
  process.exit(0);
}

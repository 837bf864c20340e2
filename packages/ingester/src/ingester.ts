/**
 * The batch loop: decode → insert → (the queue) commit. One insert per batch, carrying a
 * deduplication token made from the batch's queue coordinates, so a batch delivered again
 * after a crash is stored once. ClickHouse errors are retried with backoff and jitter for
 * as long as the ingester runs; the batch is not committed until its insert succeeded.
 */
import {
  type ClickHouseClient,
  decodeStoredEvent,
  type Logger,
  type QueueBatch,
  type QueueConsumer,
  type StoredEvent,
  TABLES,
} from '@tidemark/shared';
import type { IngesterMetrics } from './metrics.ts';
import { backoffMs, sleep } from './retry.ts';

export interface IngesterOptions {
  client: ClickHouseClient;
  database: string;
  consumer: QueueConsumer;
  log: Logger;
  metrics: IngesterMetrics;
}

export interface Ingester {
  start(): Promise<void>;
  stop(): Promise<void>;
}

export class IngesterStoppedError extends Error {
  override readonly name = 'IngesterStoppedError';
}

export function batchToken(batch: QueueBatch): string {
  return `${batch.topic}:${batch.partition}:${batch.firstOffset}-${batch.lastOffset}`;
}

export function createIngester({ client, database, consumer, log, metrics }: IngesterOptions): Ingester {
  const table = `${database}.${TABLES.events}`;
  const stopping = new AbortController();

  async function insert(rows: StoredEvent[], token: string, batch: QueueBatch): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const timer = metrics.insertSeconds.startTimer();
      try {
        await client.insert({
          table,
          values: rows,
          format: 'JSONEachRow',
          clickhouse_settings: {
            insert_deduplication_token: token,
            deduplicate_blocks_in_dependent_materialized_views: 1,
            date_time_input_format: 'best_effort',
          },
        });
        timer();
        return;
      } catch (error) {
        metrics.insertFailures.inc();
        if (stopping.signal.aborted) throw new IngesterStoppedError(`stopped while retrying ${token}`);
        const wait = backoffMs(attempt);
        log.warn({ err: error, token, attempt, retryInMs: wait }, 'insert_failed');
        await sleep(wait, stopping.signal);
        await batch.heartbeat().catch(() => {});
      }
    }
  }

  async function handle(batch: QueueBatch): Promise<void> {
    const rows: StoredEvent[] = [];
    const dead: { value: Buffer; error: string }[] = [];
    for (const value of batch.messages) {
      try {
        rows.push(decodeStoredEvent(value));
      } catch (error) {
        dead.push({ value, error: (error as Error).message });
      }
    }
    if (dead.length > 0) {
      await consumer.deadLetter(dead);
      metrics.deadLettered.inc(dead.length);
      log.warn({ count: dead.length, first: dead[0]?.error, partition: batch.partition }, 'dead_lettered');
    }
    if (rows.length === 0) return;
    const token = batchToken(batch);
    await insert(rows, token, batch);
    metrics.rowsInserted.inc(rows.length);
    metrics.batchSize.observe(rows.length);
    let newest = '';
    for (const row of rows) if (row.timestamp > newest) newest = row.timestamp;
    metrics.newestEvent.set(Date.parse(`${newest.replace(' ', 'T')}Z`) / 1000);
    log.debug({ rows: rows.length, token }, 'batch_inserted');
  }

  let running: Promise<void> | null = null;
  return {
    async start() {
      running = consumer.run(handle).catch((error: unknown) => {
        if (!(error instanceof IngesterStoppedError)) throw error;
      });
    },
    async stop() {
      // Let the batch in hand finish its insert (the consumer waits for it), then stop retrying.
      const closing = consumer.close();
      const giveUp = setTimeout(() => stopping.abort(), 10_000);
      await closing;
      clearTimeout(giveUp);
      stopping.abort();
      await running;
    },
  };
}

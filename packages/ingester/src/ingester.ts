/**
 * The batch loop: decode → drop re-sent event ids → insert → (the queue) commit. One insert
 * per batch, carrying a deduplication token made from the batch's queue coordinates, so a
 * batch delivered again after a crash is stored once (the queue cuts a replayed batch to
 * the same coordinates, see `RangeLog`). ClickHouse errors are retried with backoff and
 * jitter for as long as the ingester runs; meanwhile the partition is not fetched further
 * (its handler has not returned) and nothing is committed.
 */
import { Readable } from 'node:stream';
import {
  type ClickHouseClient,
  decodeRows,
  EVENT_COLUMN_LIST,
  EVENT_COLUMN_NAMES,
  embeddedRawInsert,
  isEmbeddedClient,
  type Logger,
  messageEvents,
  type QueueBatch,
  type QueueConsumer,
  TABLES,
  WIRE_STRUCTURE,
} from '@tidemark/shared';
import { BatchBody, type BatchRows } from './batch-body.ts';
import type { IngesterMetrics } from './metrics.ts';
import { createRangeLog } from './ranges.ts';
import { createRecentIds, type RecentIds } from './recent-ids.ts';
import { backoffMs, sleep } from './retry.ts';
import { createVisitTracker, type VisitTracker } from './visits/tracker.ts';

/**
 * The body of an insert: `RowBinary` (to a server) — the rows of RowBinary messages copied
 * as they are, JSON messages encoded here — or JSON lines (`JSONEachRow`, to the embedded
 * engine, whose connection takes text bodies only).
 */
export type InsertFormat = 'RowBinary' | 'JSONEachRow';

/** Events decoded between two turns of the event loop (about a millisecond of work). */
const YIELD_EVERY_EVENTS = 256;

export interface IngesterOptions {
  client: ClickHouseClient;
  database: string;
  consumer: QueueConsumer;
  log: Logger;
  metrics: IngesterMetrics;
  /** How often consumer lag is read for `/metrics`; default 5 s. */
  lagEveryMs?: number;
  recentIds?: RecentIds;
  /** Called after every insert (benchmarks: batch size and insert time distributions). */
  onInsert?: (rows: number, ms: number) => void;
  /** Default: `JSONEachRow` for the embedded engine's client, `RowBinary` otherwise. */
  format?: InsertFormat;
  /**
   * The tables are Replicated (`CLICKHOUSE_CLUSTER`): their deduplication log lives in Keeper
   * and survives any restart, so a retry always re-runs the insert and never asks the raw table
   * (behind a load balancer, the start time read may also come from another node each time).
   */
  replicated?: boolean;
  /** Cuts visits after each batch (default: on, into `<database>.visits`). */
  visits?: VisitTracker | null;
}

export interface Ingester {
  start(): Promise<void>;
  stop(): Promise<void>;
}

export class IngesterStoppedError extends Error {
  override readonly name = 'IngesterStoppedError';
}

export function batchToken(batch: Pick<QueueBatch, 'topic' | 'partition' | 'firstOffset' | 'lastOffset'>): string {
  return `${batch.topic}:${batch.partition}:${batch.firstOffset}-${batch.lastOffset}`;
}

export function createIngester(options: IngesterOptions): Ingester {
  const { client, database, consumer, log, metrics, lagEveryMs = 5000 } = options;
  const format = options.format ?? (isEmbeddedClient(client) ? 'JSONEachRow' : 'RowBinary');
  const table = `${database}.${TABLES.events}`;
  // RowBinary is parsed as plain Strings and converted to LowCardinality a column at a time
  // by `input()`: a LowCardinality value parsed row by row is most of the server's insert
  // cost. The embedded engine takes the body inline in the query text, where `input()`
  // sees no rows, so JSON goes straight into the table there.
  const query =
    format === 'RowBinary'
      ? `INSERT INTO ${table} (${EVENT_COLUMN_LIST}) SELECT ${EVENT_COLUMN_LIST} FROM input('${WIRE_STRUCTURE}') FORMAT RowBinary`
      : `INSERT INTO ${table} (${EVENT_COLUMN_LIST}) FORMAT JSONEachRow`;
  const recent = options.recentIds ?? createRecentIds();
  const rawInsert = embeddedRawInsert(client);
  const visits = options.visits === undefined ? createVisitTracker({ client, database, log }) : options.visits;
  const stopping = new AbortController();
  let lastNewest = 0;

  /** Runs `attempt` until it succeeds; between tries the batch heartbeats, which rejects if the partition was lost. */
  async function retrying(what: string, batch: QueueBatch, attempt: () => Promise<void>): Promise<void> {
    for (let n = 0; ; n++) {
      try {
        await attempt();
        return;
      } catch (error) {
        if (stopping.signal.aborted) throw new IngesterStoppedError(`stopped while retrying ${what}`);
        const wait = backoffMs(n);
        log.warn({ err: error, what, attempt: n, retryInMs: wait }, 'batch_retry');
        await sleep(wait, stopping.signal);
        await batch.heartbeat();
      }
    }
  }

  /** When the ClickHouse server answering was started (Unix seconds), or null when it does not answer. */
  async function serverStart(): Promise<number | null> {
    try {
      const result = await client.query({ query: 'SELECT toUnixTimestamp(now()) - uptime() AS started', format: 'JSONEachRow' });
      const [row] = await result.json<{ started: string | number }>();
      return row ? Number(row.started) : null;
    } catch {
      return null;
    }
  }

  /** The server's start time as last seen (refreshed every `lagEveryMs` and on every retry). */
  let knownStart: number | null = null;
  async function refreshStart(): Promise<number | null> {
    const started = await serverStart();
    if (started !== null) knownStart = started;
    return started;
  }

  /**
   * Whether a batch whose insert failed was stored after all, asked of the table itself: are
   * the batch's first and last event ids there? One insert is one block, so both or neither.
   * Only for a server that restarted since the first attempt: a non-replicated table's
   * deduplication log may not survive a hard kill. Otherwise the retry re-runs the insert and
   * the token answers — the raw part may be written while a materialized view's insert failed
   * (ClickHouse does not undo it), and only the re-run insert reaches the views.
   */
  async function landed(rows: BatchRows): Promise<boolean> {
    const ids = rows.firstId === rows.lastId ? [rows.firstId] : [rows.firstId, rows.lastId];
    const result = await client.query({
      query: `SELECT count() AS n FROM ${table} WHERE timestamp BETWEEN fromUnixTimestamp64Milli({from:Int64}, 'UTC') AND fromUnixTimestamp64Milli({to:Int64}, 'UTC') AND event_id IN {ids:Array(UUID)}`,
      query_params: { from: rows.oldestMs, to: rows.newestMs, ids },
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{ n: string | number }>();
    return Number(row?.n ?? 0) >= ids.length;
  }

  /**
   * Whether the server may have lost its deduplication log since the first attempt: it restarted
   * (its start time moved; a second of slack for the clock read) and its tables are not Replicated.
   */
  function restarted(before: number | null, now: number | null): boolean {
    if (options.replicated) return false;
    return before === null || now === null || Math.abs(now - before) > 1;
  }

  /** One INSERT of the batch's rows, retried with the same body and token until it succeeds. */
  async function insert(body: Buffer, rows: BatchRows, token: string, batch: QueueBatch): Promise<void> {
    let tried = false;
    const firstStart = knownStart;
    await retrying(token, batch, async () => {
      if (tried) {
        const start = await refreshStart();
        // When the check itself fails (ClickHouse still down), the insert is tried and fails too.
        const stored =
          restarted(firstStart, start) &&
          (await landed(rows).catch((error: unknown) => {
            log.warn({ err: error, token }, 'stored_check_failed');
            return false;
          }));
        if (stored) {
          log.warn({ token, rows: rows.keys.length }, 'insert_already_stored');
          return;
        }
      }
      tried = true;
      const timer = metrics.insertSeconds.startTimer();
      const started = performance.now();
      try {
        const settings = {
          insert_deduplication_token: token,
          deduplicate_blocks_in_dependent_materialized_views: 1,
          input_format_skip_unknown_fields: 1,
          async_insert: 0,
        } as const;
        if (rawInsert && format === 'JSONEachRow') {
          // Parallel parsing costs the engine (which shares the process's cores) a fifth more CPU for
          // bodies of this size, measured; one parser thread keeps more for the collector.
          await rawInsert({
            table,
            columns: EVENT_COLUMN_NAMES,
            format,
            values: body,
            settings: { ...settings, input_format_parallel_parsing: 0 },
          });
        } else {
          const result = await client.exec({ query, values: Readable.from([body]), clickhouse_settings: settings });
          result.stream.resume(); // the answer of an INSERT is empty: drain it so the socket is reused
        }
        timer();
        options.onInsert?.(rows.keys.length, performance.now() - started);
      } catch (error) {
        metrics.insertFailures.inc();
        throw error;
      }
    });
  }

  /** The batch's visits, after its events are stored (retried like the insert; same token, its own table). */
  async function cutVisits(batch: QueueBatch, events: ReturnType<typeof decodeRows>, token: string): Promise<void> {
    if (!visits) return;
    const ref = {
      topic: batch.topic,
      partition: batch.partition,
      firstOffset: BigInt(batch.firstOffset),
      lastOffset: BigInt(batch.lastOffset),
    };
    await retrying(`visits ${token}`, batch, async () => {
      try {
        await visits.apply(ref, events, token);
      } catch (error) {
        metrics.insertFailures.inc();
        throw error;
      }
    });
  }

  async function handle(batch: QueueBatch): Promise<void> {
    let bytes = 0;
    for (const value of batch.messages) bytes += value.length;
    const body = new BatchBody(recent, format === 'JSONEachRow', bytes);
    let work = 0; // events handled since the last turn of the event loop
    for (const value of batch.messages) {
      // A large batch is handled in slices, so the process keeps answering in between (in the
      // embedded mode the collector shares this event loop).
      if (work >= YIELD_EVERY_EVENTS) {
        work = 0;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      work += messageEvents(value);
      body.add(value);
    }
    const { dead, duplicates } = body;
    const rows = body.finish();
    const token = batchToken(batch);
    if (dead.length > 0) {
      await retrying(`dlq ${token}`, batch, () => consumer.deadLetter(dead));
      metrics.deadLettered.inc(dead.length);
      log.warn({ count: dead.length, first: dead[0]?.error, token }, 'dead_lettered');
    }
    if (duplicates > 0) {
      metrics.duplicatesDropped.inc(duplicates);
      log.debug({ duplicates, token }, 'duplicates_dropped');
    }
    if (rows.keys.length === 0) {
      await cutVisits(batch, [], token);
      return;
    }
    const { writeAhead } = batch;
    if (writeAhead) {
      await retrying(`write-ahead ${token}`, batch, async () => {
        try {
          await writeAhead();
        } catch (error) {
          metrics.insertFailures.inc();
          throw error;
        }
      });
    }
    await insert(format === 'RowBinary' ? body.rowBinary() : body.jsonLines(), rows, token, batch);
    await cutVisits(batch, decodeRows(body.rowBinary()), token);
    for (const key of rows.keys) recent.add(key);
    metrics.rowsInserted.inc(rows.keys.length);
    metrics.batchSize.observe(rows.keys.length);
    const seconds = rows.newestMs / 1000;
    if (seconds > lastNewest) {
      lastNewest = seconds;
      metrics.newestEvent.set(seconds);
    }
    log.debug({ rows: rows.keys.length, token }, 'batch_inserted');
  }

  async function readLag(): Promise<void> {
    try {
      if (consumer.partitionLag) {
        for (const { partition, lag } of await consumer.partitionLag()) metrics.consumerLag.set({ partition: String(partition) }, lag);
      } else {
        metrics.consumerLag.set({ partition: '0' }, await consumer.backlog());
      }
    } catch (error) {
      log.warn({ err: error }, 'lag_unavailable');
    }
  }

  let running: Promise<void> | null = null;
  let lagTimer: NodeJS.Timeout | null = null;
  return {
    async start() {
      await refreshStart(); // before the first batch, so its retries can tell a restarted server
      running = consumer.run(handle, { ranges: createRangeLog(client, database) }).catch((error: unknown) => {
        if (!(error instanceof IngesterStoppedError)) throw error;
      });
      lagTimer = setInterval(() => {
        void readLag();
        void refreshStart();
      }, lagEveryMs);
      lagTimer.unref();
    },
    async stop() {
      if (lagTimer) clearInterval(lagTimer);
      // Let the batch in hand finish its insert (the consumer waits for it), then stop retrying.
      const closing = consumer.close();
      const giveUp = setTimeout(() => stopping.abort(), 10_000);
      try {
        await closing;
      } catch (error) {
        if (!(error instanceof IngesterStoppedError)) throw error;
        // ClickHouse stayed unavailable: what the queue still holds was not stored. With Kafka it
        // stays uncommitted and is delivered again; the in-process queue loses it — say how much.
        log.error({ unstored: await consumer.backlog().catch(() => null) }, 'stopped_with_unstored_events');
      } finally {
        clearTimeout(giveUp);
      }
      stopping.abort();
      await running;
    },
  };
}

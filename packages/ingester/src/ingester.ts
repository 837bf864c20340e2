/**
 * The batch loop: fetch → cut into runs → decode → drop re-sent event ids → write ahead →
 * insert → commit. One insert per run, carrying a deduplication token made from the run's
 * queue coordinates; a queue that replays (Kafka) gets each run's boundaries written ahead
 * (`RangeLog`) so a replay is cut to the same coordinates (`plans.ts`, `runs.ts`), and the
 * same token makes ClickHouse drop it. ClickHouse errors are retried with backoff and jitter
 * for as long as the ingester runs; meanwhile the partition is not fetched further and
 * nothing is committed. A message of a schema version newer than this build knows stops its
 * partition (never dead-lettered) until a newer ingester takes it.
 */
import {
  type ClickHouseClient,
  decodeRows,
  type Frame,
  frameOf,
  isEmbeddedClient,
  type Logger,
  type PartitionFetch,
  type QueueConsumer,
  type QueueMessage,
  retry,
  SCHEMAS,
  SchemaVersionError,
  ValidationError,
  type WireSchemas,
} from '@tidemark/shared';
import { BatchBody } from './batch-body.ts';
import { createInserter, type InsertFormat } from './insert.ts';
import type { IngesterMetrics } from './metrics.ts';
import { createPlans } from './plans.ts';
import { createRangeLog, type OffsetRange } from './ranges.ts';
import { createRecentIds, type RecentIds } from './recent-ids.ts';
import { cutRun } from './runs.ts';
import { countVisitors } from './visitor-counts.ts';
import { createVisitTracker, type VisitTracker } from './visits/tracker.ts';

export type { InsertFormat };

/** Events decoded between two turns of the event loop (about a millisecond of work). */
const YIELD_EVERY_EVENTS = 256;

export interface IngesterOptions {
  client: ClickHouseClient;
  database: string;
  consumer: QueueConsumer;
  log: Logger;
  metrics: IngesterMetrics;
  /** Events per insert at most (`FLUSH_MAX_ROWS`); default 10 000. */
  maxRows?: number;
  /** How often consumer lag is read for `/metrics`; default 5 s. */
  lagEveryMs?: number;
  recentIds?: RecentIds;
  /** Called after every insert (benchmarks: batch size and insert time distributions). */
  onInsert?: (rows: number, ms: number) => void;
  /** Default: `JSONEachRow` for the embedded engine's client, `RowBinary` otherwise. */
  format?: InsertFormat;
  /**
   * The tables are Replicated (`CLICKHOUSE_CLUSTER`): their deduplication log lives in Keeper
   * and survives any restart, so a retry always re-runs the insert and never asks the raw table.
   */
  replicated?: boolean;
  /** The schema versions this ingester reads (tests of an upgrade give another build's). */
  schemas?: WireSchemas;
  /** How often complete days' distinct visitors are counted into `visitors_1d` (default 10 min; null: never). */
  countVisitorsEveryMs?: number | null;
  /** Cuts visits after each run (default: on, into `<database>.visits`). */
  visits?: VisitTracker | null;
}

export interface Ingester {
  start(): Promise<void>;
  stop(): Promise<void>;
}

export class IngesterStoppedError extends Error {
  override readonly name = 'IngesterStoppedError';
}

export function batchToken(range: OffsetRange): string {
  return `${range.topic}:${range.partition}:${range.first}-${range.last}`;
}

/** Each message's frame (or why it has none), and where the first message of a version too new stands. */
function framesOf(
  messages: QueueMessage[],
  schemas: WireSchemas,
): { frames: (Frame | ValidationError)[]; newer: number; error: SchemaVersionError | null } {
  const frames: (Frame | ValidationError)[] = [];
  for (const message of messages) {
    try {
      frames.push(frameOf(message, schemas));
    } catch (error) {
      if (error instanceof SchemaVersionError) return { frames, newer: frames.length, error };
      if (!(error instanceof ValidationError)) throw error;
      frames.push(error);
    }
  }
  return { frames, newer: messages.length, error: null };
}

export function createIngester(options: IngesterOptions): Ingester {
  const { client, database, consumer, log, metrics, lagEveryMs = 5000, maxRows = 10_000, schemas = SCHEMAS } = options;
  const format = options.format ?? (isEmbeddedClient(client) ? 'JSONEachRow' : 'RowBinary');
  const recent = options.recentIds ?? createRecentIds();
  const inserter = createInserter({
    client,
    database,
    format,
    schema: schemas.current,
    metrics,
    log,
    replicated: options.replicated ?? false,
    ...(options.onInsert ? { onInsert: options.onInsert } : {}),
  });
  const rangeLog = consumer.replays ? createRangeLog(client, database) : null;
  const plans = createPlans(rangeLog, (fetch, from, count) =>
    log.info({ topic: fetch.topic, partition: fetch.partition, from: String(from), ranges: count }, 'replaying_ranges'),
  );
  const visits = options.visits === undefined ? createVisitTracker({ client, database, log }) : options.visits;
  const stopping = new AbortController();
  let lastNewest = 0;

  /** Runs `attempt` until it succeeds; between tries the fetch heartbeats, which rejects if the partition was lost. */
  function retrying<T>(what: string, fetch: PartitionFetch, attempt: (n: number) => Promise<T>): Promise<T> {
    let n = 0;
    return retry(() => attempt(n++), {
      signal: stopping.signal,
      between: fetch.heartbeat,
      onRetry: (error, tried, retryInMs) => log.warn({ err: error, what, attempt: tried, retryInMs }, 'batch_retry'),
    }).catch((error: unknown) => {
      throw stopping.signal.aborted ? new IngesterStoppedError(`stopped while retrying ${what}`) : error;
    });
  }

  /** The run's visits, after its events are stored (retried like the insert; same token, its own table). */
  async function cutVisits(fetch: PartitionFetch, range: OffsetRange, events: ReturnType<typeof decodeRows>, token: string) {
    if (!visits) return;
    const ref = {
      topic: range.topic,
      partition: range.partition,
      firstOffset: range.first,
      lastOffset: range.last,
      assignment: fetch.assignment,
    };
    await retrying(`visits ${token}`, fetch, async () => {
      try {
        await visits.apply(ref, events, token);
      } catch (error) {
        metrics.insertFailures.inc();
        throw error;
      }
    });
  }

  /** Decodes, writes ahead and inserts one run; the caller commits it. */
  async function insertRun(
    fetch: PartitionFetch,
    messages: QueueMessage[],
    frames: (Frame | ValidationError)[],
    range: OffsetRange,
    writeAhead: boolean,
  ) {
    let bytes = 0;
    for (const message of messages) bytes += message.value.length;
    const body = new BatchBody(recent, format === 'JSONEachRow', bytes, schemas);
    let work = 0; // events handled since the last turn of the event loop
    for (let i = 0; i < messages.length; i++) {
      // A large batch is handled in slices, so the process keeps answering in between (in the
      // embedded mode the collector shares this event loop).
      if (work >= YIELD_EVERY_EVENTS) {
        work = 0;
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      const frame = frames[i] as Frame | ValidationError;
      work += frame instanceof ValidationError ? 1 : frame.rows;
      body.add(messages[i] as QueueMessage, frame);
    }
    const { dead, duplicates } = body;
    const rows = body.finish();
    const token = batchToken(range);
    if (dead.length > 0) {
      await retrying(`dlq ${token}`, fetch, () => consumer.deadLetter(dead));
      metrics.deadLettered.inc(dead.length);
      log.warn({ count: dead.length, first: dead[0]?.error, token }, 'dead_lettered');
    }
    if (duplicates > 0) {
      metrics.duplicatesDropped.inc(duplicates);
      log.debug({ duplicates, token }, 'duplicates_dropped');
    }
    if (rows.keys.length === 0) {
      await cutVisits(fetch, range, [], token); // the visits' state continues past this run
      return;
    }
    if (writeAhead && rangeLog) {
      await retrying(`write-ahead ${token}`, fetch, async () => {
        try {
          await rangeLog.record(range);
        } catch (error) {
          metrics.insertFailures.inc();
          throw error;
        }
      });
    }
    const firstStart = inserter.knownStart();
    const insertBody = format === 'RowBinary' ? body.rowBinary() : body.jsonLines();
    await retrying(token, fetch, (n) => inserter.attempt(insertBody, rows, token, n === 0 ? null : { firstStart }));
    await cutVisits(fetch, range, decodeRows(body.rowBinary(), schemas.current), token);
    for (const key of rows.keys) recent.set(key, true);
    metrics.rowsInserted.inc(rows.keys.length);
    metrics.batchSize.observe(rows.keys.length);
    const seconds = rows.newestMs / 1000;
    if (seconds > lastNewest) {
      lastNewest = seconds;
      metrics.newestEvent.set(seconds);
    }
    log.debug({ rows: rows.keys.length, token }, 'batch_inserted');
  }

  /** One partition's fetch, run by run, each committed after its insert. */
  async function handle(fetch: PartitionFetch): Promise<void> {
    const { topic, partition, messages } = fetch;
    const { frames, newer, error } = framesOf(messages, schemas);
    const plan = await plans.planFor(fetch, (recorded) => retrying(`read ranges ${topic}:${partition}`, fetch, recorded));
    const offsets = messages.slice(0, newer).map((m) => m.offset);
    const rows = frames.map((f) => (f instanceof ValidationError ? 1 : f.rows));
    // A message too new ends what can be read: a recorded run reaching it cannot be replayed here either.
    const end = error ? (messages[newer]?.offset ?? fetch.highWatermark) : fetch.highWatermark;
    let start = 0;
    while (start < offsets.length && fetch.active()) {
      const run = cutRun(offsets, start, plan.ranges, maxRows, end, rows);
      if (run === null) {
        log.info({ topic, partition, first: String(offsets[start]) }, 'replay_refetch'); // the fetch stopped inside a recorded run
        return;
      }
      if (run.last >= end) break; // a recorded run that holds a message too new
      const range: OffsetRange = { topic, partition, first: offsets[start] as bigint, last: run.last };
      try {
        await insertRun(fetch, messages.slice(start, run.end), frames.slice(start, run.end), range, !run.recorded);
        await fetch.commit(range.last + 1n); // only after the insert succeeded
      } catch (error) {
        // Fetched again from `range.first` (a failed commit keeps the assignment): cut as recorded.
        plans.forget(partition);
        throw error;
      }
      metrics.stall.committed();
      plans.advance(plan, range.last);
      start = run.end;
      await fetch.heartbeat();
    }
    if (error && fetch.active()) {
      fetch.stop();
      metrics.partitionsStopped.inc();
      log.error(
        { topic, partition, offset: String(end), version: error.version, known: error.known, err: error },
        'partition_stopped_schema_too_new',
      );
    }
  }

  async function readLag(): Promise<void> {
    try {
      if (consumer.partitionLag) {
        const lags = await consumer.partitionLag();
        for (const { partition, lag } of lags) metrics.consumerLag.set({ partition: String(partition) }, lag);
        metrics.stall.lag(lags.reduce((sum, p) => sum + p.lag, 0));
      } else {
        const backlog = await consumer.backlog();
        metrics.consumerLag.set({ partition: '0' }, backlog);
        metrics.stall.lag(backlog);
      }
    } catch (error) {
      log.warn({ err: error }, 'lag_unavailable');
    }
  }

  let running: Promise<void> | null = null;
  let lagTimer: NodeJS.Timeout | null = null;
  let countTimer: NodeJS.Timeout | null = null;
  let counting: Promise<void> = Promise.resolve();
  const countEveryMs = options.countVisitorsEveryMs === undefined ? 600_000 : options.countVisitorsEveryMs;
  const count = () => {
    // One at a time; a failure is logged and retried at the next tick (a missing count only costs speed).
    counting = counting.then(() =>
      countVisitors(client, database).catch((error: unknown) => log.warn({ err: error }, 'visitor_count_failed')),
    );
  };
  return {
    async start() {
      await inserter.refreshStart(); // before the first batch, so its retries can tell a restarted server
      running = consumer.run(handle).catch((error: unknown) => {
        if (!(error instanceof IngesterStoppedError)) throw error;
      });
      lagTimer = setInterval(() => {
        void readLag();
        void inserter.refreshStart();
      }, lagEveryMs);
      lagTimer.unref();
      if (countEveryMs !== null) {
        count();
        countTimer = setInterval(count, countEveryMs);
        countTimer.unref();
      }
    },
    async stop() {
      if (lagTimer) clearInterval(lagTimer);
      if (countTimer) clearInterval(countTimer);
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
      await counting;
    },
  };
}

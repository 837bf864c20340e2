import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export type IngesterMetrics = ReturnType<typeof createIngesterMetrics>;

/**
 * How long commits have stalled: seconds since the last commit while messages wait (the lag
 * last read is above 0), else 0. The alert of a stuck ingester (docs/operations: alert when
 * it stays above a minute) — a lost group coordinator, ClickHouse down, a stopped partition.
 */
export function commitStall(now: () => number = Date.now) {
  let lastCommit = now();
  let waitingSince: number | null = null;
  return {
    committed() {
      lastCommit = now();
    },
    /** The total lag just read. */
    lag(messages: number) {
      if (messages <= 0) waitingSince = null;
      else waitingSince ??= now();
    },
    seconds(): number {
      if (waitingSince === null) return 0;
      return Math.max(0, now() - Math.max(lastCommit, waitingSince)) / 1000;
    },
  };
}

export function createIngesterMetrics(registry: Registry) {
  const registers = [registry];
  const stall = commitStall();
  return {
    stall,
    commitStalled: new Gauge({
      name: 'tidemark_ingester_commit_stalled_seconds',
      help: 'Seconds since the last offset commit while messages wait to be stored (0 when none wait); alert when it stays high',
      registers,
      collect() {
        this.set(stall.seconds());
      },
    }),
    rowsInserted: new Counter({ name: 'tidemark_ingester_rows_inserted_total', help: 'Rows inserted into ClickHouse', registers }),
    deadLettered: new Counter({ name: 'tidemark_ingester_dead_lettered_total', help: 'Messages sent to the DLQ', registers }),
    duplicatesDropped: new Counter({
      name: 'tidemark_ingester_duplicates_dropped_total',
      help: 'Events not inserted because their event id was stored lately',
      registers,
    }),
    insertFailures: new Counter({
      name: 'tidemark_ingester_insert_failures_total',
      help: 'Failed ClickHouse attempts of a batch (write-ahead or insert), retried',
      registers,
    }),
    batchSize: new Histogram({
      name: 'tidemark_ingester_batch_rows',
      help: 'Rows per insert',
      buckets: [1, 10, 100, 500, 1000, 2500, 5000, 10_000, 25_000, 50_000, 100_000],
      registers,
    }),
    insertSeconds: new Histogram({
      name: 'tidemark_ingester_insert_seconds',
      help: 'Time of one batch insert',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    newestEvent: new Gauge({
      name: 'tidemark_ingester_newest_event_timestamp_seconds',
      help: 'Receive time of the newest stored event (freshness)',
      registers,
    }),
    partitionsStopped: new Counter({
      name: 'tidemark_ingester_partitions_stopped_total',
      help: 'Partitions stopped at a message of a schema version newer than this ingester knows (upgrade it)',
      registers,
    }),
    consumerLag: new Gauge({
      name: 'tidemark_ingester_consumer_lag',
      help: 'Messages produced but not yet committed, per partition',
      labelNames: ['partition'],
      registers,
    }),
  };
}

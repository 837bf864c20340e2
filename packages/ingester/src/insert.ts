/**
 * One batch's INSERT, retried with the same body and token until it succeeds. The token
 * makes a repeated insert a no-op in the raw table and in every view (docs/storage.md). One
 * exception: a server that restarted since the first attempt, when the tables are not
 * Replicated, may have lost its deduplication log, so the retry first asks the raw table
 * whether the batch's first and last event ids are there.
 */
import { Readable } from 'node:stream';
import { type ClickHouseClient, embeddedRawInsert, type Logger, TABLES, type WireSchema } from '@tidemark/shared';
import type { BatchRows } from './batch-body.ts';
import type { IngesterMetrics } from './metrics.ts';

/**
 * The body of an insert: `RowBinary` (to a server) or JSON lines (`JSONEachRow`, to the
 * embedded engine, whose connection takes text bodies only).
 */
export type InsertFormat = 'RowBinary' | 'JSONEachRow';

export interface InserterOptions {
  client: ClickHouseClient;
  database: string;
  format: InsertFormat;
  /** The columns inserted (the current schema version). */
  schema: WireSchema;
  metrics: IngesterMetrics;
  log: Logger;
  /** Replicated tables keep their deduplication log in Keeper: a retry always re-runs the insert. */
  replicated: boolean;
  onInsert?: (rows: number, ms: number) => void;
}

export interface Inserter {
  /** One attempt at the batch; `retry` is set when an earlier attempt failed (with the server start time seen then). */
  attempt(body: Buffer, rows: BatchRows, token: string, retry: { firstStart: number | null } | null): Promise<void>;
  /** The ClickHouse server's start time as last read (Unix seconds), or null. */
  knownStart(): number | null;
  /** Reads the server's start time again (every few seconds, and on every retry). */
  refreshStart(): Promise<number | null>;
}

export function createInserter(options: InserterOptions): Inserter {
  const { client, database, format, schema, metrics, log } = options;
  const table = `${database}.${TABLES.events}`;
  const columns = schema.names.join(', ');
  // RowBinary is parsed as plain Strings and converted to LowCardinality a column at a time
  // by `input()`: a LowCardinality value parsed row by row is most of the server's insert
  // cost. The embedded engine takes the body inline in the query text, where `input()`
  // sees no rows, so JSON goes straight into the table there.
  const query =
    format === 'RowBinary'
      ? `INSERT INTO ${table} (${columns}) SELECT ${columns} FROM input('${schema.structure.replaceAll("'", "\\'")}') FORMAT RowBinary`
      : `INSERT INTO ${table} (${columns}) FORMAT JSONEachRow`;
  const rawInsert = embeddedRawInsert(client);
  let known: number | null = null;

  /** When the ClickHouse server answering was started (Unix seconds), or null when it does not answer. */
  async function refreshStart(): Promise<number | null> {
    try {
      const result = await client.query({ query: 'SELECT toUnixTimestamp(now()) - uptime() AS started', format: 'JSONEachRow' });
      const [row] = await result.json<{ started: string | number }>();
      const started = row ? Number(row.started) : null;
      if (started !== null) known = started;
      return started;
    } catch {
      return null;
    }
  }

  /** Whether the batch's first and last event ids are in the raw table (one insert is one block: both or neither). */
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

  /** Whether the server may have lost its deduplication log since the first attempt (a second of slack for the clock read). */
  function restarted(before: number | null, now: number | null): boolean {
    if (options.replicated) return false;
    return before === null || now === null || Math.abs(now - before) > 1;
  }

  async function send(body: Buffer, rows: BatchRows, token: string): Promise<void> {
    const timer = metrics.insertSeconds.startTimer();
    const started = performance.now();
    const settings = {
      insert_deduplication_token: token,
      deduplicate_blocks_in_dependent_materialized_views: 1,
      input_format_skip_unknown_fields: 1,
      async_insert: 0,
    } as const;
    if (rawInsert && format === 'JSONEachRow') {
      // Parallel parsing costs the engine (which shares the process's cores) more CPU for
      // bodies of this size (docs/storage.md); one parser thread keeps more for the collector.
      await rawInsert({ table, columns: schema.names, format, values: body, settings: { ...settings, input_format_parallel_parsing: 0 } });
    } else {
      const result = await client.exec({ query, values: Readable.from([body]), clickhouse_settings: settings });
      result.stream.resume(); // the answer of an INSERT is empty: drain it so the socket is reused
    }
    timer();
    options.onInsert?.(rows.keys.length, performance.now() - started);
  }

  return {
    async attempt(body, rows, token, retry) {
      if (retry) {
        const start = await refreshStart();
        // When the check itself fails (ClickHouse still down), the insert is tried and fails too.
        const stored =
          restarted(retry.firstStart, start) &&
          (await landed(rows).catch((error: unknown) => {
            log.warn({ err: error, token }, 'stored_check_failed');
            return false;
          }));
        if (stored) {
          log.warn({ token, rows: rows.keys.length }, 'insert_already_stored');
          return;
        }
      }
      try {
        await send(body, rows, token);
      } catch (error) {
        metrics.insertFailures.inc();
        throw error;
      }
    },
    knownStart: () => known,
    refreshStart,
  };
}

/**
 * Rows of an import into one ClickHouse table, in batches, so memory holds one batch at a time
 * however large the file: JSON lines, which both the server and the in-process engine take.
 */
import type { ClickHouseClient } from '@tidemark/shared';

/** Rows per INSERT: a few MB of JSON. */
export const BATCH_ROWS = 20_000;

export interface BatchWriter {
  add(row: Record<string, unknown>): Promise<void>;
  /** Sends what is left; resolves to the rows written in all. */
  flush(): Promise<number>;
}

export function createBatchWriter(client: ClickHouseClient, table: string, fixed: Record<string, unknown>): BatchWriter {
  let batch: Record<string, unknown>[] = [];
  let written = 0;
  const send = async () => {
    if (batch.length === 0) return;
    const values = batch;
    batch = [];
    await client.insert({ table, values, format: 'JSONEachRow', clickhouse_settings: { async_insert: 0 } });
    written += values.length;
  };
  return {
    async add(row) {
      batch.push({ ...fixed, ...row });
      if (batch.length >= BATCH_ROWS) await send();
    },
    async flush() {
      await send();
      return written;
    },
  };
}

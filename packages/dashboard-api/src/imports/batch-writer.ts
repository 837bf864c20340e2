/**
 * Rows of an import into one ClickHouse table, in batches, so memory holds one batch at a time
 * however large the file: compact JSON lines (an array of values per row, columns named once),
 * which both the server and the in-process engine take.
 */
import type { ClickHouseClient } from '@tidemark/shared';

/** Rows per INSERT: a few MB of JSON, and few enough parts for the table to merge. */
export const BATCH_ROWS = 50_000;

export interface BatchWriter {
  add(row: Record<string, unknown>): Promise<void>;
  /** Sends what is left; resolves to the rows written in all. */
  flush(): Promise<number>;
}

/**
 * `fixed` values (site, import id) go with every row; the other columns are the first row's keys.
 * `beforeSend` runs before each INSERT (the import records itself before its first row is written).
 */
export function createBatchWriter(
  client: ClickHouseClient,
  table: string,
  fixed: Record<string, unknown>,
  beforeSend?: () => Promise<void>,
): BatchWriter {
  const fixedNames = Object.keys(fixed);
  const fixedValues = Object.values(fixed);
  let names: string[] | null = null;
  let batch: unknown[][] = [];
  let written = 0;
  const send = async () => {
    if (batch.length === 0 || names === null) return;
    const values = batch;
    batch = [];
    await beforeSend?.();
    await client.insert({
      table,
      values,
      columns: [...fixedNames, ...names] as [string, ...string[]],
      format: 'JSONCompactEachRow',
      clickhouse_settings: { async_insert: 0 },
    });
    written += values.length;
  };
  return {
    async add(row) {
      names ??= Object.keys(row);
      const values: unknown[] = [...fixedValues];
      for (const name of names) values.push(row[name]);
      batch.push(values);
      if (batch.length >= BATCH_ROWS) await send();
    },
    async flush() {
      await send();
      return written;
    },
  };
}

/**
 * The write-ahead of batch boundaries in ClickHouse itself (`ingest_ranges`), so the record
 * lives next to the data it guards and needs no other store. Chosen over Kafka commit
 * metadata because kafkajs cannot attach metadata to a commit, and over a local file because
 * another ingester of the group may take the partition over. One tiny insert per batch.
 */
import { type ClickHouseClient, EXACT_64BIT_JSON, TABLES } from '@tidemark/shared';

/** A batch's offsets, inclusive, as recorded before its insert. */
export interface OffsetRange {
  topic: string;
  partition: number;
  first: bigint;
  last: bigint;
}

/**
 * Durable write-ahead of batch boundaries, so a batch replayed after a crash is cut to the
 * same offsets — and so carries the same deduplication token — as the first attempt.
 */
export interface RangeLog {
  /** Recorded ranges of the partition ending at or after `from`, by first offset. */
  recorded(topic: string, partition: number, from: bigint): Promise<OffsetRange[]>;
  record(range: OffsetRange): Promise<void>;
}

export function createRangeLog(client: ClickHouseClient, database: string): RangeLog {
  const table = `${database}.${TABLES.ingestRanges}`;
  return {
    async recorded(topic, partition, from) {
      const result = await client.query({
        query: `SELECT first_offset, last_offset FROM ${table} FINAL
                WHERE topic = {topic:String} AND partition = {partition:UInt32} AND last_offset >= {from:UInt64}
                ORDER BY first_offset`,
        query_params: { topic, partition, from: String(from) },
        format: 'JSONEachRow',
        clickhouse_settings: EXACT_64BIT_JSON, // UInt64 offsets as decimal text
      });
      const rows = await result.json<{ first_offset: string; last_offset: string }>();
      return rows.map((r): OffsetRange => ({ topic, partition, first: BigInt(r.first_offset), last: BigInt(r.last_offset) }));
    },
    async record({ topic, partition, first, last }) {
      await client.insert({
        table,
        values: [{ topic, partition, first_offset: String(first), last_offset: String(last) }],
        format: 'JSONEachRow',
        clickhouse_settings: { async_insert: 0 },
      });
    },
  };
}

/**
 * The ingester's hook for visits: after a batch's events are inserted, its events are cut into
 * visits per partition (`PartitionVisits`) and the changed visits are inserted into `visits`
 * with the batch's deduplication token. The partition state is rebuilt from ClickHouse when a
 * batch does not continue where this process left off (start, a replay) and on every new
 * assignment, from the visits of that partition that ended in the last two hours: a partition
 * that comes back at the offset this process left it at may still have changed in between (its
 * other owner wrote visits and died before its commit).
 */
import { type ClickHouseClient, EXACT_64BIT_JSON, type Logger, type StoredEvent, TABLES } from '@tidemark/shared';
import { type BatchRef, PartitionVisits } from './partition.ts';
import { type EntryAttributes, VISIT_GAP_MS, VISIT_READ_COLUMNS, type Visit, type VisitRowRead, visitFromRow } from './visit.ts';

/** How far back a rebuilt partition loads open visits, and how long memory keeps ended ones. */
const KEEP_MS = 2 * 3_600_000;

/** A batch and the assignment it was fetched under (`PartitionFetch.assignment`). */
export interface AssignedBatch extends BatchRef {
  assignment: number;
}

export interface VisitTracker {
  /** Cuts the batch's events into visits and inserts the changed ones (idempotent under `token`). */
  apply(batch: AssignedBatch, events: StoredEvent[], token: string): Promise<{ rows: number; skipped: number }>;
}

export interface VisitTrackerOptions {
  client: ClickHouseClient;
  database: string;
  log: Logger;
  /** The clock (tests of eviction and rebuild). */
  now?: () => number;
}

type Row = VisitRowRead & EntryAttributes;

export function createVisitTracker({ client, database, log, now = Date.now }: VisitTrackerOptions): VisitTracker {
  const table = `${database}.${TABLES.visits}`;
  const partitions = new Map<string, { state: PartitionVisits; assignment: number }>();

  async function read(where: string, params: Record<string, unknown>): Promise<Visit[]> {
    const result = await client.query({
      query: `SELECT ${VISIT_READ_COLUMNS} FROM ${table} FINAL WHERE ${where}`,
      query_params: params,
      format: 'JSONEachRow',
      // visitor_id and the pick keys are UInt64: as JSON numbers they would come back rounded,
      // and a visit read under another visitor id is one this partition never finds again.
      clickhouse_settings: EXACT_64BIT_JSON,
    });
    return (await result.json<Row>()).map(visitFromRow);
  }

  async function lookup(visitors: { site: string; visitorId: string }[], since: number): Promise<Visit[]> {
    const wanted = new Set(visitors.map((v) => `${v.site}\0${v.visitorId}`));
    const found = await read(
      'site IN {sites:Array(String)} AND toString(visitor_id) IN {ids:Array(String)} AND last_at >= fromUnixTimestamp64Milli({since:Int64})',
      { sites: [...new Set(visitors.map((v) => v.site))], ids: [...new Set(visitors.map((v) => v.visitorId))], since },
    );
    return found.filter((v) => wanted.has(`${v.site}\0${v.visitorId}`));
  }

  async function stateFor(batch: AssignedBatch): Promise<PartitionVisits> {
    const key = `${batch.topic}\0${batch.partition}`;
    const known = partitions.get(key);
    if (known && known.assignment === batch.assignment && known.state.next === batch.firstOffset) return known.state;
    const horizon = now() - KEEP_MS;
    const open = await read('src_partition = {partition:UInt32} AND last_at >= fromUnixTimestamp64Milli({since:Int64})', {
      partition: batch.partition,
      since: horizon,
    });
    const state = new PartitionVisits(batch.partition, horizon, open);
    partitions.set(key, { state, assignment: batch.assignment });
    log.info({ topic: batch.topic, partition: batch.partition, open: open.length, from: String(batch.firstOffset) }, 'visits_rebuilt');
    return state;
  }

  return {
    async apply(batch, events, token) {
      const state = await stateFor(batch);
      const applied = await state.apply(batch, events, lookup);
      if (applied.rows.length > 0) {
        await client.insert({
          table,
          values: applied.rows,
          format: 'JSONEachRow',
          // The visit rollups' views (clickhouse/009_visit_rollups.sql) drop a replayed block too.
          clickhouse_settings: {
            insert_deduplication_token: token,
            deduplicate_blocks_in_dependent_materialized_views: 1,
            async_insert: 0,
          },
        });
      }
      applied.commit();
      state.evict(now() - KEEP_MS - VISIT_GAP_MS);
      if (applied.skipped > 0) log.info({ token, skipped: applied.skipped }, 'visits_replay_skipped');
      return { rows: applied.rows.length, skipped: applied.skipped };
    },
  };
}

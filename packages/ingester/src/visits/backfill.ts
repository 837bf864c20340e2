/**
 * The visits of the raw events a database held before `visits` existed (migration 005): read in
 * (site, visitor, time, id) order, cut at gaps over 30 minutes with the same visit arithmetic as
 * the ingester, and inserted as version-1 rows with no source batch. Runs once, right after the
 * migration creates the table, and only into an empty table (a re-run after a crash between the
 * two does not count twice); the ingester's partitions then continue these visits (a rebuilt
 * partition loads the open ones).
 */
import { type ClickHouseClient, EXACT_64BIT_JSON, type StoredEvent, TABLES } from '@tidemark/shared';
import { eventTime, VISIT_GAP_MS, type Visit, visitOf, visitRow, withEvent } from './visit.ts';

const CHUNK = 10_000;

export async function backfillVisits(client: ClickHouseClient, database: string): Promise<number> {
  const visits = `${database}.${TABLES.visits}`;
  const count = await client.query({ query: `SELECT count() AS n FROM ${visits}`, format: 'JSONEachRow' });
  const [row] = await count.json<{ n: string | number }>();
  if (Number(row?.n ?? 0) > 0) return 0;
  const result = await client.query({
    query: `SELECT * FROM ${database}.${TABLES.events} ORDER BY site, visitor_id, timestamp, event_id`,
    format: 'JSONEachRow',
    clickhouse_settings: EXACT_64BIT_JSON, // visitor_id as its decimal text, not a rounded number
  });
  let pending: Record<string, unknown>[] = [];
  let written = 0;
  const flush = async () => {
    if (pending.length === 0) return;
    await client.insert({ table: visits, values: pending, format: 'JSONEachRow' });
    written += pending.length;
    pending = [];
  };
  let open: Visit | null = null;
  const close = async () => {
    if (open) pending.push(visitRow({ ...open, version: 1 }, 1));
    open = null;
    if (pending.length >= CHUNK) await flush();
  };
  for await (const rows of result.stream<StoredEvent>()) {
    for (const r of rows) {
      const e = r.json();
      const t = eventTime(e);
      const current = open as Visit | null;
      if (current && current.site === e.site && current.visitorId === String(e.visitor_id) && t - current.lastAt <= VISIT_GAP_MS) {
        open = withEvent(current, e, t);
      } else {
        await close();
        open = visitOf({ ...e, visitor_id: String(e.visitor_id) }, t);
      }
    }
  }
  await close();
  await flush();
  return written;
}

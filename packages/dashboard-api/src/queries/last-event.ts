import type { ClickHouseClient } from '@tidemark/shared';
import { chTime, rows } from './range.ts';
import type { Tables } from './tables.ts';

/**
 * Time of the newest stored event since `since` (optionally of one site), or null. Bounding
 * the scan by time lets ClickHouse skip every older part.
 */
export async function queryLastEvent(client: ClickHouseClient, tables: Tables, site: string | null, since: Date): Promise<Date | null> {
  const query = `
    SELECT toUnixTimestamp64Milli(maxOrNull(timestamp)) AS last
    FROM ${tables.events}
    WHERE timestamp >= {since:DateTime64(3, 'UTC')} AND ({site:String} = '' OR site = {site:String})`;
  const [row] = await rows<{ last: string | number | null }>(client, query, { since: chTime(since), site: site ?? '' });
  return row?.last === null || row?.last === undefined ? null : new Date(Number(row.last));
}

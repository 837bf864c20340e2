import type { ClickHouseClient } from '@tidemark/shared';
import { chTime, rows } from './range.ts';
import type { Tables } from './tables.ts';

export interface PropKeyRow {
  key: string;
  events: number;
}

/** The custom property keys of a site's events (of one event name, or every custom event) since `since`, most used first. */
export async function queryPropKeys(
  client: ClickHouseClient,
  tables: Tables,
  site: string,
  event: string | null,
  since: Date,
  limit: number,
): Promise<PropKeyRow[]> {
  const query = `
    SELECT arrayJoin(mapKeys(props)) AS key, count() AS events
    FROM ${tables.events}
    WHERE site = {site:String} AND timestamp >= {since:DateTime64(3, 'UTC')}
      AND ${event === null ? "name NOT IN ('pageview', 'engagement')" : 'name = {event:String}'}
    GROUP BY key
    ORDER BY events DESC, key
    LIMIT {limit:UInt32}`;
  const found = await rows<{ key: string; events: string | number }>(client, query, { site, event, since: chTime(since), limit });
  return found.map((r) => ({ key: r.key, events: Number(r.events) }));
}

import type { ClickHouseClient } from '@tidemark/shared';
import type { TimeRange } from '../params.ts';
import { chTime, rows } from './range.ts';
import type { Tables } from './tables.ts';

export interface PropertyKey {
  key: string;
  events: number;
}

/** Custom property keys of a site's custom events in a range (optionally of one event), most used first. */
export async function queryPropertyKeys(
  client: ClickHouseClient,
  tables: Tables,
  site: string,
  range: TimeRange,
  event: string | null,
  limit: number,
): Promise<PropertyKey[]> {
  const query = `
    SELECT key, count() AS events
    FROM ${tables.events}
    ARRAY JOIN mapKeys(props) AS key
    WHERE site = {site:String}
      AND timestamp >= {from:DateTime64(3, 'UTC')} AND timestamp <= {to:DateTime64(3, 'UTC')}
      AND name NOT IN ('pageview', 'engagement')
      AND ({event:String} = '' OR name = {event:String})
    GROUP BY key
    ORDER BY events DESC, key
    LIMIT {limit:UInt32}`;
  const found = await rows<{ key: string; events: string | number }>(client, query, {
    site,
    from: chTime(range.from),
    to: chTime(range.to),
    event: event ?? '',
    limit,
  });
  return found.map((r) => ({ key: r.key, events: Number(r.events) }));
}

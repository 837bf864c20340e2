import type { ClickHouseClient } from '@tidemark/shared';
import { chTime, rows } from './range.ts';
import type { Tables } from './tables.ts';

export interface SiteRow {
  site: string;
  views: number;
}

/** Sites with pageviews since `since`, busiest first (for the dashboard's site picker). */
export async function querySites(client: ClickHouseClient, tables: Tables, since: Date, limit: number): Promise<SiteRow[]> {
  const query = `
    SELECT site, sum(events) AS views
    FROM ${tables.events15m}
    WHERE bucket >= {since:DateTime64(3, 'UTC')} AND name = 'pageview'
    GROUP BY site
    ORDER BY views DESC, site
    LIMIT {limit:UInt32}`;
  const found = await rows<{ site: string; views: string | number }>(client, query, { since: chTime(since), limit });
  return found.map((r) => ({ site: r.site, views: Number(r.views) }));
}

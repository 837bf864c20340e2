import type { ClickHouseClient } from '@tidemark/shared';
import { chTime, rows } from './range.ts';
import type { Tables } from './tables.ts';

export interface SiteRow {
  site: string;
  views: number;
}

/** Sites with pageviews since `since`, busiest first (for the dashboard's site picker); only `only`'s, when given. */
export async function querySites(
  client: ClickHouseClient,
  tables: Tables,
  since: Date,
  limit: number,
  only: string[] | null = null,
): Promise<SiteRow[]> {
  if (only !== null && only.length === 0) return [];
  const query = `
    SELECT site, sum(events) AS views
    FROM ${tables.events15m}
    WHERE bucket >= {since:DateTime64(3, 'UTC')} AND name = 'pageview'${only === null ? '' : ' AND site IN {only:Array(String)}'}
    GROUP BY site
    ORDER BY views DESC, site
    LIMIT {limit:UInt32}`;
  const found = await rows<{ site: string; views: string | number }>(client, query, { since: chTime(since), limit, only: only ?? [] });
  return found.map((r) => ({ site: r.site, views: Number(r.views) }));
}

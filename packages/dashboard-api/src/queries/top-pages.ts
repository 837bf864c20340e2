import type { ClickHouseClient } from '@tidemark/shared';
import { RAW_EDGES, rows, splitRange, WHOLE_MINUTES } from './range.ts';
import type { Tables } from './tables.ts';

export interface PageRow {
  path: string;
  views: number;
  visitors: number;
  avgDurationMs: number;
}

/** The most viewed paths in [from, to], with distinct visitors and mean time on page. */
export async function queryTopPages(
  client: ClickHouseClient,
  tables: Tables,
  site: string,
  from: Date,
  to: Date,
  limit: number,
): Promise<PageRow[]> {
  const query = `
    SELECT p AS path, sum(v) AS views, uniqMerge(u) AS visitors, ifNotFinite(round(avgMerge(d)), 0) AS avgDurationMs
    FROM (
      SELECT path AS p, views AS v, visitors AS u, duration AS d
      FROM ${tables.pagesMinute}
      WHERE site = {site:String} AND ${WHOLE_MINUTES}
      UNION ALL
      SELECT path, countIf(name = 'pageview'), uniqStateIf(visitor_id, name = 'pageview'), avgStateIf(duration_ms, name = 'engagement')
      FROM (
        SELECT name, path, visitor_id, duration_ms FROM ${tables.events}
        WHERE site = {site:String} AND name IN ('pageview', 'engagement') AND ${RAW_EDGES}
        LIMIT 1 BY event_id
      )
      GROUP BY path
    )
    GROUP BY path
    HAVING views > 0
    ORDER BY views DESC, visitors DESC, path
    LIMIT {limit:UInt32}`;
  const result = await rows<Record<keyof PageRow, string | number>>(client, query, { site, limit, ...splitRange(from, to) });
  return result.map((r) => ({
    path: String(r.path),
    views: Number(r.views),
    visitors: Number(r.visitors),
    avgDurationMs: Number(r.avgDurationMs),
  }));
}

import type { ClickHouseClient } from '@tidemark/shared';
import { bucketSql, type Interval } from './buckets.ts';
import { type Dimension, RAW_VALUE, rawFilter } from './dimensions.ts';
import { RAW_EDGES, rows, splitRange, WHOLE_MINUTES } from './range.ts';
import type { Tables } from './tables.ts';

export interface BreakdownPoint {
  time: string;
  value: string;
  views: number;
  visitors: number;
}

/**
 * Views and distinct visitors per bucket and value of one dimension in [from, to], for the
 * `limit` values with the most views over the whole range; buckets without data are absent.
 */
export async function queryTimeseriesBreakdown(
  client: ClickHouseClient,
  tables: Tables,
  site: string,
  interval: Interval,
  dimension: Dimension,
  from: Date,
  to: Date,
  limit: number,
): Promise<BreakdownPoint[]> {
  const query = `
    SELECT ts, value, views, visitors
    FROM (
      SELECT ts, value, views, visitors, dense_rank() OVER (ORDER BY total DESC, value) AS rank
      FROM (
        SELECT ts, value, views, visitors, sum(views) OVER (PARTITION BY value) AS total
        FROM (
          SELECT b AS ts, val AS value, sum(v) AS views, uniqMerge(u) AS visitors
          FROM (
            SELECT ${bucketSql(interval, 'minute')} AS b, value AS val, views AS v, visitors AS u
            FROM ${tables.dimensionsMinute}
            WHERE site = {site:String} AND dimension = {dimension:String} AND ${WHOLE_MINUTES}
            UNION ALL
            SELECT b, val, count(), uniqState(visitor_id)
            FROM (
              SELECT ${bucketSql(interval, 'timestamp')} AS b, ${RAW_VALUE[dimension]} AS val, visitor_id FROM ${tables.events}
              WHERE site = {site:String} AND ${rawFilter(dimension)} AND ${RAW_EDGES}
              LIMIT 1 BY event_id
            )
            GROUP BY b, val
          )
          GROUP BY ts, value
        )
      )
    )
    WHERE rank <= {limit:UInt32}
    ORDER BY ts, views DESC, value`;
  const found = await rows<{ ts: string | number; value: string; views: string | number; visitors: string | number }>(client, query, {
    site,
    dimension,
    limit,
    ...splitRange(from, to),
  });
  return found.map((r) => ({
    time: new Date(Number(r.ts) * 1000).toISOString(),
    value: String(r.value),
    views: Number(r.views),
    visitors: Number(r.visitors),
  }));
}

import type { ClickHouseClient } from '@tidemark/shared';
import { bucketSql, bucketStarts, type Interval } from './buckets.ts';
import { RAW_EDGES, rows, splitRange, WHOLE_MINUTES } from './range.ts';
import type { Tables } from './tables.ts';

export interface Point {
  time: string;
  views: number;
  visitors: number;
}

/** Views and distinct visitors per bucket of [from, to]; empty buckets are zeros. */
export async function queryTimeseries(
  client: ClickHouseClient,
  tables: Tables,
  site: string,
  interval: Interval,
  from: Date,
  to: Date,
): Promise<Point[]> {
  const query = `
    SELECT b AS ts, sum(v) AS views, uniqMerge(u) AS visitors
    FROM (
      SELECT ${bucketSql(interval, 'minute')} AS b, views AS v, visitors AS u
      FROM ${tables.eventsMinute}
      WHERE site = {site:String} AND ${WHOLE_MINUTES}
      UNION ALL
      SELECT b, count(), uniqState(visitor_id)
      FROM (
        SELECT ${bucketSql(interval, 'timestamp')} AS b, visitor_id FROM ${tables.events}
        WHERE site = {site:String} AND name = 'pageview' AND ${RAW_EDGES}
        LIMIT 1 BY event_id
      )
      GROUP BY b
    )
    GROUP BY ts
    ORDER BY ts`;
  const found = await rows<{ ts: string | number; views: string | number; visitors: string | number }>(client, query, {
    site,
    ...splitRange(from, to),
  });
  const byTime = new Map(found.map((r) => [Number(r.ts) * 1000, r]));
  return bucketStarts(interval, from, to).map((t) => {
    const r = byTime.get(t);
    return { time: new Date(t).toISOString(), views: Number(r?.views ?? 0), visitors: Number(r?.visitors ?? 0) };
  });
}

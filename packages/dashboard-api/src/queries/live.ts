import { type ClickHouseClient, TABLES } from '@tidemark/shared';
import { chTime } from './time.ts';

export interface LiveNumbers {
  views: number;
  visitors: number;
  avgDurationMs: number;
}

/** Views, visitors and mean time on page in a time range; each event id counted once. */
export async function queryLive(client: ClickHouseClient, database: string, site: string, from: Date, to: Date): Promise<LiveNumbers> {
  const result = await client.query({
    query: `
      SELECT
        countIf(name = 'pageview') AS views,
        uniqExactIf(visitor_id, name = 'pageview') AS visitors,
        ifNotFinite(round(avgIf(duration_ms, name = 'engagement')), 0) AS avgDurationMs
      FROM (
        SELECT name, visitor_id, duration_ms
        FROM ${database}.${TABLES.events}
        WHERE site = {site:String} AND timestamp >= {from:DateTime64(3)} AND timestamp <= {to:DateTime64(3)}
        LIMIT 1 BY event_id
      )`,
    query_params: { site, from: chTime(from), to: chTime(to) },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ views: string | number; visitors: string | number; avgDurationMs: string | number }>();
  return { views: Number(row?.views ?? 0), visitors: Number(row?.visitors ?? 0), avgDurationMs: Number(row?.avgDurationMs ?? 0) };
}

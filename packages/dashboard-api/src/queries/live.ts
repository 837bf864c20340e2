import type { ClickHouseClient } from '@tidemark/shared';
import { RAW_EDGES, rows, splitRange, WHOLE_MINUTES } from './range.ts';
import type { Tables } from './tables.ts';

export interface LiveNumbers {
  views: number;
  visitors: number;
  avgDurationMs: number;
}

/** Views, distinct visitors and mean time on page in [from, to]: rollup minutes + raw edges. */
export async function queryLive(client: ClickHouseClient, tables: Tables, site: string, from: Date, to: Date): Promise<LiveNumbers> {
  const query = `
    SELECT sum(v) AS views, uniqMerge(u) AS visitors, ifNotFinite(round(avgMerge(d)), 0) AS avgDurationMs
    FROM (
      SELECT views AS v, visitors AS u, duration AS d
      FROM ${tables.eventsMinute}
      WHERE site = {site:String} AND ${WHOLE_MINUTES}
      UNION ALL
      SELECT countIf(name = 'pageview'), uniqStateIf(visitor_id, name = 'pageview'), avgStateIf(duration_ms, name = 'engagement')
      FROM (
        SELECT name, visitor_id, duration_ms FROM ${tables.events}
        WHERE site = {site:String} AND ${RAW_EDGES}
        LIMIT 1 BY event_id
      )
    )`;
  const [row] = await rows<Record<keyof LiveNumbers, string | number>>(client, query, { site, ...splitRange(from, to) });
  return { views: Number(row?.views ?? 0), visitors: Number(row?.visitors ?? 0), avgDurationMs: Number(row?.avgDurationMs ?? 0) };
}

import type { ClickHouseClient } from '@tidemark/shared';
import { type Dimension, RAW_VALUE, rawFilter } from './dimensions.ts';
import { RAW_EDGES, rows, splitRange, WHOLE_MINUTES } from './range.ts';
import type { Tables } from './tables.ts';

export interface BreakdownRow {
  value: string;
  views: number;
  visitors: number;
}

/** Views and distinct visitors per value of one dimension in [from, to], most viewed first. */
export async function queryBreakdown(
  client: ClickHouseClient,
  tables: Tables,
  site: string,
  dimension: Dimension,
  from: Date,
  to: Date,
  limit: number,
): Promise<BreakdownRow[]> {
  const query = `
    SELECT val AS value, sum(v) AS views, uniqMerge(u) AS visitors
    FROM (
      SELECT value AS val, views AS v, visitors AS u
      FROM ${tables.dimensionsMinute}
      WHERE site = {site:String} AND dimension = {dimension:String} AND ${WHOLE_MINUTES}
      UNION ALL
      SELECT val, count(), uniqState(visitor_id)
      FROM (
        SELECT ${RAW_VALUE[dimension]} AS val, visitor_id FROM ${tables.events}
        WHERE site = {site:String} AND ${rawFilter(dimension)} AND ${RAW_EDGES}
        LIMIT 1 BY event_id
      )
      GROUP BY val
    )
    GROUP BY val
    ORDER BY views DESC, visitors DESC, value
    LIMIT {limit:UInt32}`;
  const result = await rows<Record<keyof BreakdownRow, string | number>>(client, query, {
    site,
    dimension,
    limit,
    ...splitRange(from, to),
  });
  return result.map((r) => ({ value: String(r.value), views: Number(r.views), visitors: Number(r.visitors) }));
}

/**
 * Counts each complete UTC day's distinct visitors once — per site, and per path — with the
 * day's sums (pageviews, custom events, engagements and their time) into
 * `visitors_1d` (clickhouse/015_visitor_counts.sql), so the Query API sums days' counts instead of
 * merging a `uniq` state per day and key on every long-range query. Visitor ids rotate with the
 * UTC day, so days' visitor sets are disjoint and their counts add up exactly.
 *
 * Only days whose row is missing or stale are counted: a row carries the day's `events` in the
 * rollup it was read from, and a late or backdated event changes that sum. The Query API uses a
 * row only while its `events` still equal the rollup's, so a count written late, twice (two
 * ingesters), or before more events arrived never changes an answer — only how fast it comes.
 * Run by the ingester at start-up and every 10 minutes, and by the migration that creates the
 * table (its backfill).
 */
import type { ClickHouseClient } from '@tidemark/shared';

/** The whole site from `events_1d`, each path from `pages_1d`. */
const KINDS = [
  { dimension: '', table: 'events_1d', value: "''" },
  { dimension: 'page', table: 'pages_1d', value: 'path' },
] as const;

function countSql(database: string, kind: (typeof KINDS)[number]): string {
  const complete = "bucket < toStartOfDay(now('UTC'))";
  return `
    INSERT INTO ${database}.visitors_1d (site, dimension, bucket, events, values, visitors, pageviews, customs, engagements, engaged_ms)
    SELECT site, '${kind.dimension}', bucket, sum(e), groupArray(value), groupArray(n), groupArray(pv), groupArray(cu), groupArray(en), groupArray(ms)
    FROM (
      SELECT site, bucket, ${kind.value} AS value, sum(events) AS e, uniqMergeIf(visitors, name != 'engagement') AS n,
             sumIf(events, name = 'pageview') AS pv, sumIf(events, name NOT IN ('pageview', 'engagement')) AS cu,
             sumIf(events, name = 'engagement') AS en, sumIf(duration_ms, name = 'engagement') AS ms
      FROM ${database}.${kind.table}
      WHERE ${complete} AND (site, bucket) IN (
        SELECT site, bucket FROM (SELECT site, bucket, sum(events) AS e FROM ${database}.${kind.table} WHERE ${complete} GROUP BY site, bucket)
        WHERE (site, bucket, e) NOT IN (SELECT site, bucket, events FROM ${database}.visitors_1d WHERE dimension = '${kind.dimension}'))
      GROUP BY site, bucket, value)
    GROUP BY site, bucket`;
}

/** Counts the days (complete, UTC) whose row is missing or stale, per site and per path. */
export async function countVisitors(client: ClickHouseClient, database: string): Promise<void> {
  for (const kind of KINDS) await client.command({ query: countSql(database, kind) });
}

/**
 * Counts each complete UTC day's distinct visitors once, per site and per (site, path), into
 * `visitors_1d` (clickhouse/015_visitor_counts.sql), so the Query API sums days' counts instead of
 * merging a `uniq` state per day and key on every long-range query. Visitor ids rotate with the
 * UTC day, so days' visitor sets are disjoint and their counts add up exactly.
 *
 * Only keys whose count is missing or stale are counted: a count carries the day rollup's
 * `events` (all names) it was read with, and a late or backdated event changes that sum. The
 * Query API uses a count only while its `events` still equal the rollup's, so a count written
 * late, twice (two ingesters), or before more events arrived never changes an answer — only how
 * fast it comes. Run by the ingester at start-up and every 10 minutes, and by the migration that
 * creates the table (its backfill).
 */
import type { ClickHouseClient } from '@tidemark/shared';

/** (dimension, day rollup, key column): the whole site from `events_1d`, each path from `pages_1d`. */
const KINDS = [
  { dimension: '', table: 'events_1d', value: "''" },
  { dimension: 'page', table: 'pages_1d', value: 'path' },
] as const;

function countSql(database: string, kind: (typeof KINDS)[number]): string {
  const complete = "bucket < toStartOfDay(now('UTC'))";
  return `
    INSERT INTO ${database}.visitors_1d (site, dimension, value, bucket, events, visitors)
    SELECT site, '${kind.dimension}', ${kind.value} AS value, bucket, sum(events), uniqMergeIf(visitors, name != 'engagement')
    FROM ${database}.${kind.table}
    WHERE ${complete} AND (site, bucket, value) IN (
      SELECT site, bucket, value FROM (
        SELECT site, bucket, ${kind.value} AS value, sum(events) AS e FROM ${database}.${kind.table}
        WHERE ${complete} GROUP BY site, bucket, value)
      WHERE (site, bucket, value, e) NOT IN (
        SELECT site, bucket, value, events FROM ${database}.visitors_1d WHERE dimension = '${kind.dimension}'))
    GROUP BY site, bucket, value`;
}

/** Counts the missing and stale (site, day) and (site, day, path) keys of complete UTC days. */
export async function countVisitors(client: ClickHouseClient, database: string): Promise<void> {
  for (const kind of KINDS) await client.command({ query: countSql(database, kind) });
}

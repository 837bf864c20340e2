import { loadConfig } from '@tidemark/shared';
import { describe, expect, it } from 'vitest';
import { loadMigrations, renderMigration } from './migrate.ts';

describe('migrations', () => {
  it('fills the database and retention and splits statements', () => {
    const config = loadConfig({ CLICKHOUSE_DATABASE: 'stats', RETENTION_DAYS: '30' }).clickhouse;
    const sql =
      '-- comment\nCREATE TABLE {{database}}.a (x UInt8) ENGINE = Memory;\nALTER TABLE {{database}}.a MODIFY TTL d + INTERVAL {{retention_days}} DAY;\n';
    expect(renderMigration(sql, config)).toEqual([
      'CREATE TABLE stats.a (x UInt8) ENGINE = Memory',
      'ALTER TABLE stats.a MODIFY TTL d + INTERVAL 30 DAY',
    ]);
  });

  it('loads the numbered files of clickhouse/ in order, with no placeholder left', async () => {
    const migrations = await loadMigrations(loadConfig({}).clickhouse);
    expect(migrations.length).toBeGreaterThan(0);
    expect(migrations.map((m) => m.version)).toEqual([...migrations.map((m) => m.version)].sort((a, b) => a - b));
    for (const m of migrations) for (const s of m.statements) expect(s).not.toMatch(/\{\{/);
  });
});

describe('migrations for a cluster (CLICKHOUSE_CLUSTER)', () => {
  it('renders ON CLUSTER, Replicated engines with the replica path, and the cluster-only files', async () => {
    const single = await loadMigrations(loadConfig({}).clickhouse);
    const cluster = await loadMigrations(loadConfig({ CLICKHOUSE_CLUSTER: 'tidemark' }).clickhouse);
    const all = (ms: typeof single) => ms.flatMap((m) => m.statements);
    expect(all(single).some((s) => /ON CLUSTER|Replicated|Distributed/.test(s))).toBe(false);
    // 004_distributed, 008_distributed_query, 010_distributed_visit_rollups, 013_scroll_depth_distributed,
    // 016_distributed_visitor_counts, 018_visitor_splits_distributed, 020_visitor_split_sums_distributed,
    // 022_site_days_distributed, 024_visit_pairs_low_cardinality_distributed, 026_page_visitor_months_distributed,
    // 028_site_day_quarters_distributed, 030_visit_visitors_distributed, 032_page_visits_distributed,
    // 034_attribute_visits_distributed, 038_name_visits_distributed, 040_name_pages_1d_distributed, 042_page_visits_pageviews_distributed,
    // 044_entry_exit_visits_distributed, 046_region_city_distributed, 048_visit_visitor_quarters_distributed,
    // 050_visit_pageview_paths_distributed, 052_event_marks_distributed, 054_pageview_marks_distributed (.cluster.sql)
    expect(cluster.length).toBe(single.length + 23);
    // Every DDL statement runs ON CLUSTER; a backfill (INSERT … SELECT) is data, written on the node the
    // ingester talks to and replicated within its shard.
    for (const s of all(cluster)) if (!s.startsWith('INSERT')) expect(s).toMatch(/ON CLUSTER tidemark/);
    const events = all(cluster).find((s) => s.includes('.events ON CLUSTER'));
    expect(events).toContain("ENGINE = ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')");
    const ranges = all(cluster).find((s) => s.includes('ingest_ranges'));
    expect(ranges).toContain("ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', recorded_at)");
    expect(all(cluster).filter((s) => s.includes('ENGINE = Distributed(tidemark, analytics,'))).toHaveLength(23);
    const days = all(cluster).find((s) => s.includes('.site_days ON CLUSTER'));
    expect(days).toContain("ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')");
    const counts = all(cluster).find((s) => s.includes('.visitors_1d ON CLUSTER'));
    expect(counts).toContain("ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', events)");
    const months = all(cluster).find((s) => s.includes('.page_visitors_1mo ON CLUSTER'));
    expect(months).toContain("ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', events)");
    expect(all(cluster).find((s) => s.includes('.page_visitors_1mo_all ON CLUSTER'))).toContain(
      'Distributed(tidemark, analytics, page_visitors_1mo)',
    );
    expect(all(cluster).find((s) => s.includes('.event_marks_1d ON CLUSTER'))).toContain(
      "ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', events)",
    );
    expect(all(cluster).find((s) => s.includes('.event_marks_1d_all ON CLUSTER'))).toContain(
      'Distributed(tidemark, analytics, event_marks_1d)',
    );
    expect(all(cluster).find((s) => s.includes('.pageview_marks_1d ON CLUSTER'))).toContain(
      "ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', events)",
    );
    expect(all(cluster).find((s) => s.includes('.pageview_marks_1d_all ON CLUSTER'))).toContain(
      'Distributed(tidemark, analytics, pageview_marks_1d)',
    );
    // 055: pages_15m's projection by path, its merge setting first, on every replica.
    const projection = all(cluster).filter((s) => s.startsWith('ALTER TABLE analytics.pages_15m ON CLUSTER'));
    expect(projection.map((s) => s.replace(/\s+/g, ' '))).toEqual([
      "ALTER TABLE analytics.pages_15m ON CLUSTER tidemark MODIFY SETTING deduplicate_merge_projection_mode = 'rebuild'",
      'ALTER TABLE analytics.pages_15m ON CLUSTER tidemark ADD PROJECTION IF NOT EXISTS by_path (SELECT * ORDER BY site, name, path, bucket)',
      'ALTER TABLE analytics.pages_15m ON CLUSTER tidemark MATERIALIZE PROJECTION by_path',
    ]);
    const visitCounts = all(cluster).find((s) => s.includes('.visit_visitors_1d ON CLUSTER'));
    expect(visitCounts).toContain("ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', events)");
    expect(all(cluster).find((s) => s.includes('.visit_visitors_1d_all ON CLUSTER'))).toContain(
      'Distributed(tidemark, analytics, visit_visitors_1d)',
    );
    expect(all(cluster).find((s) => s.includes('.page_visits_1d ON CLUSTER'))).toContain(
      "ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')",
    );
    expect(all(cluster).find((s) => s.includes('.page_visits_1d_all ON CLUSTER'))).toContain(
      'Distributed(tidemark, analytics, page_visits_1d)',
    );
    expect(all(cluster).find((s) => s.includes('.attribute_visits_1d ON CLUSTER'))).toContain(
      "ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')",
    );
    expect(all(cluster).find((s) => s.includes('.attribute_visits_1d_all ON CLUSTER'))).toContain(
      'Distributed(tidemark, analytics, attribute_visits_1d)',
    );
    // 035 adds a view on the same table; 037 a table and its view.
    expect(all(cluster).find((s) => s.includes('.attribute_visits_1d_more_mv ON CLUSTER'))).toContain('TO analytics.attribute_visits_1d');
    expect(all(cluster).find((s) => s.includes('.name_visits_1d ON CLUSTER'))).toContain(
      "ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')",
    );
    expect(all(cluster).find((s) => s.includes('.name_visits_1d_all ON CLUSTER'))).toContain(
      'Distributed(tidemark, analytics, name_visits_1d)',
    );
    // 043: the entry and exit page sums, a table, its view and its Distributed table (044).
    expect(all(cluster).find((s) => s.includes('.entry_exit_visits_1d ON CLUSTER'))).toContain(
      "ReplicatedAggregatingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')",
    );
    expect(all(cluster).find((s) => s.includes('.entry_exit_visits_1d_mv ON CLUSTER'))).toContain('TO analytics.entry_exit_visits_1d');
    expect(all(cluster).find((s) => s.includes('.entry_exit_visits_1d_all ON CLUSTER'))).toContain(
      'Distributed(tidemark, analytics, entry_exit_visits_1d)',
    );
    expect(all(cluster).find((s) => s.includes('.name_pages_1d ON CLUSTER'))).toContain(
      "ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}', events)",
    );
    expect(all(cluster).find((s) => s.includes('.name_pages_1d_all ON CLUSTER'))).toContain(
      'Distributed(tidemark, analytics, name_pages_1d)',
    );
    // The visitor splits (017, 018) and their sums (019, 020) reach the local table and the Distributed one on every node.
    for (const table of ['visitors_1d', 'visitors_1d_all']) {
      const alters = all(cluster).filter((s) => s.includes(`ALTER TABLE analytics.${table} ON CLUSTER tidemark`));
      expect(alters.find((s) => s.includes('ADD COLUMN IF NOT EXISTS after'))).toBeDefined();
      expect(alters.find((s) => s.includes('ADD COLUMN IF NOT EXISTS pageviews_before'))).toMatch(/engaged_ms_before Array\(UInt64\)/);
    }
    // The page visit sums of the visits holding the path among their custom events' paths only (041, 042): both tables.
    for (const table of ['page_visits_1d', 'page_visits_1d_all'])
      expect(all(cluster).find((s) => s.includes(`ALTER TABLE analytics.${table} ON CLUSTER tidemark`))).toMatch(
        /ADD COLUMN IF NOT EXISTS ev_visits\s+SimpleAggregateFunction\(sum, Int64\)/,
      );
    expect(all(cluster).find((s) => s.includes('.page_visits_1d_events_mv ON CLUSTER'))).toContain('TO analytics.page_visits_1d');
    // The visits' pairs as LowCardinality (023, 024): the local table and the Distributed one on every node.
    for (const table of ['visits', 'visits_all'])
      expect(all(cluster).find((s) => s.includes(`ALTER TABLE analytics.${table} ON CLUSTER tidemark`))).toMatch(
        /MODIFY COLUMN pairs Array\(Tuple\(name LowCardinality\(String\), path LowCardinality\(String\)\)\)/,
      );
    // The hashes of the visits' pageview paths (049, 050): computed on the local table, read through the Distributed one.
    for (const table of ['visits', 'visits_all'])
      expect(
        all(cluster).find((s) => s.includes(`ALTER TABLE analytics.${table} ON CLUSTER tidemark`) && s.includes('pageview_paths')),
      ).toMatch(/ADD COLUMN IF NOT EXISTS pageview_paths Array\(UInt64\)\s+MATERIALIZED arrayDistinct\(arrayMap\(p -> cityHash64\(p\)/);
    // Settings tables (sites, keys, …) are one replica set across every shard.
    const sites = all(cluster).find((s) => s.includes('.sites ON CLUSTER'));
    expect(sites).toContain("ReplicatedReplacingMergeTree('/clickhouse/tables/global/{database}/{table}', '{replica}', version)");
    expect(all(single).find((s) => s.includes('.sites'))).toContain('ENGINE = ReplacingMergeTree(version)');
  });
});

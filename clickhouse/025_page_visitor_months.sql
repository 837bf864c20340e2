-- Distinct visitors and sums per path and complete UTC month, so a long top-pages query (12 months)
-- reads one row per path and month instead of one per path and day (docs/storage.md "Visitor
-- counts"). A month's distinct visitors of a path are the sum of its days' (`visitors_1d`, 015):
-- visitor ids rotate with the UTC day, so two days never share one. One row per (site, month,
-- path): `visitors` (distinct visitors of its pageviews and custom events), `pageviews`, `customs`,
-- `engagements`, `engaged_ms`, and `events`, the month's events (every name, every path) in the
-- day rollup when it was counted. The Query API uses a month's rows only while their `events`
-- equal the month's events in `events_1d`, and reads the month's days otherwise, so a late or
-- backdated event never changes an answer, only its speed. Written by the ingester
-- (`countVisitors`, packages/ingester/src/visitor-counts.ts) from the month's current day counts,
-- all of a month's paths in one insert; its backfill (run after this migration) counts every
-- complete month whose days are counted. A newer count (more events) replaces an older one in
-- merges. Runs twice safely (IF NOT EXISTS).
CREATE TABLE IF NOT EXISTS {{database}}.page_visitors_1mo {{on_cluster}}
(
    site        LowCardinality(String),
    bucket      DateTime('UTC'),
    path        String CODEC(ZSTD(1)),
    events      UInt64,
    visitors    UInt64,
    pageviews   UInt64,
    customs     UInt64,
    engagements UInt64,
    engaged_ms  UInt64
)
ENGINE = {{engine:ReplacingMergeTree(events)}}
PARTITION BY toYear(bucket)
ORDER BY (site, bucket, path)
TTL bucket + INTERVAL 2 YEAR;

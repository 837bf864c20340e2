-- Distinct visitors per (site, UTC day[, path]), counted once from the day rollups, so a long range
-- need not merge one `uniq` state per day and key at every query (docs/storage.md "Visitor counts").
-- Visitor ids rotate with the collector's daily salt (chosen by the event's own UTC day), so the
-- id sets of two UTC days are disjoint and a range's distinct visitors are the sum of its days'.
-- A row holds the count and the rollup's `events` (every event name) it was counted from: the
-- Query API uses a count only while it still equals the rollup's (a late or backdated event makes
-- that day and key fall back to merging states until it is counted again). `dimension` is '' (the
-- whole site, from events_1d) or 'page' (`value` is the path, from pages_1d). Written by the
-- ingester (`countVisitors` in packages/ingester/src/visitor-counts.ts) at start-up — which
-- backfills every complete day the rollups hold — and every 10 minutes; re-counts of a key
-- replace older ones (version `events`); kept 2 years like the rollups.
CREATE TABLE IF NOT EXISTS {{database}}.visitors_1d {{on_cluster}}
(
    site      LowCardinality(String),
    dimension LowCardinality(String),
    value     String CODEC(ZSTD(1)),
    bucket    DateTime('UTC'),
    events    UInt64,
    visitors  UInt64
)
ENGINE = {{engine:ReplacingMergeTree(events)}}
PARTITION BY toYYYYMM(bucket)
ORDER BY (site, dimension, bucket, value)
TTL bucket + INTERVAL 2 YEAR
SETTINGS index_granularity = 1024;

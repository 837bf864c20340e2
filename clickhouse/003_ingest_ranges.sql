-- The ingester's write-ahead of batch boundaries (docs/storage.md, "Exactly once"): before
-- inserting offsets [first_offset, last_offset] of a partition, the ingester records the
-- range here; after a crash between insert and commit, the replay re-cuts its first batch
-- to exactly the recorded range, so its deduplication token matches and ClickHouse drops
-- it. One row per (topic, partition, first_offset); read with FINAL. Small, and kept a week.
CREATE TABLE IF NOT EXISTS {{database}}.ingest_ranges {{on_cluster}}
(
    topic        LowCardinality(String),
    partition    UInt32,
    first_offset UInt64,
    last_offset  UInt64,
    recorded_at  DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = {{engine:ReplacingMergeTree(recorded_at)}}
ORDER BY (topic, partition, first_offset)
TTL toDateTime(recorded_at) + INTERVAL 7 DAY;

-- Visits (SPEC §10; docs/storage.md "Visits"): one row per visit, written by the ingester that
-- owns the visitor's Kafka partition. A change of a visit writes its old row again with
-- sign -1 (the cancel) and the new state with sign +1 and a higher version, so
-- VersionedCollapsingMergeTree folds each pair away on merge and queries read either FINAL
-- or sum(sign)-weighted aggregates. entry_*/exit_page_at/_id keep what a rebuilt ingester
-- needs to continue a visit exactly (first/last by time, then the event id's first 64 bits); src_* say which
-- batch last wrote the row, so a replayed batch whose rows landed is not applied twice.
-- non_replicated_deduplication_window: a replayed batch's insert carries the same token.
CREATE TABLE IF NOT EXISTS {{database}}.visits {{on_cluster}}
(
    site            LowCardinality(String),
    visitor_id      UInt64,
    first_at        DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    last_at         DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    sign            Int8,
    version         UInt32,
    host            LowCardinality(String),
    entry_page      String CODEC(ZSTD(1)),
    exit_page       String CODEC(ZSTD(1)),
    entry_page_at   DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    entry_page_id   UInt64,
    exit_page_at    DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    exit_page_id    UInt64,
    entry_rank      UInt8,
    entry_at        DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    entry_id        UInt64,
    referrer_host   LowCardinality(String),
    referrer_source LowCardinality(String),
    source          LowCardinality(String),
    channel         LowCardinality(String),
    utm_source      LowCardinality(String),
    utm_medium      LowCardinality(String),
    utm_campaign    LowCardinality(String),
    utm_term        String CODEC(ZSTD(1)),
    utm_content     String CODEC(ZSTD(1)),
    click_id        String CODEC(ZSTD(1)),
    country         LowCardinality(String),
    device          LowCardinality(String),
    browser         LowCardinality(String),
    browser_version LowCardinality(String),
    os              LowCardinality(String),
    os_version      LowCardinality(String),
    screen_width    UInt16,
    pageviews       UInt32,
    events          UInt32,
    engagements     UInt32,
    engaged_ms      UInt64,
    pairs           Array(Tuple(name String, path String)) CODEC(ZSTD(1)),
    src_topic       LowCardinality(String),
    src_partition   UInt32,
    src_offset      UInt64,
    INDEX last_at_idx last_at TYPE minmax GRANULARITY 1
)
ENGINE = {{engine:VersionedCollapsingMergeTree(sign, version)}}
PARTITION BY toYYYYMM(first_at)
ORDER BY (site, first_at, visitor_id)
TTL toDateTime(first_at) + INTERVAL 2 YEAR
SETTINGS non_replicated_deduplication_window = 10000;

-- One row per event (SPEC §5). Placeholders: {{database}}, {{retention_days}}, {{on_cluster}},
-- {{engine:<Engine>}} (Replicated<Engine>(...) when CLICKHOUSE_CLUSTER is set).
-- Ordered for per-site time-range scans; partitioned by month; raw rows expire after
-- RETENTION_DAYS. non_replicated_deduplication_window makes this plain MergeTree honour
-- insert_deduplication_token, so a re-delivered batch is stored once.
CREATE TABLE IF NOT EXISTS {{database}}.events {{on_cluster}}
(
    event_id        UUID,
    site            LowCardinality(String),
    name            LowCardinality(String),
    timestamp       DateTime64(3, 'UTC') CODEC(Delta, ZSTD(1)),
    visitor_id      UInt64,
    session_id      UInt64,
    pageview_id     UUID,
    url             String CODEC(ZSTD(1)),
    host            LowCardinality(String),
    path            String CODEC(ZSTD(1)),
    query           String CODEC(ZSTD(1)),
    referrer        String CODEC(ZSTD(1)),
    referrer_host   LowCardinality(String),
    referrer_source LowCardinality(String),
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
    duration_ms     UInt32,
    props           Map(String, String) CODEC(ZSTD(1))
)
ENGINE = {{engine:MergeTree}}
PARTITION BY toYYYYMM(timestamp)
ORDER BY (site, timestamp)
TTL toDateTime(timestamp) + INTERVAL {{retention_days}} DAY
SETTINGS non_replicated_deduplication_window = 10000;

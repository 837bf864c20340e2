-- Per-minute rollups (SPEC §5, the rollup contract in docs/storage.md), each an
-- AggregatingMergeTree fed by a materialized view from events named <table>_mv.
-- Distinct counts and means are stored as aggregate states (uniq, avg), so merges keep
-- them exact; only plain counts are SimpleAggregateFunction(sum). Rollups outlive raw
-- events: TTL 2 years. non_replicated_deduplication_window makes each target honour the
-- insert's deduplication token too (with deduplicate_blocks_in_dependent_materialized_views),
-- so a replayed batch doubles no rollup. index_granularity = 256: a short window reads a
-- few hundred rows of aggregate states instead of a whole 8192-row granule (p95 of /live 5m
-- over 10 million events: 84 → 37 ms). Placeholders: {{database}}, {{on_cluster}},
-- {{engine:<Engine>}} (Replicated<Engine>(...) when CLICKHOUSE_CLUSTER is set).

CREATE TABLE IF NOT EXISTS {{database}}.events_minute {{on_cluster}}
(
    site     LowCardinality(String),
    minute   DateTime('UTC'),
    views    SimpleAggregateFunction(sum, UInt64),
    visitors AggregateFunction(uniq, UInt64),
    sessions AggregateFunction(uniq, UInt64),
    duration AggregateFunction(avg, UInt32),
    events   SimpleAggregateFunction(sum, UInt64)
)
ENGINE = {{engine:AggregatingMergeTree}}
PARTITION BY toYYYYMM(minute)
ORDER BY (site, minute)
TTL minute + INTERVAL 2 YEAR
SETTINGS non_replicated_deduplication_window = 10000, index_granularity = 256;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.events_minute_mv {{on_cluster}}
TO {{database}}.events_minute
AS SELECT
    site,
    toStartOfMinute(timestamp) AS minute,
    toUInt64(countIf(name = 'pageview')) AS views,
    uniqStateIf(visitor_id, name = 'pageview') AS visitors,
    uniqStateIf(session_id, name = 'pageview') AS sessions,
    avgStateIf(duration_ms, name = 'engagement') AS duration,
    toUInt64(countIf(name NOT IN ('pageview', 'engagement'))) AS events
FROM {{database}}.events
GROUP BY site, minute;

CREATE TABLE IF NOT EXISTS {{database}}.pages_minute {{on_cluster}}
(
    site     LowCardinality(String),
    minute   DateTime('UTC'),
    path     String CODEC(ZSTD(1)),
    views    SimpleAggregateFunction(sum, UInt64),
    visitors AggregateFunction(uniq, UInt64),
    duration AggregateFunction(avg, UInt32)
)
ENGINE = {{engine:AggregatingMergeTree}}
PARTITION BY toYYYYMM(minute)
ORDER BY (site, minute, path)
TTL minute + INTERVAL 2 YEAR
SETTINGS non_replicated_deduplication_window = 10000, index_granularity = 256;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.pages_minute_mv {{on_cluster}}
TO {{database}}.pages_minute
AS SELECT
    site,
    toStartOfMinute(timestamp) AS minute,
    path,
    toUInt64(countIf(name = 'pageview')) AS views,
    uniqStateIf(visitor_id, name = 'pageview') AS visitors,
    avgStateIf(duration_ms, name = 'engagement') AS duration
FROM {{database}}.events
WHERE name IN ('pageview', 'engagement')
GROUP BY site, minute, path;

CREATE TABLE IF NOT EXISTS {{database}}.countries_minute {{on_cluster}}
(
    site     LowCardinality(String),
    minute   DateTime('UTC'),
    country  LowCardinality(String),
    views    SimpleAggregateFunction(sum, UInt64),
    visitors AggregateFunction(uniq, UInt64)
)
ENGINE = {{engine:AggregatingMergeTree}}
PARTITION BY toYYYYMM(minute)
ORDER BY (site, minute, country)
TTL minute + INTERVAL 2 YEAR
SETTINGS non_replicated_deduplication_window = 10000, index_granularity = 256;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.countries_minute_mv {{on_cluster}}
TO {{database}}.countries_minute
AS SELECT
    site,
    toStartOfMinute(timestamp) AS minute,
    country,
    count() AS views,
    uniqState(visitor_id) AS visitors
FROM {{database}}.events
WHERE name = 'pageview'
GROUP BY site, minute, country;

-- One table for every /breakdown dimension: each pageview yields one (dimension, value)
-- pair per dimension through ARRAY JOIN; a custom event yields ('event', its name).
CREATE TABLE IF NOT EXISTS {{database}}.dimensions_minute {{on_cluster}}
(
    site      LowCardinality(String),
    dimension LowCardinality(String),
    minute    DateTime('UTC'),
    value     String CODEC(ZSTD(1)),
    views     SimpleAggregateFunction(sum, UInt64),
    visitors  AggregateFunction(uniq, UInt64)
)
ENGINE = {{engine:AggregatingMergeTree}}
PARTITION BY toYYYYMM(minute)
ORDER BY (site, dimension, minute, value)
TTL minute + INTERVAL 2 YEAR
SETTINGS non_replicated_deduplication_window = 10000, index_granularity = 256;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.dimensions_minute_mv {{on_cluster}}
TO {{database}}.dimensions_minute
AS SELECT
    site,
    pair.1 AS dimension,
    toStartOfMinute(timestamp) AS minute,
    pair.2 AS value,
    count() AS views,
    uniqState(visitor_id) AS visitors
FROM {{database}}.events
ARRAY JOIN
    if(
        name = 'pageview',
        [
            ('source', toString(referrer_source)),
            ('referrer', toString(referrer_host)),
            ('country', toString(country)),
            ('device', toString(device)),
            ('browser', toString(browser)),
            ('os', toString(os)),
            ('utm_source', toString(utm_source)),
            ('utm_medium', toString(utm_medium)),
            ('utm_campaign', toString(utm_campaign))
        ],
        [('event', toString(name))]
    ) AS pair
WHERE name != 'engagement'
GROUP BY site, dimension, minute, value;

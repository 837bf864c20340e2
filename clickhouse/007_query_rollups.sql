-- Quarter-hour and UTC-day rollups for the Query API (docs/storage.md "Rollups for long ranges"). The quarter-hour is the
-- coarsest grain whose boundaries are every day, week and month boundary of every time zone in
-- use today (offsets are whole quarter-hours: Asia/Kolkata +5:30, Asia/Kathmandu +5:45,
-- Australia/Eucla +8:45) and both hours of a DST change. A range is answered from the whole
-- quarter-hours inside it plus the raw events of its two partial edges; visitors stay distinct
-- because states (uniqState) are merged, never counts added. One row per (site, quarter-hour,
-- event name) and per (site, quarter-hour, path, event name); kept 2 years. Backfilled from the
-- raw events that exist when this migration runs, before the views exist (and only into an
-- empty table, so a re-run after a crash does not count twice); new events arrive through the views.
-- The *_1d tables hold the same per UTC day: a query whose boundaries are all UTC midnights (UTC
-- days, weeks, months, or no time dimension) reads its whole days there, 96 times fewer rows.
CREATE TABLE IF NOT EXISTS {{database}}.events_15m {{on_cluster}}
(
    site        LowCardinality(String),
    name        LowCardinality(String),
    bucket      DateTime('UTC'),
    events      SimpleAggregateFunction(sum, UInt64),
    visitors    AggregateFunction(uniq, UInt64),
    duration_ms SimpleAggregateFunction(sum, UInt64)
)
ENGINE = {{engine:AggregatingMergeTree}}
PARTITION BY toYYYYMM(bucket)
ORDER BY (site, bucket, name)
TTL bucket + INTERVAL 2 YEAR
SETTINGS non_replicated_deduplication_window = 10000, index_granularity = 1024;

CREATE TABLE IF NOT EXISTS {{database}}.pages_15m {{on_cluster}}
(
    site        LowCardinality(String),
    bucket      DateTime('UTC'),
    path        String CODEC(ZSTD(1)),
    name        LowCardinality(String),
    events      SimpleAggregateFunction(sum, UInt64),
    visitors    AggregateFunction(uniq, UInt64),
    duration_ms SimpleAggregateFunction(sum, UInt64)
)
ENGINE = {{engine:AggregatingMergeTree}}
PARTITION BY toYYYYMM(bucket)
ORDER BY (site, bucket, path, name)
TTL bucket + INTERVAL 2 YEAR
SETTINGS non_replicated_deduplication_window = 10000, index_granularity = 1024;

INSERT INTO {{database}}.events_15m
SELECT site, name, toStartOfFifteenMinutes(timestamp) AS bucket, count(), uniqState(visitor_id), sum(toUInt64(duration_ms))
FROM {{database}}.events
WHERE (SELECT count() FROM {{database}}.events_15m) = 0
GROUP BY site, name, bucket;

INSERT INTO {{database}}.pages_15m
SELECT site, toStartOfFifteenMinutes(timestamp) AS bucket, path, name, count(), uniqState(visitor_id), sum(toUInt64(duration_ms))
FROM {{database}}.events
WHERE (SELECT count() FROM {{database}}.pages_15m) = 0
GROUP BY site, bucket, path, name;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.events_15m_mv {{on_cluster}}
TO {{database}}.events_15m
AS SELECT site, name, toStartOfFifteenMinutes(timestamp) AS bucket, count() AS events,
          uniqState(visitor_id) AS visitors, sum(toUInt64(duration_ms)) AS duration_ms
FROM {{database}}.events
GROUP BY site, name, bucket;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.pages_15m_mv {{on_cluster}}
TO {{database}}.pages_15m
AS SELECT site, toStartOfFifteenMinutes(timestamp) AS bucket, path, name, count() AS events,
          uniqState(visitor_id) AS visitors, sum(toUInt64(duration_ms)) AS duration_ms
FROM {{database}}.events
GROUP BY site, bucket, path, name;

CREATE TABLE IF NOT EXISTS {{database}}.events_1d {{on_cluster}}
(
    site        LowCardinality(String),
    name        LowCardinality(String),
    bucket      DateTime('UTC'),
    events      SimpleAggregateFunction(sum, UInt64),
    visitors    AggregateFunction(uniq, UInt64),
    duration_ms SimpleAggregateFunction(sum, UInt64)
)
ENGINE = {{engine:AggregatingMergeTree}}
PARTITION BY toYYYYMM(bucket)
ORDER BY (site, bucket, name)
TTL bucket + INTERVAL 2 YEAR
SETTINGS non_replicated_deduplication_window = 10000, index_granularity = 256;

CREATE TABLE IF NOT EXISTS {{database}}.pages_1d {{on_cluster}}
(
    site        LowCardinality(String),
    bucket      DateTime('UTC'),
    path        String CODEC(ZSTD(1)),
    name        LowCardinality(String),
    events      SimpleAggregateFunction(sum, UInt64),
    visitors    AggregateFunction(uniq, UInt64),
    duration_ms SimpleAggregateFunction(sum, UInt64)
)
ENGINE = {{engine:AggregatingMergeTree}}
PARTITION BY toYYYYMM(bucket)
ORDER BY (site, bucket, path, name)
TTL bucket + INTERVAL 2 YEAR
SETTINGS non_replicated_deduplication_window = 10000, index_granularity = 256;

INSERT INTO {{database}}.events_1d
SELECT site, name, toDateTime(toStartOfDay(timestamp), 'UTC') AS bucket, count(), uniqState(visitor_id), sum(toUInt64(duration_ms))
FROM {{database}}.events
WHERE (SELECT count() FROM {{database}}.events_1d) = 0
GROUP BY site, name, bucket;

INSERT INTO {{database}}.pages_1d
SELECT site, toDateTime(toStartOfDay(timestamp), 'UTC') AS bucket, path, name, count(), uniqState(visitor_id), sum(toUInt64(duration_ms))
FROM {{database}}.events
WHERE (SELECT count() FROM {{database}}.pages_1d) = 0
GROUP BY site, bucket, path, name;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.events_1d_mv {{on_cluster}}
TO {{database}}.events_1d
AS SELECT site, name, toDateTime(toStartOfDay(timestamp), 'UTC') AS bucket, count() AS events,
          uniqState(visitor_id) AS visitors, sum(toUInt64(duration_ms)) AS duration_ms
FROM {{database}}.events
GROUP BY site, name, bucket;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.pages_1d_mv {{on_cluster}}
TO {{database}}.pages_1d
AS SELECT site, toDateTime(toStartOfDay(timestamp), 'UTC') AS bucket, path, name, count() AS events,
          uniqState(visitor_id) AS visitors, sum(toUInt64(duration_ms)) AS duration_ms
FROM {{database}}.events
GROUP BY site, bucket, path, name;

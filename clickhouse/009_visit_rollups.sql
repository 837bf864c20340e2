-- Visit-level rollups for the Query API (docs/storage.md "Rollups for long ranges"): visit metrics
-- (visits, bounces, duration, pageviews per visit) per (site, visit dimension, value, quarter-hour
-- or UTC day of the visit's start), fed by views from `visits`. `visits` is a
-- VersionedCollapsingMergeTree: the ingester writes a changed visit's old row again with
-- sign -1 and the new one with sign +1, so every column here is a sum weighted by `sign` — a
-- cancelled row takes back exactly what it added (same dimension values, same bucket), and the
-- sums equal those of `visits FINAL` whatever merges have run. Only visits that count (a
-- pageview or a custom event) are weighted in. Distinct visitors are not kept here: a uniq state
-- cannot take a cancelled visit back.
-- One view writes one row per (dimension, value) pair of each visit through ARRAY JOIN; the
-- dimension '' (value '') is every visit (totals, time series). The values are the expressions
-- of packages/dashboard-api/src/v2/fields.ts (VISIT_COLUMN), so a row answers exactly what the
-- `visits` table would. Kept 2 years, like `visits`. Backfilled from `visits` when this migration
-- runs (into an empty table only, before the views exist); new visits arrive through the views.
-- The ingester's visits insert carries the batch token with
-- deduplicate_blocks_in_dependent_materialized_views, so a replayed batch doubles nothing here.
CREATE TABLE IF NOT EXISTS {{database}}.visits_15m {{on_cluster}}
(
    site      LowCardinality(String),
    dimension LowCardinality(String),
    bucket    DateTime('UTC'),
    value     String CODEC(ZSTD(1)),
    visits    SimpleAggregateFunction(sum, Int64),
    bounces   SimpleAggregateFunction(sum, Int64),
    duration  SimpleAggregateFunction(sum, Int64),
    pageviews SimpleAggregateFunction(sum, Int64)
)
ENGINE = {{engine:AggregatingMergeTree}}
PARTITION BY toYYYYMM(bucket)
ORDER BY (site, dimension, bucket, value)
TTL bucket + INTERVAL 2 YEAR
SETTINGS non_replicated_deduplication_window = 10000, index_granularity = 1024;

CREATE TABLE IF NOT EXISTS {{database}}.visits_1d {{on_cluster}}
(
    site      LowCardinality(String),
    dimension LowCardinality(String),
    bucket    DateTime('UTC'),
    value     String CODEC(ZSTD(1)),
    visits    SimpleAggregateFunction(sum, Int64),
    bounces   SimpleAggregateFunction(sum, Int64),
    duration  SimpleAggregateFunction(sum, Int64),
    pageviews SimpleAggregateFunction(sum, Int64)
)
ENGINE = {{engine:AggregatingMergeTree}}
PARTITION BY toYYYYMM(bucket)
ORDER BY (site, dimension, bucket, value)
TTL bucket + INTERVAL 2 YEAR
SETTINGS non_replicated_deduplication_window = 10000, index_granularity = 256;

INSERT INTO {{database}}.visits_15m
SELECT site, pair.1 AS dimension, toStartOfFifteenMinutes(first_at) AS bucket, pair.2 AS value, sum(w), sum(b), sum(d), sum(pv)
FROM (
    SELECT site, first_at, toInt64(sign) * (pageviews + events > 0) AS w, w * (pageviews = 1 AND events = 0) AS b,
           w * (toUnixTimestamp64Milli(last_at) - toUnixTimestamp64Milli(first_at)) AS d, w * pageviews AS pv,
           [('', ''), ('entry_page', entry_page), ('exit_page', exit_page), ('hostname', toString(host)), ('source', toString(source)),
            ('referrer', toString(referrer_host)), ('channel', toString(channel)), ('utm_source', toString(utm_source)),
            ('utm_medium', toString(utm_medium)), ('utm_campaign', toString(utm_campaign)), ('utm_term', utm_term),
            ('utm_content', utm_content), ('country', toString(country)), ('region', ''), ('city', ''), ('device', toString(device)),
            ('browser', toString(browser)), ('browser_version', toString(browser_version)), ('os', toString(os)),
            ('os_version', toString(os_version)),
            ('screen', multiIf(screen_width = 0, '', screen_width < 576, 'Mobile', screen_width < 992, 'Tablet', screen_width < 1440, 'Laptop', 'Desktop'))] AS pairs
    FROM {{database}}.visits
)
ARRAY JOIN pairs AS pair
WHERE w != 0 AND (SELECT count() FROM {{database}}.visits_15m) = 0
GROUP BY site, dimension, bucket, value;

INSERT INTO {{database}}.visits_1d
SELECT site, dimension, toDateTime(toStartOfDay(bucket), 'UTC') AS day, value, sum(visits), sum(bounces), sum(duration), sum(pageviews)
FROM {{database}}.visits_15m
WHERE (SELECT count() FROM {{database}}.visits_1d) = 0
GROUP BY site, dimension, day, value;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.visits_15m_mv {{on_cluster}}
TO {{database}}.visits_15m
AS SELECT site, pair.1 AS dimension, toStartOfFifteenMinutes(first_at) AS bucket, pair.2 AS value,
       sum(w) AS visits, sum(b) AS bounces, sum(d) AS duration, sum(pv) AS pageviews
FROM (
    SELECT site, first_at, toInt64(sign) * (pageviews + events > 0) AS w, w * (pageviews = 1 AND events = 0) AS b,
           w * (toUnixTimestamp64Milli(last_at) - toUnixTimestamp64Milli(first_at)) AS d, w * pageviews AS pv,
           [('', ''), ('entry_page', entry_page), ('exit_page', exit_page), ('hostname', toString(host)), ('source', toString(source)),
            ('referrer', toString(referrer_host)), ('channel', toString(channel)), ('utm_source', toString(utm_source)),
            ('utm_medium', toString(utm_medium)), ('utm_campaign', toString(utm_campaign)), ('utm_term', utm_term),
            ('utm_content', utm_content), ('country', toString(country)), ('region', ''), ('city', ''), ('device', toString(device)),
            ('browser', toString(browser)), ('browser_version', toString(browser_version)), ('os', toString(os)),
            ('os_version', toString(os_version)),
            ('screen', multiIf(screen_width = 0, '', screen_width < 576, 'Mobile', screen_width < 992, 'Tablet', screen_width < 1440, 'Laptop', 'Desktop'))] AS pairs
    FROM {{database}}.visits
)
ARRAY JOIN pairs AS pair
WHERE w != 0
GROUP BY site, dimension, bucket, value;

-- The day rollup is the quarter-hours' sums by UTC day, fed by a view on `visits_15m` (a view
-- on a view's target runs for every block the first writes), as its backfill above is.
CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.visits_1d_mv {{on_cluster}}
TO {{database}}.visits_1d
AS SELECT site, dimension, day AS bucket, value, sum(v) AS visits, sum(b) AS bounces, sum(d) AS duration, sum(pv) AS pageviews
FROM (
    SELECT site, dimension, toDateTime(toStartOfDay(bucket), 'UTC') AS day, value,
           visits AS v, bounces AS b, duration AS d, pageviews AS pv
    FROM {{database}}.visits_15m
)
GROUP BY site, dimension, day, value;

-- `dimensions_minute` (28.5 B/event, the largest rollup) was read only by Grafana's source,
-- country and device panels, which now read `visits_15m` (deploy/grafana). The per-minute
-- rollups of SPEC §5 (by site, path and country) stay.
DROP VIEW IF EXISTS {{database}}.dimensions_minute_mv {{on_cluster}};
DROP TABLE IF EXISTS {{database}}.dimensions_minute {{on_cluster}} SYNC;

-- Visit metrics per site, custom event name, UTC day and visit attribute value (issue 18: a click on
-- a goal or custom event row filters the whole dashboard by `goal is Signup` / `event is signup`,
-- and the top numbers' visit metrics and the sources, locations and devices panels then read every
-- visit of the month FINAL with its (name, path) pairs, 0.6–0.8 s of CPU each). The visits that hold
-- the name among their custom events' names (`visits.pairs`; pageviews and engagements left out),
-- by the UTC day of their start: sign-weighted sums (visits, bounces, duration, pageviews) like
-- `page_visits_1d` (031), so a rewritten visit's cancel takes back exactly what it added and the
-- sums equal those of `visits` FINAL whatever merges have run. Per name, one row per (dimension,
-- value) of the visit's low-cardinality attributes ('' for every visit holding the name), as 031.
-- Custom event names are few (a site's goals), so the table is small. A visit holding a name twice
-- counts once. Fed by a view on `visits`; backfilled from `visits` when this migration runs (into
-- an empty table, before the view exists). Kept 2 years, like `visits`.
CREATE TABLE IF NOT EXISTS {{database}}.name_visits_1d {{on_cluster}}
(
    site      LowCardinality(String),
    name      LowCardinality(String),
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
ORDER BY (site, name, dimension, bucket, value)
TTL bucket + INTERVAL 2 YEAR
SETTINGS non_replicated_deduplication_window = 10000, index_granularity = 1024;

INSERT INTO {{database}}.name_visits_1d
SELECT site, toString(name) AS name, pair.1 AS dimension, toDateTime(toStartOfDay(first_at), 'UTC') AS bucket, pair.2 AS value,
       sum(w), sum(b), sum(d), sum(pv)
FROM (
    SELECT site, first_at, arrayDistinct(arrayFilter(n -> n NOT IN ('pageview', 'engagement'), pairs.name)) AS names,
           toInt64(sign) * (pageviews + events > 0) AS w,
           w * (pageviews = 1 AND events = 0) AS b, w * (toUnixTimestamp64Milli(last_at) - toUnixTimestamp64Milli(first_at)) AS d,
           w * pageviews AS pv,
           [('', ''), ('hostname', toString(host)), ('source', toString(source)), ('referrer', toString(referrer_host)),
            ('channel', toString(channel)), ('utm_source', toString(utm_source)), ('utm_medium', toString(utm_medium)),
            ('utm_campaign', toString(utm_campaign)), ('country', toString(country)), ('region', ''), ('city', ''),
            ('device', toString(device)), ('browser', toString(browser)), ('os', toString(os)),
            ('screen', multiIf(screen_width = 0, '', screen_width < 576, 'Mobile', screen_width < 992, 'Tablet', screen_width < 1440, 'Laptop', 'Desktop'))] AS attributes
    FROM {{database}}.visits
    WHERE events > 0
)
ARRAY JOIN names AS name
ARRAY JOIN attributes AS pair
WHERE w != 0 AND (SELECT count() FROM {{database}}.name_visits_1d) = 0
GROUP BY site, name, dimension, bucket, value;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.name_visits_1d_mv {{on_cluster}}
TO {{database}}.name_visits_1d
AS SELECT site, toString(name) AS name, pair.1 AS dimension, toDateTime(toStartOfDay(first_at), 'UTC') AS bucket, pair.2 AS value,
       sum(w) AS visits, sum(b) AS bounces, sum(d) AS duration, sum(pv) AS pageviews
FROM (
    SELECT site, first_at, arrayDistinct(arrayFilter(n -> n NOT IN ('pageview', 'engagement'), pairs.name)) AS names,
           toInt64(sign) * (pageviews + events > 0) AS w,
           w * (pageviews = 1 AND events = 0) AS b, w * (toUnixTimestamp64Milli(last_at) - toUnixTimestamp64Milli(first_at)) AS d,
           w * pageviews AS pv,
           [('', ''), ('hostname', toString(host)), ('source', toString(source)), ('referrer', toString(referrer_host)),
            ('channel', toString(channel)), ('utm_source', toString(utm_source)), ('utm_medium', toString(utm_medium)),
            ('utm_campaign', toString(utm_campaign)), ('country', toString(country)), ('region', ''), ('city', ''),
            ('device', toString(device)), ('browser', toString(browser)), ('os', toString(os)),
            ('screen', multiIf(screen_width = 0, '', screen_width < 576, 'Mobile', screen_width < 992, 'Tablet', screen_width < 1440, 'Laptop', 'Desktop'))] AS attributes
    FROM {{database}}.visits
    WHERE events > 0
)
ARRAY JOIN names AS name
ARRAY JOIN attributes AS pair
WHERE w != 0
GROUP BY site, name, dimension, bucket, value;

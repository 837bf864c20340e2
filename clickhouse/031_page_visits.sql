-- Visit metrics per site, path, UTC day and visit attribute value (issue 18: a click on a page row
-- filters the whole dashboard by `page is /path`, and the top numbers' and the sources panel's
-- visit metrics read every visit of the month FINAL with its (name, path) pairs). The visits that
-- hold the path among their pageviews' and custom events' paths (`visits.pairs`), by the UTC day
-- of their start: sign-weighted sums (visits, bounces, duration, pageviews) like `visits_1d`
-- (009), so a rewritten visit's cancel takes back exactly what it added and the sums equal those
-- of `visits` FINAL whatever merges have run. Per path, one row per (dimension, value) of the
-- visit's low-cardinality attributes ('' for every visit holding the path); the entry and exit
-- pages, UTM term and content and browser and OS versions are left out (a row per path and value
-- of those would be about one per visit). A visit holding a path twice counts once. Fed by a view
-- on `visits`; backfilled from `visits` when this migration runs (into an empty table, before the
-- view exists; the INSERT names its columns: 041 adds more). Kept 2 years, like `visits`.
CREATE TABLE IF NOT EXISTS {{database}}.page_visits_1d {{on_cluster}}
(
    site      LowCardinality(String),
    path      String CODEC(ZSTD(1)),
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
ORDER BY (site, path, dimension, bucket, value)
TTL bucket + INTERVAL 2 YEAR
SETTINGS non_replicated_deduplication_window = 10000, index_granularity = 1024;

INSERT INTO {{database}}.page_visits_1d (site, path, dimension, bucket, value, visits, bounces, duration, pageviews)
SELECT site, toString(path) AS path, pair.1 AS dimension, toDateTime(toStartOfDay(first_at), 'UTC') AS bucket, pair.2 AS value,
       sum(w), sum(b), sum(d), sum(pv)
FROM (
    SELECT site, first_at, arrayDistinct(pairs.path) AS paths, toInt64(sign) * (pageviews + events > 0) AS w,
           w * (pageviews = 1 AND events = 0) AS b, w * (toUnixTimestamp64Milli(last_at) - toUnixTimestamp64Milli(first_at)) AS d,
           w * pageviews AS pv,
           [('', ''), ('hostname', toString(host)), ('source', toString(source)), ('referrer', toString(referrer_host)),
            ('channel', toString(channel)), ('utm_source', toString(utm_source)), ('utm_medium', toString(utm_medium)),
            ('utm_campaign', toString(utm_campaign)), ('country', toString(country)), ('region', ''), ('city', ''),
            ('device', toString(device)), ('browser', toString(browser)), ('os', toString(os)),
            ('screen', multiIf(screen_width = 0, '', screen_width < 576, 'Mobile', screen_width < 992, 'Tablet', screen_width < 1440, 'Laptop', 'Desktop'))] AS attributes
    FROM {{database}}.visits
)
ARRAY JOIN paths AS path
ARRAY JOIN attributes AS pair
WHERE w != 0 AND (SELECT count() FROM {{database}}.page_visits_1d) = 0
GROUP BY site, path, dimension, bucket, value;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.page_visits_1d_mv {{on_cluster}}
TO {{database}}.page_visits_1d
AS SELECT site, toString(path) AS path, pair.1 AS dimension, toDateTime(toStartOfDay(first_at), 'UTC') AS bucket, pair.2 AS value,
       sum(w) AS visits, sum(b) AS bounces, sum(d) AS duration, sum(pv) AS pageviews
FROM (
    SELECT site, first_at, arrayDistinct(pairs.path) AS paths, toInt64(sign) * (pageviews + events > 0) AS w,
           w * (pageviews = 1 AND events = 0) AS b, w * (toUnixTimestamp64Milli(last_at) - toUnixTimestamp64Milli(first_at)) AS d,
           w * pageviews AS pv,
           [('', ''), ('hostname', toString(host)), ('source', toString(source)), ('referrer', toString(referrer_host)),
            ('channel', toString(channel)), ('utm_source', toString(utm_source)), ('utm_medium', toString(utm_medium)),
            ('utm_campaign', toString(utm_campaign)), ('country', toString(country)), ('region', ''), ('city', ''),
            ('device', toString(device)), ('browser', toString(browser)), ('os', toString(os)),
            ('screen', multiIf(screen_width = 0, '', screen_width < 576, 'Mobile', screen_width < 992, 'Tablet', screen_width < 1440, 'Laptop', 'Desktop'))] AS attributes
    FROM {{database}}.visits
)
ARRAY JOIN paths AS path
ARRAY JOIN attributes AS pair
WHERE w != 0
GROUP BY site, path, dimension, bucket, value;

-- Visit metrics per site, UTC day and pair of visit attribute values (issue 18: a click on a
-- country row filters the whole dashboard by `country is NL`, and the channel and devices panels
-- then ask visits by channel / by device under it: two visit attributes, which `visits_1d` (009,
-- one attribute per row) cannot answer, so each read every visit of the month FINAL). By the UTC
-- day of the visit's start, per (filter attribute, its value) × (attribute, its value): the
-- sign-weighted sums (visits, bounces, duration, pageviews) like `visits_1d`, so a rewritten
-- visit's cancel takes back exactly what it added and the sums equal those of `visits` FINAL
-- whatever merges have run. A visit has one value of each attribute, so any filter on the filter
-- attribute (is, is not, contains, matches; several values) selects whole rows.
-- Filter attributes: the low-cardinality ones (host, source, referrer, channel, UTM source, medium
-- and campaign, country, device, browser, OS, screen); the attributes grouped by (`dimension`):
-- the lowest-cardinality panel tabs only (channel, country, device, browser, OS, screen), 66 pairs
-- a visit. Left out: entry and exit pages, UTM term and content, browser and OS versions (a row per
-- value and day of those is about one per visit), and region and city (always '' today). (035 adds
-- the versions; 043 the entry and exit pages by the channel alone, in a table of their own.)
-- Fed by a view on `visits`; backfilled from `visits` when this migration runs (into an empty
-- table, before the view exists). Kept 2 years, like `visits`.
CREATE TABLE IF NOT EXISTS {{database}}.attribute_visits_1d {{on_cluster}}
(
    site             LowCardinality(String),
    filter_dimension LowCardinality(String),
    dimension        LowCardinality(String),
    filter_value     String CODEC(ZSTD(1)),
    bucket           DateTime('UTC'),
    value            String CODEC(ZSTD(1)),
    visits           SimpleAggregateFunction(sum, Int64),
    bounces          SimpleAggregateFunction(sum, Int64),
    duration         SimpleAggregateFunction(sum, Int64),
    pageviews        SimpleAggregateFunction(sum, Int64)
)
ENGINE = {{engine:AggregatingMergeTree}}
PARTITION BY toYYYYMM(bucket)
ORDER BY (site, filter_dimension, dimension, filter_value, bucket, value)
TTL bucket + INTERVAL 2 YEAR
SETTINGS non_replicated_deduplication_window = 10000, index_granularity = 1024;

INSERT INTO {{database}}.attribute_visits_1d
SELECT site, f.1 AS filter_dimension, t.1 AS dimension, f.2 AS filter_value, toDateTime(toStartOfDay(first_at), 'UTC') AS bucket, t.2 AS value,
       sum(w), sum(b), sum(d), sum(pv)
FROM (
    SELECT site, first_at, toInt64(sign) * (pageviews + events > 0) AS w,
           w * (pageviews = 1 AND events = 0) AS b, w * (toUnixTimestamp64Milli(last_at) - toUnixTimestamp64Milli(first_at)) AS d,
           w * pageviews AS pv,
           [('channel', toString(channel)), ('country', toString(country)), ('device', toString(device)),
            ('browser', toString(browser)), ('os', toString(os)),
            ('screen', multiIf(screen_width = 0, '', screen_width < 576, 'Mobile', screen_width < 992, 'Tablet', screen_width < 1440, 'Laptop', 'Desktop'))] AS targets,
           arrayConcat([('hostname', toString(host)), ('source', toString(source)), ('referrer', toString(referrer_host)),
            ('utm_source', toString(utm_source)), ('utm_medium', toString(utm_medium)), ('utm_campaign', toString(utm_campaign))], targets) AS attributes
    FROM {{database}}.visits
)
ARRAY JOIN attributes AS f
ARRAY JOIN targets AS t
WHERE w != 0 AND f.1 != t.1 AND (SELECT count() FROM {{database}}.attribute_visits_1d) = 0
GROUP BY site, filter_dimension, dimension, filter_value, bucket, value;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.attribute_visits_1d_mv {{on_cluster}}
TO {{database}}.attribute_visits_1d
AS SELECT site, f.1 AS filter_dimension, t.1 AS dimension, f.2 AS filter_value, toDateTime(toStartOfDay(first_at), 'UTC') AS bucket, t.2 AS value,
       sum(w) AS visits, sum(b) AS bounces, sum(d) AS duration, sum(pv) AS pageviews
FROM (
    SELECT site, first_at, toInt64(sign) * (pageviews + events > 0) AS w,
           w * (pageviews = 1 AND events = 0) AS b, w * (toUnixTimestamp64Milli(last_at) - toUnixTimestamp64Milli(first_at)) AS d,
           w * pageviews AS pv,
           [('channel', toString(channel)), ('country', toString(country)), ('device', toString(device)),
            ('browser', toString(browser)), ('os', toString(os)),
            ('screen', multiIf(screen_width = 0, '', screen_width < 576, 'Mobile', screen_width < 992, 'Tablet', screen_width < 1440, 'Laptop', 'Desktop'))] AS targets,
           arrayConcat([('hostname', toString(host)), ('source', toString(source)), ('referrer', toString(referrer_host)),
            ('utm_source', toString(utm_source)), ('utm_medium', toString(utm_medium)), ('utm_campaign', toString(utm_campaign))], targets) AS attributes
    FROM {{database}}.visits
)
ARRAY JOIN attributes AS f
ARRAY JOIN targets AS t
WHERE w != 0 AND f.1 != t.1
GROUP BY site, filter_dimension, dimension, filter_value, bucket, value;

-- Visit metrics per site, UTC day, entry (or exit) page and channel (issue 18: a click on an entry
-- or exit page row filters the whole dashboard by `entry_page is /x`, and the sources panel then
-- asks visits by channel under it: two visit attributes, which `visits_1d` (009, one attribute per
-- row) cannot answer and `attribute_visits_1d` (033, 035) leaves out, so it read every visit of
-- the month FINAL: 530 ms of CPU, 577 / 546 ms p50 to a settled page at 10M events, the only
-- statement of those clicks over 80 ms). The same rows as 033's — per (filter attribute, its
-- value) × (attribute, its value), by the UTC day of the visit's start, the sign-weighted sums
-- (visits, bounces, duration, pageviews), so a rewritten visit's cancel takes back exactly what
-- it added and the sums equal those of `visits` FINAL whatever merges have run; a visit has one
-- entry and one exit page, so any filter on one of them (is, is not, contains, matches; several
-- values) selects whole rows — in a table of their own, for only what those clicks ask.
-- Filter attributes: the entry page and the exit page; grouped by (`dimension`): the channel only.
-- Why so few: a page is a high-cardinality value, so a row per (page, day, value) of each grouped
-- attribute is nearly a row per visit wherever a site's visits are few per page and day. With
-- 033's six grouped attributes (channel, country, device, browser, OS, screen) these two filter
-- attributes made 4.69 M rows, 6.7 B/event at the dashboard bench's 10M events (035's comment);
-- the channel alone (a handful of values) is 0.78 M rows there, measured in docs/storage.md
-- "Visit counts". The channel is what a click on those rows asks above the fold (the sources
-- panel's first tab, on a 1 400 × 1 000 window: `bench/dashboard-clicks.ts`); the other panels'
-- statements under them (locations, devices, below the fold) still read `visits` FINAL, and so
-- does any other grouping (`dimension` is kept in the key so that another can be added by a view).
-- Fed by a view on `visits`; backfilled from `visits` when this migration runs, only while the
-- table is empty (a second run adds nothing), before the view exists. Kept 2 years, like `visits`.
CREATE TABLE IF NOT EXISTS {{database}}.entry_exit_visits_1d {{on_cluster}}
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

INSERT INTO {{database}}.entry_exit_visits_1d (site, filter_dimension, dimension, filter_value, bucket, value, visits, bounces, duration, pageviews)
SELECT site, f.1 AS filter_dimension, t.1 AS dimension, f.2 AS filter_value, toDateTime(toStartOfDay(first_at), 'UTC') AS bucket, t.2 AS value,
       sum(w), sum(b), sum(d), sum(pv)
FROM (
    SELECT site, first_at, toInt64(sign) * (pageviews + events > 0) AS w,
           w * (pageviews = 1 AND events = 0) AS b, w * (toUnixTimestamp64Milli(last_at) - toUnixTimestamp64Milli(first_at)) AS d,
           w * pageviews AS pv,
           [('channel', toString(channel))] AS targets,
           [('entry_page', entry_page), ('exit_page', exit_page)] AS attributes
    FROM {{database}}.visits
)
ARRAY JOIN attributes AS f
ARRAY JOIN targets AS t
WHERE w != 0 AND (SELECT count() FROM {{database}}.entry_exit_visits_1d) = 0
GROUP BY site, filter_dimension, dimension, filter_value, bucket, value;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.entry_exit_visits_1d_mv {{on_cluster}}
TO {{database}}.entry_exit_visits_1d
AS SELECT site, f.1 AS filter_dimension, t.1 AS dimension, f.2 AS filter_value, toDateTime(toStartOfDay(first_at), 'UTC') AS bucket, t.2 AS value,
       sum(w) AS visits, sum(b) AS bounces, sum(d) AS duration, sum(pv) AS pageviews
FROM (
    SELECT site, first_at, toInt64(sign) * (pageviews + events > 0) AS w,
           w * (pageviews = 1 AND events = 0) AS b, w * (toUnixTimestamp64Milli(last_at) - toUnixTimestamp64Milli(first_at)) AS d,
           w * pageviews AS pv,
           [('channel', toString(channel))] AS targets,
           [('entry_page', entry_page), ('exit_page', exit_page)] AS attributes
    FROM {{database}}.visits
)
ARRAY JOIN attributes AS f
ARRAY JOIN targets AS t
WHERE w != 0
GROUP BY site, filter_dimension, dimension, filter_value, bucket, value;

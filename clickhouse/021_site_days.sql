-- The whole site's numbers per UTC day in one small row, so a long range's totals (the dashboard's
-- top numbers and their comparison) read a few hundred rows of one table instead of the day rollups'
-- per-name rows, the visit rollup's per-dimension rows and the visitor counts' per-path granules
-- (docs/storage.md "Whole-site days"). Per (site, UTC day): the day's events and their sums as
-- `events_1d` holds them (every name; pageviews, custom events, engagements and their time), the
-- sums of the visits that start in it as `visits_1d` holds them for dimension '' (sign-weighted:
-- visits, bounces, duration ms, pageviews), and `counted` = (events, visitors) of the day's newest
-- visitor count in `visitors_1d` (dimension ''; the count with the most events wins, as there).
-- A reader takes the count's visitors only while its events equal the row's `events` (the same
-- rule as the count check of docs/query.md), and merges the day's `uniq` states otherwise.
-- Fed by three views on the tables it mirrors (a view on a view's target runs for every block the
-- first writes, as `visits_1d_mv` does), so it holds exactly their numbers: the ingester's event and
-- visit inserts reach it in both modes with their deduplication tokens, and every count the
-- ingester writes (`countVisitors`) reaches it too. Partitioned by year: a two-year range is two or
-- three parts. Backfilled from the three tables when this migration runs (into an empty table only,
-- before the views exist). Kept 2 years, like them. Runs twice safely (IF NOT EXISTS, the guard),
-- also beside another ingester that has already added 027's columns (the insert names its columns:
-- without them, "Number of columns doesn't match (source: 12 and result: 14)" ended that start).
CREATE TABLE IF NOT EXISTS {{database}}.site_days {{on_cluster}}
(
    site            LowCardinality(String),
    day             DateTime('UTC'),
    events          SimpleAggregateFunction(sum, UInt64),
    pageviews       SimpleAggregateFunction(sum, UInt64),
    customs         SimpleAggregateFunction(sum, UInt64),
    engagements     SimpleAggregateFunction(sum, UInt64),
    engaged_ms      SimpleAggregateFunction(sum, UInt64),
    visits          SimpleAggregateFunction(sum, Int64),
    bounces         SimpleAggregateFunction(sum, Int64),
    duration        SimpleAggregateFunction(sum, Int64),
    visit_pageviews SimpleAggregateFunction(sum, Int64),
    counted         SimpleAggregateFunction(max, Tuple(UInt64, UInt64))
)
ENGINE = {{engine:AggregatingMergeTree}}
PARTITION BY toYear(day)
ORDER BY (site, day)
TTL day + INTERVAL 2 YEAR
SETTINGS non_replicated_deduplication_window = 10000;

INSERT INTO {{database}}.site_days (site, day, events, pageviews, customs, engagements, engaged_ms, visits, bounces, duration, visit_pageviews, counted)
SELECT site, day, sum(events), sum(pageviews), sum(customs), sum(engagements), sum(engaged_ms), sum(visits), sum(bounces), sum(duration),
       sum(visit_pageviews), max(counted)
FROM (
    SELECT site, bucket AS day, events, if(name = 'pageview', events, 0) AS pageviews,
           if(name NOT IN ('pageview', 'engagement'), events, 0) AS customs, if(name = 'engagement', events, 0) AS engagements,
           if(name = 'engagement', duration_ms, 0) AS engaged_ms, toInt64(0) AS visits, toInt64(0) AS bounces, toInt64(0) AS duration,
           toInt64(0) AS visit_pageviews, (toUInt64(0), toUInt64(0)) AS counted
    FROM {{database}}.events_1d
    UNION ALL
    SELECT site, bucket, 0, 0, 0, 0, 0, visits, bounces, duration, pageviews, (toUInt64(0), toUInt64(0))
    FROM {{database}}.visits_1d WHERE dimension = ''
    UNION ALL
    SELECT site, bucket, 0, 0, 0, 0, 0, 0, 0, 0, 0, (events, visitors[1])
    FROM {{database}}.visitors_1d WHERE dimension = '' AND notEmpty(visitors)
)
WHERE (SELECT count() FROM {{database}}.site_days) = 0
GROUP BY site, day;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.site_days_events_mv {{on_cluster}}
TO {{database}}.site_days
AS SELECT site, day, sum(e) AS events, sumIf(e, n = 'pageview') AS pageviews, sumIf(e, n NOT IN ('pageview', 'engagement')) AS customs,
          sumIf(e, n = 'engagement') AS engagements, sumIf(ms, n = 'engagement') AS engaged_ms
FROM (SELECT site, bucket AS day, toString(name) AS n, events AS e, duration_ms AS ms FROM {{database}}.events_1d)
GROUP BY site, day;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.site_days_visits_mv {{on_cluster}}
TO {{database}}.site_days
AS SELECT site, day, sum(v) AS visits, sum(b) AS bounces, sum(d) AS duration, sum(pv) AS visit_pageviews
FROM (SELECT site, bucket AS day, visits AS v, bounces AS b, duration AS d, pageviews AS pv FROM {{database}}.visits_1d WHERE dimension = '')
GROUP BY site, day;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.site_days_counts_mv {{on_cluster}}
TO {{database}}.site_days
AS SELECT site, day, max(c) AS counted
FROM (SELECT site, bucket AS day, (events, visitors[1]) AS c FROM {{database}}.visitors_1d WHERE dimension = '' AND notEmpty(visitors))
GROUP BY site, day;

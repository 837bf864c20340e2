-- The visits of `page_visits_1d` (031) that hold the path only among their custom events' paths,
-- not among their pageviews' (issue 18: a click on a pageview goal row, `goal is Pricing` with
-- Pricing the glob `/pricing`, filters the whole dashboard by the visits holding a PAGEVIEW of the
-- path, and the top numbers' visit metrics and the sources, locations and devices panels then read
-- every visit of the month FINAL with its (name, path) pairs: about 8 s to a settled page at 10M
-- events). Same table, same key, four more sign-weighted sums (`ev_*`: visits, bounces, duration,
-- pageviews of those visits), so that `visits - ev_visits` (and so on) are the sums of the visits
-- holding a pageview of the path, exactly, whatever merges have run: a rewritten visit's cancel
-- takes back what it added to either. A custom event on a path the visit has not viewed is rare (a
-- visit starting on an event, an event sent with another URL), so these rows are few: the existing
-- rows keep 0 in the new columns. Fed by a second view on `visits` (visits with custom events
-- only); backfilled from `visits` when this migration runs, only while no row holds an `ev_*` sum
-- (a second run adds nothing), before the view exists. The INSERT names its columns.
ALTER TABLE {{database}}.page_visits_1d {{on_cluster}}
    ADD COLUMN IF NOT EXISTS ev_visits    SimpleAggregateFunction(sum, Int64) DEFAULT 0,
    ADD COLUMN IF NOT EXISTS ev_bounces   SimpleAggregateFunction(sum, Int64) DEFAULT 0,
    ADD COLUMN IF NOT EXISTS ev_duration  SimpleAggregateFunction(sum, Int64) DEFAULT 0,
    ADD COLUMN IF NOT EXISTS ev_pageviews SimpleAggregateFunction(sum, Int64) DEFAULT 0;

INSERT INTO {{database}}.page_visits_1d (site, path, dimension, bucket, value, ev_visits, ev_bounces, ev_duration, ev_pageviews)
SELECT site, toString(path) AS path, pair.1 AS dimension, toDateTime(toStartOfDay(first_at), 'UTC') AS bucket, pair.2 AS value,
       sum(w), sum(b), sum(d), sum(pv)
FROM (
    SELECT site, first_at, arrayFilter((p, n) -> n = 'pageview', pairs.path, pairs.name) AS viewed,
           arrayDistinct(arrayFilter((p, n) -> n NOT IN ('pageview', 'engagement') AND NOT has(viewed, p), pairs.path, pairs.name)) AS paths,
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
ARRAY JOIN paths AS path
ARRAY JOIN attributes AS pair
WHERE w != 0 AND (SELECT count() FROM {{database}}.page_visits_1d WHERE ev_visits != 0) = 0
GROUP BY site, path, dimension, bucket, value;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.page_visits_1d_events_mv {{on_cluster}}
TO {{database}}.page_visits_1d
AS SELECT site, toString(path) AS path, pair.1 AS dimension, toDateTime(toStartOfDay(first_at), 'UTC') AS bucket, pair.2 AS value,
       sum(w) AS ev_visits, sum(b) AS ev_bounces, sum(d) AS ev_duration, sum(pv) AS ev_pageviews
FROM (
    SELECT site, first_at, arrayFilter((p, n) -> n = 'pageview', pairs.path, pairs.name) AS viewed,
           arrayDistinct(arrayFilter((p, n) -> n NOT IN ('pageview', 'engagement') AND NOT has(viewed, p), pairs.path, pairs.name)) AS paths,
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
ARRAY JOIN paths AS path
ARRAY JOIN attributes AS pair
WHERE w != 0
GROUP BY site, path, dimension, bucket, value;

-- The pair visit sums of 033 (`attribute_visits_1d`) under browser and OS versions (issue 18: a
-- click on a browser or OS version row filters the whole dashboard by it, and the sources,
-- locations and devices panels then asked visits by channel / country / device under it from
-- every visit of the month FINAL: 433 and 466 ms p50 to a settled page at 10M events). Same table,
-- same sums, more rows: per (version, value) × (attribute, value) by the attributes 033 groups by
-- (channel, country, device, browser, OS, screen). Versions are tens to hundreds a site, so the
-- rows are few. Not the entry and exit pages (or UTM term and content): a row per value and day of
-- those is about one per visit — at the dashboard bench's 10M events they made 4.7M of 5.3M rows,
-- 6.7 B/event with the versions, against 0.3 without (docs/storage.md "Visit counts"). An entry or
-- exit page click asks only visits by channel above the fold (the panels below it are not asked):
-- 043 answers that from a table of its own, per page, day and channel only.
-- Fed by a second view on `visits`; backfilled from `visits` when this migration runs, only while
-- the table holds neither version (a second run adds nothing), before the view exists.
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
           [('browser_version', toString(browser_version)), ('os_version', toString(os_version))] AS attributes
    FROM {{database}}.visits
)
ARRAY JOIN attributes AS f
ARRAY JOIN targets AS t
WHERE w != 0
  AND (SELECT count() FROM {{database}}.attribute_visits_1d
       WHERE filter_dimension IN ('browser_version', 'os_version')) = 0
GROUP BY site, filter_dimension, dimension, filter_value, bucket, value;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.attribute_visits_1d_more_mv {{on_cluster}}
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
           [('browser_version', toString(browser_version)), ('os_version', toString(os_version))] AS attributes
    FROM {{database}}.visits
)
ARRAY JOIN attributes AS f
ARRAY JOIN targets AS t
WHERE w != 0
GROUP BY site, filter_dimension, dimension, filter_value, bucket, value;

-- The pair visit sums of 033 (`attribute_visits_1d`) under the filter attributes 033 left out
-- (issue 18: a click on an entry or exit page row, a UTM term or content row, a browser or OS
-- version row filters the whole dashboard by it, and the sources, locations and devices panels
-- then asked visits by channel / country / device under it from every visit of the month FINAL).
-- Same table, same sums, more rows: per (filter attribute, value) × (attribute, value) for the
-- filter attributes entry page, exit page, UTM term, UTM content, browser version and OS version,
-- by the attributes 033 groups by (channel, country, device, browser, OS, screen). A row per
-- (value, grouped value) and day: at most six rows a visit for each of these filter attributes,
-- fewer where values repeat (docs/storage.md "Visit counts" has the bytes per event measured).
-- Fed by a second view on `visits`; backfilled from `visits` when this migration runs, only while
-- the table holds none of these filter attributes (a second run adds nothing), before the view exists.
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
           [('entry_page', entry_page), ('exit_page', exit_page), ('utm_term', utm_term), ('utm_content', utm_content),
            ('browser_version', toString(browser_version)), ('os_version', toString(os_version))] AS attributes
    FROM {{database}}.visits
)
ARRAY JOIN attributes AS f
ARRAY JOIN targets AS t
WHERE w != 0
  AND (SELECT count() FROM {{database}}.attribute_visits_1d
       WHERE filter_dimension IN ('entry_page', 'exit_page', 'utm_term', 'utm_content', 'browser_version', 'os_version')) = 0
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
           [('entry_page', entry_page), ('exit_page', exit_page), ('utm_term', utm_term), ('utm_content', utm_content),
            ('browser_version', toString(browser_version)), ('os_version', toString(os_version))] AS attributes
    FROM {{database}}.visits
)
ARRAY JOIN attributes AS f
ARRAY JOIN targets AS t
WHERE w != 0
GROUP BY site, filter_dimension, dimension, filter_value, bucket, value;

-- Region and city (issue 18, the locations panel): the collector resolves them from the client's IP
-- address with DB-IP City Lite (CC BY 4.0, "IP geolocation by DB-IP", https://db-ip.com), given
-- only where that database agrees with the chosen country. Schema version 3 of the topic
-- (docs/topic.md): `events` gets the two columns the new version appends, before any version-3
-- message is read; `visits` gets them as the entry event's attributes, like `country`. Rows written
-- before keep ''. Names, not codes: the region is DB-IP's `state1` ("California"), the city its
-- `city` ("Mountain View"); imported history keeps its ISO 3166-2 region codes.
ALTER TABLE {{database}}.events {{on_cluster}}
    ADD COLUMN IF NOT EXISTS region LowCardinality(String) DEFAULT '',
    ADD COLUMN IF NOT EXISTS city   LowCardinality(String) DEFAULT '';

ALTER TABLE {{database}}.visits {{on_cluster}}
    ADD COLUMN IF NOT EXISTS region LowCardinality(String) DEFAULT '' AFTER country,
    ADD COLUMN IF NOT EXISTS city   LowCardinality(String) DEFAULT '' AFTER region;

-- The visit rollups that wrote ('region', '') and ('city', '') read the columns now. Each view's
-- query is changed in place (MODIFY QUERY: no moment without the view, so no visit of an ingester
-- still running is missed; re-running it sets the same query). The rows already written keep their
-- '' values, which is what those visits hold. `visits_15m` (009; `visits_1d` follows from it)
-- takes both, as it takes the entry and exit pages. The per-path rollups `page_visits_1d` (031,
-- 041) and the per-name `name_visits_1d` (037) take the region only: a row per path (or name),
-- city and day is about one per visit for the long tail of both, the rule 031 left the entry pages
-- and versions out by; a city breakdown under a page or goal filter reads `visits` (the Query API
-- no longer answers it from these tables, whose old rows hold ('city', '')). `attribute_visits_1d`
-- (033, 035) takes neither: it multiplies each attribute by every filter attribute (12 of them), so
-- a city there would be about 12 rows per visit on small sites; filters on region or city, and
-- their breakdowns under other filters, read `visits` (docs/storage.md "Visit counts").

ALTER TABLE {{database}}.visits_15m_mv {{on_cluster}} MODIFY QUERY
SELECT site, pair.1 AS dimension, toStartOfFifteenMinutes(first_at) AS bucket, pair.2 AS value,
       sum(w) AS visits, sum(b) AS bounces, sum(d) AS duration, sum(pv) AS pageviews
FROM (
    SELECT site, first_at, toInt64(sign) * (pageviews + events > 0) AS w, w * (pageviews = 1 AND events = 0) AS b,
           w * (toUnixTimestamp64Milli(last_at) - toUnixTimestamp64Milli(first_at)) AS d, w * pageviews AS pv,
           [('', ''), ('entry_page', entry_page), ('exit_page', exit_page), ('hostname', toString(host)), ('source', toString(source)),
            ('referrer', toString(referrer_host)), ('channel', toString(channel)), ('utm_source', toString(utm_source)),
            ('utm_medium', toString(utm_medium)), ('utm_campaign', toString(utm_campaign)), ('utm_term', utm_term),
            ('utm_content', utm_content), ('country', toString(country)), ('region', toString(region)), ('city', toString(city)), ('device', toString(device)),
            ('browser', toString(browser)), ('browser_version', toString(browser_version)), ('os', toString(os)),
            ('os_version', toString(os_version)),
            ('screen', multiIf(screen_width = 0, '', screen_width < 576, 'Mobile', screen_width < 992, 'Tablet', screen_width < 1440, 'Laptop', 'Desktop'))] AS pairs
    FROM {{database}}.visits
)
ARRAY JOIN pairs AS pair
WHERE w != 0
GROUP BY site, dimension, bucket, value;

ALTER TABLE {{database}}.page_visits_1d_mv {{on_cluster}} MODIFY QUERY
SELECT site, toString(path) AS path, pair.1 AS dimension, toDateTime(toStartOfDay(first_at), 'UTC') AS bucket, pair.2 AS value,
       sum(w) AS visits, sum(b) AS bounces, sum(d) AS duration, sum(pv) AS pageviews
FROM (
    SELECT site, first_at, arrayDistinct(pairs.path) AS paths, toInt64(sign) * (pageviews + events > 0) AS w,
           w * (pageviews = 1 AND events = 0) AS b, w * (toUnixTimestamp64Milli(last_at) - toUnixTimestamp64Milli(first_at)) AS d,
           w * pageviews AS pv,
           [('', ''), ('hostname', toString(host)), ('source', toString(source)), ('referrer', toString(referrer_host)),
            ('channel', toString(channel)), ('utm_source', toString(utm_source)), ('utm_medium', toString(utm_medium)),
            ('utm_campaign', toString(utm_campaign)), ('country', toString(country)), ('region', toString(region)),
            ('device', toString(device)), ('browser', toString(browser)), ('os', toString(os)),
            ('screen', multiIf(screen_width = 0, '', screen_width < 576, 'Mobile', screen_width < 992, 'Tablet', screen_width < 1440, 'Laptop', 'Desktop'))] AS attributes
    FROM {{database}}.visits
)
ARRAY JOIN paths AS path
ARRAY JOIN attributes AS pair
WHERE w != 0
GROUP BY site, path, dimension, bucket, value;

ALTER TABLE {{database}}.page_visits_1d_events_mv {{on_cluster}} MODIFY QUERY
SELECT site, toString(path) AS path, pair.1 AS dimension, toDateTime(toStartOfDay(first_at), 'UTC') AS bucket, pair.2 AS value,
       sum(w) AS ev_visits, sum(b) AS ev_bounces, sum(d) AS ev_duration, sum(pv) AS ev_pageviews
FROM (
    SELECT site, first_at, arrayFilter((p, n) -> n = 'pageview', pairs.path, pairs.name) AS viewed,
           arrayDistinct(arrayFilter((p, n) -> n NOT IN ('pageview', 'engagement') AND NOT has(viewed, p), pairs.path, pairs.name)) AS paths,
           toInt64(sign) * (pageviews + events > 0) AS w,
           w * (pageviews = 1 AND events = 0) AS b, w * (toUnixTimestamp64Milli(last_at) - toUnixTimestamp64Milli(first_at)) AS d,
           w * pageviews AS pv,
           [('', ''), ('hostname', toString(host)), ('source', toString(source)), ('referrer', toString(referrer_host)),
            ('channel', toString(channel)), ('utm_source', toString(utm_source)), ('utm_medium', toString(utm_medium)),
            ('utm_campaign', toString(utm_campaign)), ('country', toString(country)), ('region', toString(region)),
            ('device', toString(device)), ('browser', toString(browser)), ('os', toString(os)),
            ('screen', multiIf(screen_width = 0, '', screen_width < 576, 'Mobile', screen_width < 992, 'Tablet', screen_width < 1440, 'Laptop', 'Desktop'))] AS attributes
    FROM {{database}}.visits
    WHERE events > 0
)
ARRAY JOIN paths AS path
ARRAY JOIN attributes AS pair
WHERE w != 0
GROUP BY site, path, dimension, bucket, value;

ALTER TABLE {{database}}.name_visits_1d_mv {{on_cluster}} MODIFY QUERY
SELECT site, toString(name) AS name, pair.1 AS dimension, toDateTime(toStartOfDay(first_at), 'UTC') AS bucket, pair.2 AS value,
       sum(w) AS visits, sum(b) AS bounces, sum(d) AS duration, sum(pv) AS pageviews
FROM (
    SELECT site, first_at, arrayDistinct(arrayFilter(n -> n NOT IN ('pageview', 'engagement'), pairs.name)) AS names,
           toInt64(sign) * (pageviews + events > 0) AS w,
           w * (pageviews = 1 AND events = 0) AS b, w * (toUnixTimestamp64Milli(last_at) - toUnixTimestamp64Milli(first_at)) AS d,
           w * pageviews AS pv,
           [('', ''), ('hostname', toString(host)), ('source', toString(source)), ('referrer', toString(referrer_host)),
            ('channel', toString(channel)), ('utm_source', toString(utm_source)), ('utm_medium', toString(utm_medium)),
            ('utm_campaign', toString(utm_campaign)), ('country', toString(country)), ('region', toString(region)),
            ('device', toString(device)), ('browser', toString(browser)), ('os', toString(os)),
            ('screen', multiIf(screen_width = 0, '', screen_width < 576, 'Mobile', screen_width < 992, 'Tablet', screen_width < 1440, 'Laptop', 'Desktop'))] AS attributes
    FROM {{database}}.visits
    WHERE events > 0
)
ARRAY JOIN names AS name
ARRAY JOIN attributes AS pair
WHERE w != 0
GROUP BY site, name, dimension, bucket, value;

-- The whole site's day cut anywhere on a quarter-hour, from its `site_days` row alone, so a daily
-- series in a zone off UTC (Asia/Kolkata: every local day is the end of one UTC day and the start
-- of the next) reads one small row per UTC day instead of the day's quarter-hour rows of
-- `events_15m` and `visits_15m` (docs/storage.md "Whole-site days"). Two columns:
-- `visit_quarters`: the sums of the visits starting in each quarter-hour of the day (key 0–95;
-- dimension '' of `visits_15m`: visits, bounces, duration ms, pageviews, sign-weighted), a
-- `sumMap`, so a part of the day is the sum of its keys; and `splits` = (events, before, after,
-- pageviews_before, customs_before, engagements_before, engaged_ms_before) of the day's newest
-- whole-site visitor count with its quarter-hour splits and their sums (`visitors_1d` 017, 019:
-- element q + 1 is the part before quarter-hour q, `after` the part from it), current while its
-- events equal the row's `events` (as `counted`). The day's event sums before a quarter-hour come
-- from the count (no view on `events_15m`, written at every event insert); a stale day's from its
-- quarter-hours, at query time. Fed by views on `visits_15m` and `visitors_1d` (the ingester's
-- visit inserts and counts reach them in both modes), backfilled from them here — the visit sums
-- once (into a table none of whose rows has them yet), before their view exists, as 021 does; the
-- count's max is idempotent. Runs twice safely.
ALTER TABLE {{database}}.site_days {{on_cluster}}
    ADD COLUMN IF NOT EXISTS visit_quarters SimpleAggregateFunction(sumMap, Tuple(Array(UInt8), Array(Int64), Array(Int64), Array(Int64), Array(Int64))),
    ADD COLUMN IF NOT EXISTS splits SimpleAggregateFunction(max, Tuple(UInt64, Array(UInt64), Array(UInt64), Array(UInt64), Array(UInt64), Array(UInt64), Array(UInt64)));

INSERT INTO {{database}}.site_days (site, day, visit_quarters)
SELECT site, day, sumMap(([q], [vi], [bo], [du], [vp]))
FROM (
    SELECT site, toStartOfDay(bucket) AS day, toUInt8(intDiv(toUInt32(bucket) - toUInt32(toStartOfDay(bucket)), 900)) AS q,
           visits AS vi, bounces AS bo, duration AS du, pageviews AS vp
    FROM {{database}}.visits_15m WHERE dimension = ''
)
WHERE (SELECT count() FROM {{database}}.site_days WHERE notEmpty(tupleElement(visit_quarters, 1))) = 0
GROUP BY site, day;

INSERT INTO {{database}}.site_days (site, day, splits)
SELECT site, bucket, max((events, before, after, pageviews_before, customs_before, engagements_before, engaged_ms_before))
FROM {{database}}.visitors_1d WHERE dimension = '' AND length(after) = 96 AND length(pageviews_before) = 96
GROUP BY site, bucket;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.site_days_visit_quarters_mv {{on_cluster}}
TO {{database}}.site_days
AS SELECT site, day, sumMap(([q], [vi], [bo], [du], [vp])) AS visit_quarters
FROM (
    SELECT site, toStartOfDay(bucket) AS day, toUInt8(intDiv(toUInt32(bucket) - toUInt32(toStartOfDay(bucket)), 900)) AS q,
           visits AS vi, bounces AS bo, duration AS du, pageviews AS vp
    FROM {{database}}.visits_15m WHERE dimension = ''
)
GROUP BY site, day;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.site_days_splits_mv {{on_cluster}}
TO {{database}}.site_days
AS SELECT site, bucket AS day, max((events, before, after, pageviews_before, customs_before, engagements_before, engaged_ms_before)) AS splits
FROM {{database}}.visitors_1d WHERE dimension = '' AND length(after) = 96 AND length(pageviews_before) = 96
GROUP BY site, day;

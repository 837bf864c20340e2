-- Distinct visitors and event sums per site, UTC day and visit attribute value (issue 18: a filter
-- click on a channel or a country counted every visit of the month, FINAL, for the top numbers,
-- the chart and the pages panel alike). One row per (site, dimension, value, day) of the visits
-- that start on the day, with the visit-attribute expressions of `visits_15m` (009): `visitors`
-- (distinct visitors of the visits with a pageview or custom event), `pageviews`, `customs`,
-- `engagements`, `engaged_ms` (the visits' own counts), and per path of their pageviews and custom
-- events the distinct visitors (`paths`, `path_visitors`); of their custom events (raw, joined to
-- the visits), the distinct visitors (`custom_visitors`) and per event name the distinct visitors
-- and the events (`names`, `name_visitors`, `name_events`: the goals panel, where a site's goals
-- are event names). The dimension '' (value '') is every
-- visit of the day: the row that says the day was counted. Visitor ids rotate with the UTC day, so
-- a range's visitors under `dimension is value` are the sum of its days' (docs/query.md).
-- `events` is the day's events (every name) in `events_1d` when counted, `held` the events its
-- visits hold (their pageviews, custom events and engagements). A day whose visits hold exactly
-- the day's events (`held` = `events`) gets every row; one whose visits do not (not all written
-- yet) gets its '' row alone, with its `held`, so it is not counted again every round until its
-- events change. The Query API reads a day's rows only while `held` and `events` still equal
-- the day's events in `events_1d`: a late event makes the day read its visits again until it is re-counted, so a
-- count never changes an answer, only its speed. Written by the ingester (`countVisitors`,
-- packages/ingester/src/visitor-counts.ts), a day in one insert; a newer count replaces an older
-- one in merges (version `events`). Backfilled when this migration runs. Kept 2 years.
CREATE TABLE IF NOT EXISTS {{database}}.visit_visitors_1d {{on_cluster}}
(
    site          LowCardinality(String),
    dimension     LowCardinality(String),
    value         String CODEC(ZSTD(1)),
    bucket        DateTime('UTC'),
    events        UInt64,
    held          UInt64,
    visitors      UInt64,
    pageviews     UInt64,
    customs       UInt64,
    engagements   UInt64,
    engaged_ms    UInt64,
    paths         Array(LowCardinality(String)) CODEC(ZSTD(1)),
    path_visitors Array(UInt64) CODEC(ZSTD(1)),
    custom_visitors UInt64,
    names         Array(LowCardinality(String)) CODEC(ZSTD(1)),
    name_visitors Array(UInt64) CODEC(ZSTD(1)),
    name_events   Array(UInt64) CODEC(ZSTD(1))
)
ENGINE = {{engine:ReplacingMergeTree(events)}}
PARTITION BY toYYYYMM(bucket)
ORDER BY (site, dimension, value, bucket)
TTL bucket + INTERVAL 2 YEAR
SETTINGS index_granularity = 256;

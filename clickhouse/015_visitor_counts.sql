-- Distinct visitors per site and UTC day, and per path and UTC day, counted once from the day
-- rollups, so a long range sums days' counts instead of merging one `uniq` state per day and key
-- at every query (docs/storage.md "Visitor counts"). Visitor ids rotate with the collector's
-- daily salt, chosen by the event's own UTC day, so two days' id sets are disjoint and a range's
-- distinct visitors are the sum of its days'.
-- One row per (site, dimension, day): `dimension` '' (the whole site, from events_1d: `values` is
-- ['']) or 'page' (from pages_1d: `values` are the paths); per value, `visitors` (distinct
-- visitors of its pageviews and custom events) and the day's sums the rollup holds for it
-- (`pageviews`, `customs`, `engagements`, `engaged_ms`), so a counted day is read from this row
-- alone; and `events`, the day's events (every name) in the rollup, read in the same statement. The Query API uses a day's row only
-- while its `events` equal the rollup's: a late or backdated event makes that day fall back to
-- merging states until it is counted again. A row is one insert, so a day is counted whole or not
-- at all; a count repeated (two ingesters) is the same row, and a newer one replaces it (version
-- `events`). Written by the ingester (`countVisitors`, packages/ingester/src/visitor-counts.ts)
-- after this migration (its backfill: every complete day the rollups hold), at start-up and every
-- 10 minutes; kept 2 years like the rollups.
CREATE TABLE IF NOT EXISTS {{database}}.visitors_1d {{on_cluster}}
(
    site      LowCardinality(String),
    dimension LowCardinality(String),
    bucket    DateTime('UTC'),
    events    UInt64,
    values      Array(String) CODEC(ZSTD(1)),
    visitors    Array(UInt64),
    pageviews   Array(UInt64),
    customs     Array(UInt64),
    engagements Array(UInt64),
    engaged_ms  Array(UInt64)
)
ENGINE = {{engine:ReplacingMergeTree(events)}}
PARTITION BY toYYYYMM(bucket)
ORDER BY (site, dimension, bucket)
TTL bucket + INTERVAL 2 YEAR
SETTINGS index_granularity = 256;

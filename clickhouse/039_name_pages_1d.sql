-- Distinct visitors and events per site, UTC day and custom event name, overall and per path
-- (issue 18: a click on a goal or custom event row filters the dashboard by `goal is Signup` /
-- `event is signup`, and the top numbers' visitors, the chart, the pages panel, the custom events
-- tab and the goals panel then merged a month of `pages_1d` uniq states, ~0.4 s each at 10M
-- events). One row per (site, day): per custom event name (pageviews and engagements left out)
-- `visitors` (its distinct visitors that day) and `counts` (its events); per (name, path) the same
-- in `path_names`, `paths`, `path_visitors`, `path_counts`. A day with events but no custom event
-- has a row of empty arrays: the row says the day was counted. Visitor ids rotate with the UTC
-- day, so a range's visitors of a name are the sum of its days' (docs/query.md).
-- `events` stamps the row with the day's events (every name) in `pages_1d`, read in the same pass
-- as the counts. The Query API reads a day's row only while that stamp equals the day's events in
-- `events_1d`: the two rollups are fed by the same inserts but not atomically (a count taken
-- between the two views' writes holds one more block than `events_1d`), so a row whose stamp
-- differs is stale or partial and the day is read raw until it is counted again. Written by the
-- ingester (`countVisitors`, packages/ingester/src/visitor-counts.ts, `namesSql`), a day in one
-- insert; a newer count replaces an older one in merges (version `events`). Backfilled when this
-- migration runs. Kept 2 years.
CREATE TABLE IF NOT EXISTS {{database}}.name_pages_1d {{on_cluster}}
(
    site          LowCardinality(String),
    bucket        DateTime('UTC'),
    events        UInt64,
    names         Array(LowCardinality(String)),
    visitors      Array(UInt64),
    counts        Array(UInt64),
    path_names    Array(LowCardinality(String)) CODEC(ZSTD(1)),
    paths         Array(String) CODEC(ZSTD(1)),
    path_visitors Array(UInt64) CODEC(ZSTD(1)),
    path_counts   Array(UInt64) CODEC(ZSTD(1))
)
ENGINE = {{engine:ReplacingMergeTree(events)}}
PARTITION BY toYYYYMM(bucket)
ORDER BY (site, bucket)
TTL bucket + INTERVAL 2 YEAR
SETTINGS index_granularity = 256;

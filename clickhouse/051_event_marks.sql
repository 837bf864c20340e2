-- Quarter-hour marks of each path's and each custom event name's distinct visitors per UTC day
-- (issue 18: the daily chart under a page or goal filter in a zone off UTC — `page is /blog/a` in
-- Europe/Berlin — merged every quarter-hour state of `pages_15m` over the range, 2.3 million rows
-- at 10M events, since its local days start inside UTC days and the day rollups hold whole UTC
-- days only). One row per (site, UTC day, path) of the day's pageviews and custom events on the
-- path (`dimension` 'page', `value` the path), and per (site, UTC day, name) of its custom events
-- of that name ('event'): `visitors`, the day's distinct visitors of those events, and for the
-- quarter-hours of the day in which they fall (`quarters`, ascending, 0–95) the distinct visitors
-- up to and including that quarter-hour (`upto`) and from it on (`since`), as
-- `visit_visitors_1d`'s marks (047): the visitors of the day's part before quarter-hour q are
-- `upto` at the last mark before q (0: none), those from q on `since` at the first mark at or
-- after q — exact for any cut on a quarter-hour (Asia/Kolkata's and Asia/Kathmandu's too).
-- The row of dimension '' (value '') says the day was counted. `events` is the stamp: the day's
-- events (every name) in `pages_15m`, summed in the same pass as the marks; the Query API reads a
-- day's rows only while it equals the day's events in `events_1d` (the two rollups are fed by the
-- same inserts but not atomically), so a late event makes the day read its quarter-hours again
-- until it is counted again. Written by the ingester (`countVisitors`,
-- packages/ingester/src/visitor-counts.ts, `marksSql`), a day in one insert; a newer count
-- replaces an older one in merges (version `events`). Backfilled when this migration runs. Kept 2 years.
CREATE TABLE IF NOT EXISTS {{database}}.event_marks_1d {{on_cluster}}
(
    site      LowCardinality(String),
    dimension LowCardinality(String),
    value     String CODEC(ZSTD(1)),
    bucket    DateTime('UTC'),
    events    UInt64,
    visitors  UInt64,
    quarters  Array(UInt8) CODEC(ZSTD(1)),
    upto      Array(UInt64) CODEC(ZSTD(1)),
    since     Array(UInt64) CODEC(ZSTD(1))
)
ENGINE = {{engine:ReplacingMergeTree(events)}}
PARTITION BY toYYYYMM(bucket)
ORDER BY (site, dimension, value, bucket)
TTL bucket + INTERVAL 2 YEAR
SETTINGS index_granularity = 256;

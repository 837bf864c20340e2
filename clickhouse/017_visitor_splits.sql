-- Distinct visitors of each part of a UTC day cut at a quarter-hour, so a daily series in a zone
-- off UTC (a local day is the end of one UTC day and the start of the next: Asia/Kolkata cuts UTC
-- days at 18:30) sums counts too instead of merging 96 `uniq` states per day (docs/storage.md
-- "Visitor counts"). For the whole site (dimension ''), per UTC day: `before[q + 1]` = distinct
-- visitors (pageviews and custom events) in the quarter-hours [0, q) of the day, `after[q + 1]` =
-- in [q, 96); q = 0..95, so `after[1]` is the whole day. Visitor ids rotate with the UTC day, so a
-- local day's visitors are the sum of its two parts'. Empty on rows counted before this migration
-- and on `page` rows: such a day merges states for a zone off UTC, as before. The backfill (the
-- ingester's `countVisitors`, run after this migration) recounts every day whose '' row has none;
-- the newer row replaces the old one in merges (same version: the last inserted stays), and the
-- Query API reads only rows that have them for zones off UTC. Runs twice safely (IF NOT EXISTS).
ALTER TABLE {{database}}.visitors_1d {{on_cluster}}
    ADD COLUMN IF NOT EXISTS before Array(UInt64),
    ADD COLUMN IF NOT EXISTS after Array(UInt64);

-- The sums of each part of a UTC day cut at a quarter-hour, beside its distinct visitors (017), so
-- a daily series in a zone off UTC reads a counted day from its `visitors_1d` row alone instead of
-- its 96 quarter-hours of `events_15m` (docs/storage.md "Visitor counts"). For the whole site
-- (dimension ''), per UTC day: `pageviews_before[q + 1]` = pageviews in the quarter-hours [0, q) of
-- the day, and the same for custom events, engagements and their time; q = 0..95, so the part from
-- q is the day's sum (`pageviews[1]`, …) less the part before it. Empty on rows counted before this
-- migration and on `page` rows: the Query API reads a day's row for a zone off UTC only when it has
-- them, and merges the day's states otherwise, as before. The backfill (the ingester's
-- `countVisitors`, run after this migration) recounts every day whose '' row has none; the newer
-- row replaces the old one in merges. Runs twice safely (IF NOT EXISTS).
ALTER TABLE {{database}}.visitors_1d {{on_cluster}}
    ADD COLUMN IF NOT EXISTS pageviews_before Array(UInt64),
    ADD COLUMN IF NOT EXISTS customs_before Array(UInt64),
    ADD COLUMN IF NOT EXISTS engagements_before Array(UInt64),
    ADD COLUMN IF NOT EXISTS engaged_ms_before Array(UInt64);

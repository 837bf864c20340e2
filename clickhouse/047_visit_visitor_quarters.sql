-- Quarter-hour splits of the per-attribute visitor counts (issue 18: a daily chart in a zone off UTC
-- under a visit filter — `channel is Organic Search` in Europe/Berlin — read every raw event of the
-- range, or every visit FINAL, since its local days start inside UTC days and `visit_visitors_1d`
-- (029) counts whole UTC days only). Each row of a day counted from now on also holds, for the
-- quarter-hours of the day in which its visits' pageviews or custom events fall (`quarters`,
-- ascending, 0–95), the distinct visitors of those events up to and including that quarter-hour
-- (`upto`) and from it on (`since`): the visitors of the day's part before quarter-hour q are `upto`
-- at the last mark before q (0: none), those of the part from q on `since` at the first mark at or
-- after q — exact for any cut on a quarter-hour (Asia/Kolkata's and Asia/Kathmandu's too), from a
-- few marks per row (a value seen in one quarter-hour has one), not 96-element arrays.
-- `quartered` = 1 says the day was counted with them: the '' row of a day counted before has 0, so
-- the ingester counts that day again (its other columns the same), and the Query API reads the
-- marks only of days whose '' row has 1. Written by the ingester (`countVisitors`,
-- packages/ingester/src/visitor-counts.ts), which the migration runs right after this file (the
-- backfill: every day counted before, once; running it again finds none).
ALTER TABLE {{database}}.visit_visitors_1d {{on_cluster}}
    ADD COLUMN IF NOT EXISTS quartered UInt8 DEFAULT 0,
    ADD COLUMN IF NOT EXISTS quarters  Array(UInt8) CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS upto      Array(UInt64) CODEC(ZSTD(1)),
    ADD COLUMN IF NOT EXISTS since     Array(UInt64) CODEC(ZSTD(1));

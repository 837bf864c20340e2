-- Cluster only: the Distributed table over every shard's whole-site days gains the quarter-hour
-- visit sums and the visitor splits of 027_site_day_quarters.sql. A site's day is split across shards:
-- its visit quarter sums add up over them; its counts are current only when every shard's is, as 022 says.
ALTER TABLE {{database}}.site_days_all {{on_cluster}}
    ADD COLUMN IF NOT EXISTS visit_quarters SimpleAggregateFunction(sumMap, Tuple(Array(UInt8), Array(Int64), Array(Int64), Array(Int64), Array(Int64))),
    ADD COLUMN IF NOT EXISTS splits SimpleAggregateFunction(max, Tuple(UInt64, Array(UInt64), Array(UInt64), Array(UInt64), Array(UInt64), Array(UInt64), Array(UInt64)));

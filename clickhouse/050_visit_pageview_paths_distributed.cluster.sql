-- Cluster only: the Distributed `visits_all` (008) gets the column 049 added to the local tables
-- (read from the shards; computed there as their rows are written).
ALTER TABLE {{database}}.visits_all {{on_cluster}}
    ADD COLUMN IF NOT EXISTS pageview_paths Array(UInt64)
        MATERIALIZED arrayDistinct(arrayMap(p -> cityHash64(p), arrayFilter((p, n) -> n = 'pageview', pairs.path, pairs.name)));

-- Cluster only: the Distributed table over every shard's per-path pageview quarter-hour marks (053_pageview_marks.sql).
-- Events are sharded by (site, visitor), so a visitor is on one shard and the shards' counts add up.
CREATE TABLE IF NOT EXISTS {{database}}.pageview_marks_1d_all {{on_cluster}} AS {{database}}.pageview_marks_1d
ENGINE = Distributed({{cluster}}, {{database}}, pageview_marks_1d);

-- Cluster only: the Distributed table over every shard's per-path and per-name quarter-hour marks (051_event_marks.sql).
-- Events are sharded by (site, visitor), so a visitor is on one shard and the shards' counts add up.
CREATE TABLE IF NOT EXISTS {{database}}.event_marks_1d_all {{on_cluster}} AS {{database}}.event_marks_1d
ENGINE = Distributed({{cluster}}, {{database}}, event_marks_1d);

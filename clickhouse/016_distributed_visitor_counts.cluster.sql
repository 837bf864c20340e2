-- Cluster only: the Distributed table over every shard's visitor counts (015_visitor_counts.sql).
-- Events are sharded by (site, visitor), so a visitor is on one shard and the shards' counts add up.
CREATE TABLE IF NOT EXISTS {{database}}.visitors_1d_all {{on_cluster}} AS {{database}}.visitors_1d
ENGINE = Distributed({{cluster}}, {{database}}, visitors_1d);

-- Cluster only: the Distributed table over every shard's per-name day counts (039_name_pages_1d.sql).
-- Events are sharded by (site, visitor), so a visitor is on one shard and the shards' counts add up.
CREATE TABLE IF NOT EXISTS {{database}}.name_pages_1d_all {{on_cluster}} AS {{database}}.name_pages_1d
ENGINE = Distributed({{cluster}}, {{database}}, name_pages_1d);

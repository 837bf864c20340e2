-- Cluster only: the Distributed table over every shard's `visits` (readers use it; the
-- ingester writes the local Replicated table). Sharded like events, by site and visitor.
CREATE TABLE IF NOT EXISTS {{database}}.visits_all {{on_cluster}} AS {{database}}.visits
ENGINE = Distributed({{cluster}}, {{database}}, visits, cityHash64(site, visitor_id));

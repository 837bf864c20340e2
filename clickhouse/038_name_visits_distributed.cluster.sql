-- Cluster only: the Distributed table over every shard's per-name visit sums (037_name_visits.sql).
CREATE TABLE IF NOT EXISTS {{database}}.name_visits_1d_all {{on_cluster}} AS {{database}}.name_visits_1d
ENGINE = Distributed({{cluster}}, {{database}}, name_visits_1d);

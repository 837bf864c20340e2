-- Cluster only: the Distributed table over every shard's attribute pair visit sums (033_attribute_visits.sql).
CREATE TABLE IF NOT EXISTS {{database}}.attribute_visits_1d_all {{on_cluster}} AS {{database}}.attribute_visits_1d
ENGINE = Distributed({{cluster}}, {{database}}, attribute_visits_1d);

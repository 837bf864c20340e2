-- Cluster only: the Distributed table over every shard's page visit sums (031_page_visits.sql).
CREATE TABLE IF NOT EXISTS {{database}}.page_visits_1d_all {{on_cluster}} AS {{database}}.page_visits_1d
ENGINE = Distributed({{cluster}}, {{database}}, page_visits_1d);

-- Cluster only: the Distributed table over every shard's visit visitor counts (029_visit_visitors.sql).
CREATE TABLE IF NOT EXISTS {{database}}.visit_visitors_1d_all {{on_cluster}} AS {{database}}.visit_visitors_1d
ENGINE = Distributed({{cluster}}, {{database}}, visit_visitors_1d);

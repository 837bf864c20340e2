-- Cluster only: the Distributed table over every shard's entry and exit page visit sums (043_entry_exit_visits.sql).
CREATE TABLE IF NOT EXISTS {{database}}.entry_exit_visits_1d_all {{on_cluster}} AS {{database}}.entry_exit_visits_1d
ENGINE = Distributed({{cluster}}, {{database}}, entry_exit_visits_1d);

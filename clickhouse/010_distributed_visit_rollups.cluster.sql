-- Cluster only: Distributed tables over every shard's visit rollups (009_visit_rollups.sql), and
-- the Distributed table of the dropped `dimensions_minute` goes with it.
CREATE TABLE IF NOT EXISTS {{database}}.visits_15m_all {{on_cluster}} AS {{database}}.visits_15m
ENGINE = Distributed({{cluster}}, {{database}}, visits_15m);

CREATE TABLE IF NOT EXISTS {{database}}.visits_1d_all {{on_cluster}} AS {{database}}.visits_1d
ENGINE = Distributed({{cluster}}, {{database}}, visits_1d);

DROP TABLE IF EXISTS {{database}}.dimensions_minute_all {{on_cluster}} SYNC;

-- Cluster only: Distributed tables over every shard's `visits` and quarter-hour rollups
-- (readers use them; the ingester writes the local Replicated tables). Visits are sharded like
-- events, by site and visitor.
CREATE TABLE IF NOT EXISTS {{database}}.visits_all {{on_cluster}} AS {{database}}.visits
ENGINE = Distributed({{cluster}}, {{database}}, visits, cityHash64(site, visitor_id));

CREATE TABLE IF NOT EXISTS {{database}}.events_15m_all {{on_cluster}} AS {{database}}.events_15m
ENGINE = Distributed({{cluster}}, {{database}}, events_15m);

CREATE TABLE IF NOT EXISTS {{database}}.pages_15m_all {{on_cluster}} AS {{database}}.pages_15m
ENGINE = Distributed({{cluster}}, {{database}}, pages_15m);

CREATE TABLE IF NOT EXISTS {{database}}.events_1d_all {{on_cluster}} AS {{database}}.events_1d
ENGINE = Distributed({{cluster}}, {{database}}, events_1d);

CREATE TABLE IF NOT EXISTS {{database}}.pages_1d_all {{on_cluster}} AS {{database}}.pages_1d
ENGINE = Distributed({{cluster}}, {{database}}, pages_1d);

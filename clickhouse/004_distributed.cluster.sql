-- Cluster only (rendered when CLICKHOUSE_CLUSTER is set; skipped on a single server):
-- Distributed tables over every shard's local tables, for queries that span shards. The
-- ingester writes to the local Replicated tables of its shard (replicated deduplication
-- honours the batch token natively); readers may use the *_all tables.
CREATE TABLE IF NOT EXISTS {{database}}.events_all {{on_cluster}} AS {{database}}.events
ENGINE = Distributed({{cluster}}, {{database}}, events, cityHash64(site, visitor_id));

CREATE TABLE IF NOT EXISTS {{database}}.events_minute_all {{on_cluster}} AS {{database}}.events_minute
ENGINE = Distributed({{cluster}}, {{database}}, events_minute);

CREATE TABLE IF NOT EXISTS {{database}}.pages_minute_all {{on_cluster}} AS {{database}}.pages_minute
ENGINE = Distributed({{cluster}}, {{database}}, pages_minute);

CREATE TABLE IF NOT EXISTS {{database}}.countries_minute_all {{on_cluster}} AS {{database}}.countries_minute
ENGINE = Distributed({{cluster}}, {{database}}, countries_minute);

CREATE TABLE IF NOT EXISTS {{database}}.dimensions_minute_all {{on_cluster}} AS {{database}}.dimensions_minute
ENGINE = Distributed({{cluster}}, {{database}}, dimensions_minute);

-- Cluster only: the Distributed `events_all` (004) and `visits_all` (008) get the columns 045 added
-- to the local tables.
ALTER TABLE {{database}}.events_all {{on_cluster}}
    ADD COLUMN IF NOT EXISTS region LowCardinality(String) DEFAULT '',
    ADD COLUMN IF NOT EXISTS city   LowCardinality(String) DEFAULT '';

ALTER TABLE {{database}}.visits_all {{on_cluster}}
    ADD COLUMN IF NOT EXISTS region LowCardinality(String) DEFAULT '' AFTER country,
    ADD COLUMN IF NOT EXISTS city   LowCardinality(String) DEFAULT '' AFTER region;

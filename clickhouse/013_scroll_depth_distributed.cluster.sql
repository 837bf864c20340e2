-- Cluster only: the Distributed `events_all` gets the column 012 added to the local tables.
ALTER TABLE {{database}}.events_all {{on_cluster}} ADD COLUMN IF NOT EXISTS scroll_depth UInt16 DEFAULT 0;

-- Cluster only: `visitors_1d_all` gets the columns of 017_visitor_splits.sql.
ALTER TABLE {{database}}.visitors_1d_all {{on_cluster}}
    ADD COLUMN IF NOT EXISTS before Array(UInt64),
    ADD COLUMN IF NOT EXISTS after Array(UInt64);

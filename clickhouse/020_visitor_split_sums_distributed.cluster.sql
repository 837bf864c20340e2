-- Cluster only: `visitors_1d_all` gets the columns of 019_visitor_split_sums.sql.
ALTER TABLE {{database}}.visitors_1d_all {{on_cluster}}
    ADD COLUMN IF NOT EXISTS pageviews_before Array(UInt64),
    ADD COLUMN IF NOT EXISTS customs_before Array(UInt64),
    ADD COLUMN IF NOT EXISTS engagements_before Array(UInt64),
    ADD COLUMN IF NOT EXISTS engaged_ms_before Array(UInt64);

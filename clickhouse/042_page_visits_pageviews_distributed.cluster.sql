-- Cluster only: the Distributed table over every shard's page visit sums (032) gets the sums of the
-- visits holding the path only among their custom events' paths (041_page_visits_pageviews.sql).
ALTER TABLE {{database}}.page_visits_1d_all {{on_cluster}}
    ADD COLUMN IF NOT EXISTS ev_visits    SimpleAggregateFunction(sum, Int64) DEFAULT 0,
    ADD COLUMN IF NOT EXISTS ev_bounces   SimpleAggregateFunction(sum, Int64) DEFAULT 0,
    ADD COLUMN IF NOT EXISTS ev_duration  SimpleAggregateFunction(sum, Int64) DEFAULT 0,
    ADD COLUMN IF NOT EXISTS ev_pageviews SimpleAggregateFunction(sum, Int64) DEFAULT 0;

-- Cluster only: the Distributed table over every shard's whole-site days (021_site_days.sql).
-- Events and visits are sharded by (site, visitor), so a site's day is split across shards: its
-- sums add up, and so do its visitor counts (a visitor is on one shard); a reader sums each day's
-- rows over the shards and uses their counts only when every shard's count is current.
CREATE TABLE IF NOT EXISTS {{database}}.site_days_all {{on_cluster}} AS {{database}}.site_days
ENGINE = Distributed({{cluster}}, {{database}}, site_days);

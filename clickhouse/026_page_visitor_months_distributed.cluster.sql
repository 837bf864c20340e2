-- Cluster only: the Distributed table over every shard's page visitor months (025_page_visitor_months.sql).
CREATE TABLE IF NOT EXISTS {{database}}.page_visitors_1mo_all {{on_cluster}} AS {{database}}.page_visitors_1mo
ENGINE = Distributed({{cluster}}, {{database}}, page_visitors_1mo);

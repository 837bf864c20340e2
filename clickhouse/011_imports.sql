-- Imported history (SPEC §13, docs/imports.md): daily totals brought from Plausible's CSV
-- export or aggregated from Umami's data export, one table per report as in Plausible's
-- export format (`imported_*`), in Tidemark's units (durations in ms). Every row carries its
-- import's id; a table's partition is one import, so deleting an import drops its partitions.
-- Rows count only while their import is `complete` in `imports` (the last version per id):
-- an import that fails or stops half way is never seen, and is dropped.
-- On a cluster every table here is one replica set across all nodes (like 006's settings): an
-- import, its deletion (DROP PARTITION replicates) and Umami's staging are seen by whichever node
-- the API talks to next. They are small next to the events: a day's totals per report row.

CREATE TABLE IF NOT EXISTS {{database}}.imports {{on_cluster}}
(
    site        LowCardinality(String),
    id          UUID,
    source      LowCardinality(String),
    status      LowCardinality(String),
    file        String,
    timezone    String,
    date_from   Date,
    date_to     Date,
    rows        UInt64,
    tables      Array(String),
    error       String,
    created_at  DateTime64(3, 'UTC'),
    updated_at  DateTime64(3, 'UTC'),
    version     UInt64
)
ENGINE = {{global_engine:ReplacingMergeTree(version)}}
ORDER BY (site, id);

CREATE TABLE IF NOT EXISTS {{database}}.imported_visitors {{on_cluster}}
(
    site              LowCardinality(String),
    import_id         UUID,
    date              Date,
    visitors          UInt64,
    pageviews         UInt64,
    bounces           UInt64,
    visits            UInt64,
    visit_duration_ms UInt64
)
ENGINE = {{global_engine:MergeTree}}
PARTITION BY import_id
ORDER BY (site, date);

CREATE TABLE IF NOT EXISTS {{database}}.imported_sources {{on_cluster}}
(
    site              LowCardinality(String),
    import_id         UUID,
    date              Date,
    source            String,
    referrer          String,
    utm_source        String,
    utm_medium        String,
    utm_campaign      String,
    utm_content       String,
    utm_term          String,
    channel           LowCardinality(String),
    pageviews         UInt64,
    visitors          UInt64,
    visits            UInt64,
    visit_duration_ms UInt64,
    bounces           UInt64
)
ENGINE = {{global_engine:MergeTree}}
PARTITION BY import_id
ORDER BY (site, date, source);

CREATE TABLE IF NOT EXISTS {{database}}.imported_pages {{on_cluster}}
(
    site                LowCardinality(String),
    import_id           UUID,
    date                Date,
    hostname            String,
    page                String,
    visits              UInt64,
    visitors            UInt64,
    pageviews           UInt64,
    exits               UInt64,
    time_on_page_ms     UInt64,
    time_on_page_visits UInt64,
    scroll_depth_sum    UInt64,
    scroll_depth_visits UInt64
)
ENGINE = {{global_engine:MergeTree}}
PARTITION BY import_id
ORDER BY (site, date, page);

CREATE TABLE IF NOT EXISTS {{database}}.imported_entry_pages {{on_cluster}}
(
    site              LowCardinality(String),
    import_id         UUID,
    date              Date,
    entry_page        String,
    visitors          UInt64,
    entrances         UInt64,
    visit_duration_ms UInt64,
    bounces           UInt64,
    pageviews         UInt64
)
ENGINE = {{global_engine:MergeTree}}
PARTITION BY import_id
ORDER BY (site, date, entry_page);

CREATE TABLE IF NOT EXISTS {{database}}.imported_exit_pages {{on_cluster}}
(
    site              LowCardinality(String),
    import_id         UUID,
    date              Date,
    exit_page         String,
    visitors          UInt64,
    visit_duration_ms UInt64,
    exits             UInt64,
    bounces           UInt64,
    pageviews         UInt64
)
ENGINE = {{global_engine:MergeTree}}
PARTITION BY import_id
ORDER BY (site, date, exit_page);

CREATE TABLE IF NOT EXISTS {{database}}.imported_custom_events {{on_cluster}}
(
    site      LowCardinality(String),
    import_id UUID,
    date      Date,
    name      String,
    link_url  String,
    path      String,
    visitors  UInt64,
    events    UInt64
)
ENGINE = {{global_engine:MergeTree}}
PARTITION BY import_id
ORDER BY (site, date, name);

CREATE TABLE IF NOT EXISTS {{database}}.imported_locations {{on_cluster}}
(
    site              LowCardinality(String),
    import_id         UUID,
    date              Date,
    country           LowCardinality(String),
    region            String,
    city              UInt64,
    visitors          UInt64,
    visits            UInt64,
    visit_duration_ms UInt64,
    bounces           UInt64,
    pageviews         UInt64
)
ENGINE = {{global_engine:MergeTree}}
PARTITION BY import_id
ORDER BY (site, date, country);

CREATE TABLE IF NOT EXISTS {{database}}.imported_devices {{on_cluster}}
(
    site              LowCardinality(String),
    import_id         UUID,
    date              Date,
    device            LowCardinality(String),
    visitors          UInt64,
    visits            UInt64,
    visit_duration_ms UInt64,
    bounces           UInt64,
    pageviews         UInt64
)
ENGINE = {{global_engine:MergeTree}}
PARTITION BY import_id
ORDER BY (site, date, device);

CREATE TABLE IF NOT EXISTS {{database}}.imported_browsers {{on_cluster}}
(
    site              LowCardinality(String),
    import_id         UUID,
    date              Date,
    browser           LowCardinality(String),
    browser_version   String,
    visitors          UInt64,
    visits            UInt64,
    visit_duration_ms UInt64,
    bounces           UInt64,
    pageviews         UInt64
)
ENGINE = {{global_engine:MergeTree}}
PARTITION BY import_id
ORDER BY (site, date, browser);

CREATE TABLE IF NOT EXISTS {{database}}.imported_operating_systems {{on_cluster}}
(
    site                     LowCardinality(String),
    import_id                UUID,
    date                     Date,
    operating_system         LowCardinality(String),
    operating_system_version String,
    visitors                 UInt64,
    visits                   UInt64,
    visit_duration_ms        UInt64,
    bounces                  UInt64,
    pageviews                UInt64
)
ENGINE = {{global_engine:MergeTree}}
PARTITION BY import_id
ORDER BY (site, date, operating_system);

-- Umami's raw events while an import aggregates them into the tables above; dropped at the
-- end of the import (its partition), whatever the outcome.
CREATE TABLE IF NOT EXISTS {{database}}.imported_umami_events {{on_cluster}}
(
    site            LowCardinality(String),
    import_id       UUID,
    session_id      String,
    visit_id        String,
    created_at      DateTime('UTC'),
    event_type      UInt8,
    event_name      String,
    hostname        String,
    url_path        String,
    referrer_domain String,
    referrer_path   String,
    source          String,
    channel         LowCardinality(String),
    utm_source      String,
    utm_medium      String,
    utm_campaign    String,
    utm_content     String,
    utm_term        String,
    country         LowCardinality(String),
    region          String,
    device          LowCardinality(String),
    browser         LowCardinality(String),
    os              LowCardinality(String)
)
ENGINE = {{global_engine:MergeTree}}
PARTITION BY import_id
ORDER BY (site, visit_id, created_at);

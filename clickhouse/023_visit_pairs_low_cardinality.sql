-- The names and paths of a visit's pageviews and custom events (`visits.pairs`, 005) as
-- LowCardinality strings (issue 18): a site has few distinct names and paths against many
-- visits, and every Query API statement that filters by a page or counts visitors by page under
-- a visit filter reads this column for every visit of its range. Dictionary-encoded, it reads
-- about 2–3 times faster and holds the same values (docs/storage.md "Visits"); the ingester
-- writes the same JSON into it. ClickHouse rewrites the column in the existing parts (a
-- mutation; a part not yet rewritten reads converted). Runs twice safely: modifying a column to
-- the type it has changes nothing.
ALTER TABLE {{database}}.visits {{on_cluster}}
    MODIFY COLUMN pairs Array(Tuple(name LowCardinality(String), path LowCardinality(String))) CODEC(ZSTD(1));

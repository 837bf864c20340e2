-- The paths of a visit's pageviews as hashes (issue 18: a goals row click on a pageview goal whose
-- glob has wildcards, `/page/1*`, filters the whole dashboard by the visits holding a pageview of
-- any matching path, once each however many they hold; per-path sums cannot add up to that, so
-- the visit statements read every visit of the month with its (name, path) pairs and match the
-- glob on each pair: 0.4 s of CPU a scan at 10M events). `cityHash64` of each distinct path of
-- the visit's pageviews, computed by ClickHouse from `pairs` as a row is written (MATERIALIZED:
-- the ingester's inserts do not name it); the Query API expands the glob to the matching paths
-- of the site's visits in the range (`page_visits_1d`, 031) and tests their hashes' membership
-- (docs/storage.md "Visits"). The rows already written get the column by a mutation; a part not
-- yet rewritten computes it as it is read, so answers never depend on the mutation's progress.
-- Both statements run twice safely (the column exists; materializing it again writes the same).
ALTER TABLE {{database}}.visits {{on_cluster}}
    ADD COLUMN IF NOT EXISTS pageview_paths Array(UInt64)
        MATERIALIZED arrayDistinct(arrayMap(p -> cityHash64(p), arrayFilter((p, n) -> n = 'pageview', pairs.path, pairs.name)));

ALTER TABLE {{database}}.visits {{on_cluster}} MATERIALIZE COLUMN pageview_paths;

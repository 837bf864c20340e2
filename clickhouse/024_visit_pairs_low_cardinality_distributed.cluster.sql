-- Cluster only: the Distributed `visits_all` (008) takes the type 023 gave the local tables' `pairs`.
ALTER TABLE {{database}}.visits_all {{on_cluster}}
    MODIFY COLUMN pairs Array(Tuple(name LowCardinality(String), path LowCardinality(String)));

-- Alerts and reports (SPEC §12; docs/alerts.md). Like the settings tables of 006, each is one
-- replica set across every shard on a cluster (`global_engine`): every dashboard-api instance,
-- whichever node it talks to, sees the same rules, claims and lease, and a deduplication token
-- is checked against the one set of block ids in Keeper. Rules and report schedules, one row per version
-- (the latest wins; a deletion is a version with deleted = 1). Each row's `definition` is the
-- rule as JSON, channel secrets included: the API never answers them.
CREATE TABLE IF NOT EXISTS {{database}}.alert_rules {{on_cluster}}
(
    id          String,
    kind        LowCardinality(String),
    site        String,
    version     UInt64,
    deleted     UInt8,
    definition  String CODEC(ZSTD(1)),
    created_at  DateTime64(3, 'UTC')
)
ENGINE = {{global_engine:ReplacingMergeTree(version)}}
ORDER BY id;

-- Notices: each state change of a rule (seq 1, 2, …: firing, resolved, firing, …) and each report
-- period (seq = the period's first day number). A notice is claimed by inserting it with the
-- deduplication token `<rule>:<seq>`: ClickHouse keeps the first insert of a token and drops the
-- others, so when several evaluators race, exactly one row (one claimant) exists per notice.
CREATE TABLE IF NOT EXISTS {{database}}.alert_notices {{on_cluster}}
(
    rule_id     String,
    seq         UInt64,
    state       LowCardinality(String),
    value       Float64,
    threshold   Float64,
    at          DateTime64(3, 'UTC'),
    claimed_by  String
)
ENGINE = {{global_engine:MergeTree}}
ORDER BY (rule_id, seq)
TTL toDateTime(at) + INTERVAL 2 YEAR
SETTINGS non_replicated_deduplication_window = 100000, replicated_deduplication_window = 10000;

-- Every delivery attempt of a notice to a channel (the delivery log per rule).
CREATE TABLE IF NOT EXISTS {{database}}.alert_deliveries {{on_cluster}}
(
    rule_id     String,
    seq         UInt64,
    state       LowCardinality(String),
    channel     UInt8,
    type        LowCardinality(String),
    target      String,
    attempt     UInt16,
    ok          UInt8,
    final       UInt8,
    status      UInt16,
    error       String,
    duration_ms UInt32,
    at          DateTime64(3, 'UTC')
)
ENGINE = {{global_engine:MergeTree}}
ORDER BY (rule_id, at)
TTL toDateTime(at) + INTERVAL 90 DAY;

-- The evaluator lease: one row per term, claimed like a notice (token `lease:<term>`): the
-- first insert of a term's token is its holder; only the holder evaluates during that term.
CREATE TABLE IF NOT EXISTS {{database}}.alert_lease {{on_cluster}}
(
    term        UInt64,
    holder      String,
    at          DateTime64(3, 'UTC'),
    inserted    DateTime('UTC') DEFAULT now()
)
ENGINE = {{global_engine:MergeTree}}
ORDER BY term
TTL inserted + INTERVAL 1 DAY
SETTINGS non_replicated_deduplication_window = 100000, replicated_deduplication_window = 10000;

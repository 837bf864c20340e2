-- Sites, API keys, shared links, users, sign-in sessions and the audit log (SPEC §11; the
-- design is docs/admin.md, "Storage"). Small tables every dashboard-api and collector instance
-- reads into memory and re-reads within seconds of a change. A change is a new row with a
-- higher `version` (ReplacingMergeTree keeps the newest per key; readers use FINAL); a removal
-- is such a row with `deleted = 1`. On a cluster they are replicated to every node (one
-- keeper path for the whole cluster, not one per shard), so any node answers for all.
CREATE TABLE IF NOT EXISTS {{database}}.sites {{on_cluster}}
(
    site              String,
    timezone          String,
    hostnames         Array(String),
    exclude_ips       Array(String),
    exclude_paths     Array(String),
    exclude_countries Array(String),
    goals             String,
    umami_website_id  String,
    public            UInt8,
    created_at        DateTime64(3, 'UTC'),
    updated_at        DateTime64(3, 'UTC'),
    version           UInt64,
    deleted           UInt8
)
ENGINE = {{global_engine:ReplacingMergeTree(version)}}
ORDER BY site;

CREATE TABLE IF NOT EXISTS {{database}}.api_keys {{on_cluster}}
(
    id         String,
    name       String,
    prefix     String,
    hash       String,
    scopes     Array(String),
    sites      Array(String),
    created_at DateTime64(3, 'UTC'),
    created_by String,
    version    UInt64,
    deleted    UInt8
)
ENGINE = {{global_engine:ReplacingMergeTree(version)}}
ORDER BY id;

-- When each key was last used: every instance writes what it saw every few seconds.
CREATE TABLE IF NOT EXISTS {{database}}.api_key_uses {{on_cluster}}
(
    key_id  String,
    used_at DateTime64(3, 'UTC')
)
ENGINE = {{global_engine:ReplacingMergeTree(used_at)}}
ORDER BY key_id;

CREATE TABLE IF NOT EXISTS {{database}}.shared_links {{on_cluster}}
(
    slug            String,
    site            String,
    name            String,
    password_hash   String,
    filters         String,
    frame_ancestors Array(String),
    created_at      DateTime64(3, 'UTC'),
    created_by      String,
    version         UInt64,
    deleted         UInt8
)
ENGINE = {{global_engine:ReplacingMergeTree(version)}}
ORDER BY slug;

-- People signed in by the reverse proxy (AUTH_PROXY_HEADER), by the name it sends.
CREATE TABLE IF NOT EXISTS {{database}}.users {{on_cluster}}
(
    user       String,
    role       String,
    sites      Array(String),
    created_at DateTime64(3, 'UTC'),
    created_by String,
    version    UInt64,
    deleted    UInt8
)
ENGINE = {{global_engine:ReplacingMergeTree(version)}}
ORDER BY user;

-- Dashboard sign-ins with a key: the cookie holds a random id, this table its SHA-256.
CREATE TABLE IF NOT EXISTS {{database}}.sessions {{on_cluster}}
(
    id_hash    String,
    subject    String,
    created_at DateTime64(3, 'UTC'),
    expires_at DateTime64(3, 'UTC'),
    version    UInt64,
    deleted    UInt8
)
ENGINE = {{global_engine:ReplacingMergeTree(version)}}
ORDER BY id_hash
TTL toDateTime(expires_at) + INTERVAL 1 DAY;

-- Who changed what, when: one row per admin action (never a secret).
CREATE TABLE IF NOT EXISTS {{database}}.audit_log {{on_cluster}}
(
    at      DateTime64(3, 'UTC'),
    actor   String,
    action  LowCardinality(String),
    site    String,
    target  String,
    details String,
    ip      String
)
ENGINE = {{global_engine:MergeTree}}
ORDER BY at;

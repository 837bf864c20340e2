/** Every table name, topic default and hard limit lives here, once. */

export const TABLES = {
  events: 'events',
  migrations: 'schema_migrations',
  /** The ingester's write-ahead of batch offset ranges (clickhouse/003_ingest_ranges.sql). */
  ingestRanges: 'ingest_ranges',
  /** One row per visit, cut by the ingester (clickhouse/005_visits.sql). */
  visits: 'visits',
  /** Sites, keys, links, users, sessions and the audit log (clickhouse/006_access.sql, SPEC §11). */
  sites: 'sites',
  apiKeys: 'api_keys',
  apiKeyUses: 'api_key_uses',
  sharedLinks: 'shared_links',
  users: 'users',
  sessions: 'sessions',
  auditLog: 'audit_log',
} as const;

export const LIMITS = {
  /** Largest body of a single event, in bytes. */
  eventBytes: 8 * 1024,
  /** Largest body of an array of events, in bytes. */
  batchBytes: 256 * 1024,
  /** Most events in one request. */
  batchEvents: 100,
  siteChars: 253,
  nameChars: 64,
  urlChars: 2048,
  referrerChars: 2048,
  durationMs: 86_400_000,
  screenWidth: 20_000,
  propsKeys: 30,
  propKeyChars: 64,
  propValueChars: 256,
  /** A server-side event's `userAgent` (SPEC §11). */
  userAgentChars: 1024,
  /** How far back a server-side event's `timestamp` may lie (SPEC §11: 30 days). */
  backdateMs: 30 * 86_400_000,
  /** How far ahead of the collector's clock a server-side `timestamp` may lie (SPEC §11: 1 minute). */
  aheadMs: 60_000,
} as const;

/** Event names with a meaning of their own; anything else is a custom event. */
export const PAGEVIEW = 'pageview';
export const ENGAGEMENT = 'engagement';

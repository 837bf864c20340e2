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
  /** Imports of other products' history, one row version per change (clickhouse/011_imports.sql). */
  imports: 'imports',
  /** Umami's raw events while an import aggregates them. */
  importedUmamiEvents: 'imported_umami_events',
  /** Alert rules and report schedules, their notices, delivery log and evaluator lease (clickhouse/014_alerts.sql). */
  alertRules: 'alert_rules',
  alertNotices: 'alert_notices',
  alertDeliveries: 'alert_deliveries',
  alertLease: 'alert_lease',
} as const;

/** The imported daily totals, one table per report, as Plausible's export names them (SPEC §13). */
export const IMPORTED_TABLES = [
  'imported_visitors',
  'imported_sources',
  'imported_pages',
  'imported_entry_pages',
  'imported_exit_pages',
  'imported_custom_events',
  'imported_locations',
  'imported_devices',
  'imported_browsers',
  'imported_operating_systems',
] as const;
export type ImportedTable = (typeof IMPORTED_TABLES)[number];

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
  /** An engagement's `scrollDepth`, in percent. */
  scrollDepth: 100,
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

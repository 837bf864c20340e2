export { createIngesterApp } from './app.ts';
export { batchToken, createIngester, type Ingester, type InsertFormat } from './ingester.ts';
export { createIngesterMetrics, type IngesterMetrics } from './metrics.ts';
export { loadMigrations, MIGRATIONS_DIR, migrate, renderMigration } from './migrate.ts';
export { createRangeLog } from './ranges.ts';
export { createRecentIds, type RecentIds } from './recent-ids.ts';
export { PartitionVisits } from './visits/partition.ts';
export { createVisitTracker, type VisitTracker } from './visits/tracker.ts';
export { VISIT_GAP_MS, type Visit } from './visits/visit.ts';

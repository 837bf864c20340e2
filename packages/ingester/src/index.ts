export { createIngesterApp } from './app.ts';
export { BatchBody } from './batch-body.ts';
export { batchToken, createIngester, type Ingester, type InsertFormat } from './ingester.ts';
export { createIngesterMetrics, type IngesterMetrics } from './metrics.ts';
export { loadMigrations, MIGRATIONS_DIR, migrate, renderMigration } from './migrate.ts';
export { createRangeLog, type OffsetRange, type RangeLog } from './ranges.ts';
export { createRecentIds, type RecentIds } from './recent-ids.ts';

/**
 * The dashboard-api over the data the dashboard bench kept (`BENCH_DASHBOARD_DATA=<dir>`), for
 * the tools that look into its clicks (`dashboard-clicks.ts`, `dashboard-trace.ts`): the built UI,
 * the embedded engine on that directory, the bench site's goals as the caller sets them.
 */
import type { DashboardApp, Goal } from '@tidemark/dashboard-api';
import { ensureUiBuilt } from '@tidemark/dashboard-ui/build';
import { type ClickHouseClient, createAccessRegistry, createClickHouse, loadConfig, plainLogger } from '@tidemark/shared';
import { Registry } from 'prom-client';

export const SITE = 'bench.example';

export interface KeptDashboard {
  dir: string;
  client: ClickHouseClient;
  app: DashboardApp;
  /** The bench site's configured goals from now on: none (every custom event name a goal), or these. */
  useGoals(goals: Goal[] | null): void;
  /** Closes the app and the engine once its running queries have returned. */
  close(): Promise<void>;
}

export async function keptDashboard(): Promise<KeptDashboard> {
  const dir = process.env.BENCH_DASHBOARD_DATA;
  if (!dir) throw new Error('BENCH_DASHBOARD_DATA=<dir> of seeded data');
  await ensureUiBuilt();
  const { createDashboardApp } = await import('@tidemark/dashboard-api');
  const config = loadConfig({ DATA_DIR: dir, CLICKHOUSE_DATABASE: 'bench_dashboard' });
  const client = createClickHouse(config.clickhouse);
  const log = plainLogger('warn');
  const access = createAccessRegistry({ client, database: 'bench_dashboard', log });
  let goals: Goal[] | null = null;
  const siteGoals = (site: string) => (site === SITE ? goals : null);
  const app = createDashboardApp({ client, database: 'bench_dashboard', token: null, access, log, registry: new Registry(), siteGoals });
  return {
    dir,
    client,
    app,
    useGoals: (g) => {
      goals = g;
    },
    close: async () => {
      // The embedded engine runs parameterized queries one after another: one more returns once
      // the page's last have (closing the engine under a running query crashes the process).
      await client.query({ query: 'SELECT {x:UInt8} AS x', query_params: { x: 1 }, format: 'JSONEachRow' }).catch(() => {});
      app.close();
      await client.close();
    },
  };
}

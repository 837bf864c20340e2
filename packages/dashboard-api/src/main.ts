/** `pnpm --filter @tidemark/dashboard-api start`: the Stats API over ClickHouse. */
import { serve } from '@hono/node-server';
import { createClickHouse, runMain } from '@tidemark/shared';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { createDashboardApp } from './app.ts';
import { apiHost } from './host.ts';

runMain('dashboard-api', async (config, log) => {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const client = createClickHouse(config.clickhouse);
  const app = createDashboardApp({ client, database: config.clickhouse.database, token: config.api.token, log, registry });
  const { host, note } = apiHost(config.api);
  if (note) log.warn(note);
  const server = serve({ fetch: app.fetch, hostname: host, port: config.api.port });
  log.info({ host, port: config.api.port, auth: config.api.token !== null }, 'dashboard_api_started');
  return async () => {
    await new Promise((resolve) => server.close(resolve));
    await client.close();
  };
});

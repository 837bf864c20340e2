/** `pnpm --filter @tidemark/dashboard-api start`: the Stats API over ClickHouse. */
import { serve } from '@hono/node-server';
import { createClickHouse, listening, runMain } from '@tidemark/shared';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { createDashboardApp, dashboardSettings } from './app.ts';
import { apiHost } from './host.ts';

runMain('dashboard-api', async (config, log) => {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const client = createClickHouse(config.clickhouse);
  // No queue consumer here (distributed mode): /freshness reports queueBacklog null.
  const app = createDashboardApp({ client, log, registry, ...dashboardSettings(config) });
  const { host, note } = apiHost(config.api);
  if (note) log.warn(note);
  const server = serve({ fetch: app.fetch, hostname: host, port: config.api.port });
  await listening(server);
  log.info({ host, port: config.api.port, auth: config.api.token !== null, cors: config.api.corsOrigins ?? [] }, 'dashboard_api_started');
  return async () => {
    app.close();
    await new Promise((resolve) => server.close(resolve));
    await client.close();
  };
});

/** `pnpm --filter @tidemark/dashboard-api start`: the Stats API over ClickHouse. */
import { serve } from '@hono/node-server';
import { createAccessRegistry, createClickHouse, listening, runMain } from '@tidemark/shared';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { createDashboardApp, dashboardSettings } from './app.ts';
import { apiHost } from './host.ts';

runMain('dashboard-api', async (config, log) => {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const client = createClickHouse(config.clickhouse);
  const access = createAccessRegistry({ client, database: config.clickhouse.database, log });
  await access.start();
  // No queue consumer here (distributed mode): /freshness reports queueBacklog null.
  const app = createDashboardApp({ client, log, registry, access, ...dashboardSettings(config) });
  const { host, note } = apiHost(config.api);
  if (note) log.warn(note);
  const server = serve({ fetch: app.fetch, hostname: host, port: config.api.port });
  await listening(server);
  log.info(
    {
      host,
      port: config.api.port,
      auth: config.api.token !== null,
      authProxy: config.api.authProxy?.header ?? null,
      cors: config.api.corsOrigins ?? [],
    },
    'dashboard_api_started',
  );
  return async () => {
    app.close();
    await new Promise((resolve) => server.close(resolve));
    await access.close();
    await client.close();
  };
});

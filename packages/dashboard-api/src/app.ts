/** The Stats API (SPEC §6), its SSE stream, OpenAPI document and the live dashboard page. */
import { type ClickHouseClient, type Config, type Logger, ValidationError } from '@tidemark/shared';
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { bearerAuth } from './auth.ts';
import { loopbackHostOnly } from './host.ts';
import { openApiDocument, ROUTE_DOCS } from './openapi.ts';
import { parseRange } from './params.ts';
import { tableNames } from './queries/tables.ts';
import { mountPage } from './routes/page.ts';
import { mountQuery } from './routes/query.ts';
import { liveAnswer, mountStats } from './routes/stats.ts';
import { mountStream } from './routes/stream.ts';
import { createStreamHub, type HubOptions } from './stream/hub.ts';
import { liveOnV2 } from './v1/on-v2.ts';

export interface DashboardOptions {
  client: ClickHouseClient;
  database: string;
  token: string | null;
  log: Logger;
  registry: Registry;
  /** Origins allowed to call the API from a browser (`API_CORS_ORIGINS`); `['*']` for any; none by default. */
  corsOrigins?: string[] | null;
  /** Events accepted but not yet stored, when this process sees the queue (embedded mode). */
  backlog?: () => Promise<number | null>;
  /** Read the `*_all` Distributed tables (a ClickHouse cluster, `CLICKHOUSE_CLUSTER`). */
  distributed?: boolean;
  /** The clock (tests pin it to answer over a seeded dataset). */
  now?: () => number;
  stream?: Omit<HubOptions, 'read' | 'log' | 'onDrop' | 'onClients'>;
  /** `RETENTION_DAYS`: how far back raw events reach (the Query API says when a range was cut). */
  retentionDays?: number;
  /** A site's default time zone (the sites registry, SPEC §11); null → UTC. */
  siteTimezone?: (site: string) => string | null;
}

/** The options that come from configuration, the same in the API's own process and the one-process mode. */
export function dashboardSettings(
  config: Config,
): Pick<DashboardOptions, 'database' | 'token' | 'corsOrigins' | 'distributed' | 'retentionDays'> {
  return {
    database: config.clickhouse.database,
    retentionDays: config.clickhouse.retentionDays,
    token: config.api.token,
    corsOrigins: config.api.corsOrigins,
    distributed: config.clickhouse.cluster !== null,
  };
}

export type DashboardApp = Hono & {
  /** Ends every open stream (call before closing the server, which waits for them). */
  close(): void;
};

function metrics(registry: Registry) {
  return {
    seconds: new Histogram({
      name: 'tidemark_api_query_seconds',
      help: 'Stats API ClickHouse query time by route',
      labelNames: ['route'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    failed: new Counter({
      name: 'tidemark_api_query_failures_total',
      help: 'Stats API queries that failed',
      labelNames: ['route'],
      registers: [registry],
    }),
    clients: new Gauge({ name: 'tidemark_api_stream_clients', help: 'Open /api/v1/stream connections', registers: [registry] }),
    dropped: new Counter({
      name: 'tidemark_api_stream_dropped_total',
      help: 'Stream connections dropped (slow: stopped reading) or refused (full)',
      labelNames: ['reason'],
      registers: [registry],
    }),
  };
}

export function createDashboardApp({
  client,
  database,
  token,
  log,
  registry,
  corsOrigins = null,
  backlog,
  distributed = false,
  now = Date.now,
  stream = {},
  retentionDays = 90,
  siteTimezone = () => null,
}: DashboardOptions): DashboardApp {
  const m = metrics(registry);
  const tables = tableNames(database, distributed);
  const timed = async <T>(route: string, run: () => Promise<T>): Promise<T> => {
    const end = m.seconds.startTimer({ route });
    try {
      return await run();
    } catch (err) {
      m.failed.inc({ route });
      throw err;
    } finally {
      end();
    }
  };
  const hub = createStreamHub({
    ...stream,
    log,
    onDrop: (reason) => m.dropped.inc({ reason }),
    onClients: (count) => m.clients.set(count),
    async read(site, window) {
      const range = parseRange({ window }, '5m', now());
      const numbers = await timed('stream', () => liveOnV2({ client, tables, now, retentionDays }, site, range.from, range.to));
      return { data: liveAnswer(site, range, numbers), signature: `${numbers.views}/${numbers.visitors}/${numbers.avgDurationMs}` };
    },
  });

  const app = new Hono();
  app.use('*', loopbackHostOnly(token));
  app.get('/healthz', (c) => c.json({ ok: true }));
  // Behind the token when there is one: in the one-process mode the registry holds every service's metrics.
  app.get('/metrics', bearerAuth({ token }), async (c) => c.text(await registry.metrics(), 200, { 'Content-Type': registry.contentType }));
  const document = openApiDocument();
  app.get('/openapi.json', (c) => c.json(document));
  mountPage(app);

  const api = new Hono();
  const v2 = new Hono();
  if (corsOrigins && corsOrigins.length > 0) {
    const origin = corsOrigins.includes('*') ? '*' : corsOrigins;
    api.use('*', cors({ origin, allowHeaders: ['Authorization'], allowMethods: ['GET'], maxAge: 600 }));
    v2.use('*', cors({ origin, allowHeaders: ['Authorization', 'Content-Type', 'Accept'], allowMethods: ['POST'], maxAge: 600 }));
  }
  api.use('*', bearerAuth({ token, queryTokenPaths: ['/api/v1/stream'] }));
  v2.use('*', bearerAuth({ token }));
  const stats = { client, tables, now, backlog: backlog ?? null, timed, retentionDays };
  mountStats(api, stats);
  mountStream(api, hub);
  mountQuery(v2, { ...stats, siteTimezone });
  // The routes answer GET (and HEAD) only, the Query API POST: any other method is a 405 naming them, not a 404.
  for (const { path } of ROUTE_DOCS) {
    api.all(path.slice('/api/v1'.length), (c) =>
      c.json({ error: `method ${c.req.method} not allowed: use GET` }, 405, { Allow: 'GET, HEAD' }),
    );
  }
  v2.all('/query', (c) => c.json({ error: `method ${c.req.method} not allowed: use POST` }, 405, { Allow: 'POST' }));
  app.route('/api/v1', api);
  app.route('/api/v2', v2);

  app.notFound((c) => c.json({ error: 'not found' }, 404));
  app.onError((error, c) => {
    if (error instanceof ValidationError) return c.json({ error: error.message, field: error.field }, 400);
    log.error({ err: error, path: c.req.path }, 'request_failed');
    return c.json({ error: 'internal error' }, 500);
  });
  return Object.assign(app, { close: () => hub.close() });
}

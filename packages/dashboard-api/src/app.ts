/**
 * The Stats API (SPEC §6), its SSE stream, the admin API of sites, keys, shared links, users
 * and the audit log (SPEC §11), funnels, goals, alerts and reports (SPEC §12), sign-in, the OpenAPI
 * document, and the dashboard's pages.
 */
import {
  type AccessRegistry,
  addressMatcher,
  type ClickHouseClient,
  type Config,
  createRateLimiter,
  type Logger,
  ValidationError,
} from '@tidemark/shared';
import { Hono } from 'hono';
import { cors } from 'hono/cors';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { mountAudit } from './admin/audit.ts';
import { type AdminContext, Conflict, NotFound, UnsupportedType } from './admin/common.ts';
import { mountKeys } from './admin/keys.ts';
import { mountLinks } from './admin/links.ts';
import { mountSites } from './admin/sites.ts';
import { mountUsers } from './admin/users.ts';
import type { SmtpOptions } from './alerts/deliver.ts';
import { createEvaluator, type Evaluator, type EvaluatorOptions } from './alerts/evaluator.ts';
import { createAlertStore } from './alerts/store.ts';
import { type ApiEnv, type AuthDeps, isHttps } from './auth/context.ts';
import { AccessDenied, createGuard } from './auth/guard.ts';
import { authenticate } from './auth/middleware.ts';
import { queryGuard } from './auth/query-guard.ts';
import { loopbackHostOnly } from './host.ts';
import { createImportStore } from './imports/store.ts';
import { openApiDocument } from './openapi.ts';
import { parseRange } from './params.ts';
import { tableNames } from './queries/tables.ts';
import { mountAlerts } from './routes/alerts.ts';
import { mountExport } from './routes/export.ts';
import { mountFunnel } from './routes/funnel.ts';
import { mountGoals } from './routes/goals.ts';
import { mountImports } from './routes/imports.ts';
import { mountPage } from './routes/page.ts';
import { mountProperties } from './routes/properties.ts';
import { mountQuery } from './routes/query.ts';
import { mountQueryBatch } from './routes/query-batch.ts';
import { mountSession, mountSignIn } from './routes/session.ts';
import { mountShare } from './routes/share.ts';
import { liveAnswer, mountStats } from './routes/stats.ts';
import { mountStream } from './routes/stream.ts';
import { createStreamHub, type HubOptions } from './stream/hub.ts';
import { liveOnV2 } from './v1/on-v2.ts';
import type { GoalLookup } from './v2/goals.ts';

export interface DashboardOptions {
  client: ClickHouseClient;
  database: string;
  token: string | null;
  /** Sites, keys, shared links, users and sessions (SPEC §11), kept fresh by the caller (`start()`). */
  access: AccessRegistry;
  /** Sign-in through a reverse proxy (`AUTH_PROXY_HEADER`, `AUTH_PROXY_CIDRS`). */
  authProxy?: Config['api']['authProxy'];
  /** `TRUST_PROXY`: client addresses from `X-Forwarded-For` (rate limits, audit log). */
  trustProxy?: boolean;
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
  /** Failed sign-ins per client address per minute before it gets 429 (0: no limit; a fuzzer's run). */
  failedSignInsPerMinute?: number;
  stream?: Omit<HubOptions, 'read' | 'log' | 'onDrop' | 'onClients'>;
  /** `RETENTION_DAYS`: how far back raw events reach (the Query API says when a range was cut). */
  retentionDays?: number;
  /** A site's default time zone; default: the sites registry's (SPEC §11); null → UTC. */
  siteTimezone?: (site: string) => string | null;
  /** A site's goals; default: the sites registry's (SPEC §12); none → every custom event name is a goal. */
  siteGoals?: GoalLookup;
  /** Alerts and reports (SPEC §12): their API is always mounted; `evaluate` runs this instance's evaluator loop. */
  alerts?: AlertsOptions;
}

export interface AlertsOptions {
  /** `SMTP_URL`: e-mail channels are refused without it. */
  smtp?: SmtpOptions | null;
  /** Run the evaluator loop here (the lease lets one instance of many evaluate). Default: off. */
  evaluate?: boolean;
  /** The dashboard's address, linked from notices. */
  dashboardUrl?: string;
  delivery?: EvaluatorOptions['delivery'];
  leaseMs?: number;
}

/** The options that come from configuration, the same in the API's own process and the one-process mode. */
export function dashboardSettings(
  config: Config,
): Pick<DashboardOptions, 'database' | 'token' | 'corsOrigins' | 'distributed' | 'authProxy' | 'trustProxy' | 'retentionDays' | 'alerts'> {
  return {
    alerts: {
      smtp: config.api.smtpUrl ? { url: config.api.smtpUrl, from: config.api.smtpFrom } : null,
      evaluate: true,
      dashboardUrl: `http://${config.api.host === '0.0.0.0' ? '127.0.0.1' : config.api.host}:${config.api.port}/`,
    },
    database: config.clickhouse.database,
    retentionDays: config.clickhouse.retentionDays,
    token: config.api.token,
    corsOrigins: config.api.corsOrigins,
    distributed: config.clickhouse.cluster !== null,
    authProxy: config.api.authProxy,
    trustProxy: config.api.trustProxy,
  };
}

/** Failed sign-ins (wrong keys, unknown sessions) allowed per client address per minute. */
export const FAILED_SIGN_INS_PER_MINUTE = 20;

export type DashboardApp = Hono<ApiEnv> & {
  /** Ends every open stream (call before closing the server, which waits for them) and stops the alert evaluator. */
  close(): void;
  /** The alert evaluator (its loop runs only with `alerts.evaluate`). */
  alerts: Evaluator;
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
    evaluations: new Histogram({
      name: 'tidemark_alert_evaluation_seconds',
      help: 'Alert rule evaluations (each runs its query) by this instance',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers: [registry],
    }),
    evaluationFailures: new Counter({
      name: 'tidemark_alert_evaluation_failures_total',
      help: 'Alert rule evaluations that failed (retried at the next interval)',
      registers: [registry],
    }),
    alertQueries: new Counter({
      name: 'tidemark_alert_queries_total',
      help: 'Distinct queries the alert evaluator ran (rules due together that share a query share its answer)',
      registers: [registry],
    }),
    notices: new Counter({
      name: 'tidemark_alert_notices_total',
      help: 'Alert notices claimed by this instance, by state',
      labelNames: ['state'],
      registers: [registry],
    }),
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
  access,
  authProxy = null,
  trustProxy = false,
  log,
  registry,
  corsOrigins = null,
  backlog,
  distributed = false,
  now = Date.now,
  failedSignInsPerMinute = FAILED_SIGN_INS_PER_MINUTE,
  stream = {},
  retentionDays = 90,
  siteTimezone = (site) => access.current().sites.get(site)?.timezone ?? null,
  siteGoals = (site) => access.current().sites.get(site)?.goals ?? null,
  alerts = {},
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
    async read(site, window, locked) {
      const range = parseRange({ window }, '5m', now());
      const numbers = await timed('stream', () => liveOnV2({ client, tables, now, retentionDays, locked }, site, range.from, range.to));
      return { data: liveAnswer(site, range, numbers), signature: `${numbers.views}/${numbers.visitors}/${numbers.avgDurationMs}` };
    },
  });

  const deps: AuthDeps = {
    token,
    proxy: authProxy ? { header: authProxy.header, trusted: addressMatcher(authProxy.cidrs) } : null,
    registry: access,
    failures: createRateLimiter({ limit: failedSignInsPerMinute, now }),
    trustProxy,
    log,
    now,
  };
  const guard = createGuard(access);
  const admin: AdminContext = { registry: access, now, https: (c) => isHttps(c, trustProxy) };

  const auth = authenticate(deps);

  const app = new Hono<ApiEnv>();
  // The open mode trusts whoever reaches it: against DNS rebinding, only requests naming a loopback host.
  if (token === null && authProxy === null) app.use('*', loopbackHostOnly());
  app.get('/healthz', (c) => c.json({ ok: true }));
  // Every site's numbers, and in the one-process mode every service's: stats:read on every site
  // (API_TOKEN, an admin, a key of all sites; anyone in the open mode).
  app.get('/metrics', auth, async (c) => {
    guard.all(c, 'stats:read');
    return c.text(await registry.metrics(), 200, { 'Content-Type': registry.contentType });
  });
  const document = openApiDocument();
  app.get('/openapi.json', (c) => c.json(document));
  mountPage(app);
  mountShare(app, deps);

  if (corsOrigins && corsOrigins.length > 0) {
    const origin = corsOrigins.includes('*') ? '*' : corsOrigins;
    app.use('/api/v1/*', cors({ origin, allowHeaders: ['Authorization'], allowMethods: ['GET'], maxAge: 600 }));
    for (const path of ['/api/v2/query', '/api/v2/query/batch', '/api/v2/funnel'])
      app.use(path, cors({ origin, allowHeaders: ['Authorization', 'Content-Type', 'Accept'], allowMethods: ['POST'], maxAge: 600 }));
  }
  // Sign-in needs no principal; everything else under /api does.
  mountSignIn(app, deps);
  app.use('/api/*', auth);

  const api = new Hono<ApiEnv>();
  mountSession(api, deps);
  app.route('/api', api);

  const stats = { client, tables, now, backlog: backlog ?? null, timed, guard, access, retentionDays };
  const v1 = new Hono<ApiEnv>();
  v1.use('*', guard.scope('stats:read'));
  mountStats(v1, stats);
  mountStream(v1, hub, guard);
  app.route('/api/v1', v1);

  const v2 = new Hono<ApiEnv>();
  // stats:read on every site the query names; a shared link's locked filters held in the body.
  v2.use('/query', guard.scope('stats:read'), queryGuard(guard));
  mountQuery(v2, { ...stats, siteTimezone, siteGoals });
  // Several queries in one request, each checked as above (routes/query-batch.ts).
  mountQueryBatch(v2, { ...stats, siteTimezone, siteGoals, log });
  // The same for a funnel; a shared link's locked filters are held in each of its steps (routes/funnel.ts).
  v2.use('/funnel', guard.scope('stats:read'), queryGuard(guard, false));
  mountFunnel(v2, { ...stats, siteTimezone, siteGoals });
  mountGoals(v2, { ...stats, siteTimezone, siteGoals });
  mountProperties(v2, stats);
  const store = createAlertStore(client, database);
  const queryContext = { client, tables, retentionDays, goals: siteGoals, siteTimezone };
  const evaluator = createEvaluator({
    ...queryContext,
    store,
    log,
    now,
    smtp: alerts.smtp ?? null,
    dashboardUrl: alerts.dashboardUrl ?? 'http://127.0.0.1:8081/',
    ...(alerts.delivery ? { delivery: alerts.delivery } : {}),
    ...(alerts.leaseMs ? { leaseMs: alerts.leaseMs } : {}),
    observe: {
      evaluation: (seconds, failed) => (failed ? m.evaluationFailures.inc() : m.evaluations.observe(seconds)),
      notice: (state) => m.notices.inc({ state }),
      queries: (count) => m.alertQueries.inc(count),
    },
  });
  // Rules are read with stats:read on their site and managed with sites:admin (routes/alerts.ts).
  mountAlerts(v2, { ...queryContext, store, evaluator, smtp: (alerts.smtp ?? null) !== null, now, guard, admin });
  if (alerts.evaluate) evaluator.start();
  mountSites(v2, guard, admin);
  mountLinks(v2, guard, admin);
  mountKeys(v2, guard, admin);
  mountUsers(v2, guard, admin);
  mountAudit(v2, guard, admin);
  mountExport(v2, guard, admin, { client, tables });
  mountImports(v2, guard, admin, { client, database, store: createImportStore(client, database), now, siteTimezone });
  app.route('/api/v2', v2);

  // A documented path answers the methods it does not document with 405 naming those it does, not 404
  // (v1: GET, HEAD; the Query API and funnels: POST).
  for (const [path, operations] of Object.entries(document.paths as Record<string, object>)) {
    const methods = Object.keys(operations).map((m) => m.toUpperCase());
    const allow = (methods.includes('GET') ? [...methods, 'HEAD'] : methods).join(', ');
    app.all(path.replace(/\{(\w+)\}/g, ':$1'), (c) =>
      c.json({ error: `method ${c.req.method} not allowed: use ${allow}` }, 405, { Allow: allow }),
    );
  }

  app.notFound((c) => c.json({ error: 'not found' }, 404));
  app.onError((error, c) => {
    if (error instanceof ValidationError) return c.json({ error: error.message, field: error.field }, 400);
    if (error instanceof AccessDenied) {
      return c.json({ error: error.message }, error.status, error.status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {});
    }
    if (error instanceof NotFound) return c.json({ error: error.message }, 404);
    if (error instanceof Conflict) return c.json({ error: error.message }, 409);
    if (error instanceof UnsupportedType) return c.json({ error: error.message, field: 'Content-Type' }, 415);
    log.error({ err: error, path: c.req.path }, 'request_failed');
    return c.json({ error: 'internal error' }, 500);
  });
  return Object.assign(app, {
    close: () => {
      hub.close();
      void evaluator.close();
    },
    alerts: evaluator,
  });
}

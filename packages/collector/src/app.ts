/**
 * The collector (SPEC §4): the `node:http` listener (the event route served directly, from
 * the socket or from Node's request) and the Hono app (every other route), over one event pipeline and one
 * group-commit producer. A request is answered 202 only after the queue took its events.
 */
import type { RequestListener, Server } from 'node:http';
import {
  type AccessRegistry,
  type Config,
  createRateLimiter,
  createRegistryKeyAuthorizer,
  createTokenAuthorizer,
  type KeyAuthorizer,
  type Logger,
  type QueueProducer,
} from '@tidemark/shared';
import { Hono } from 'hono';
import type { Registry } from 'prom-client';
import { createServerKeyCheck } from './auth/server-key.ts';
import { createByteBudget } from './body/budget.ts';
import { UMAMI_PREFLIGHT } from './dialects/replies.ts';
import { NO_UMAMI_WEBSITES, registryUmamiWebsites, type UmamiWebsites } from './dialects/umami.ts';
import { createEnricher } from './enrich.ts';
import { createEventRoute } from './event-route.ts';
import { createLocationLookup, createPlaceLookup } from './geo/city.ts';
import { createCountryLookup } from './geo/country.ts';
import { createCollectorMetrics } from './metrics.ts';
import { createMetricsServer } from './metrics-server.ts';
import { collectorOpenApi } from './openapi.ts';
import { createEventPipeline, type Outcome, PREFLIGHT } from './pipeline.ts';
import { createGroupCommit, type GroupCommitOptions, type GroupCommitProducer } from './produce/group-commit.ts';
import { createLaneCommit, type LaneCommitOptions } from './produce/lane-commit.ts';
import { loadScript, serveScript } from './scripts.ts';
import { type CollectorServerOptions, createCollectorServer, createRequestListener } from './server.ts';
import { createSiteGate, type SiteGate } from './sites/gate.ts';
import { createAgentCache } from './user-agent.ts';
import { createMemorySalts, type SaltSource } from './visitor.ts';

export interface CollectorOptions {
  config: Config['collector'];
  producer: QueueProducer;
  log: Logger;
  registry: Registry;
  /** Where the daily visitor-id salt comes from; in-memory (one instance) by default. */
  salts?: SaltSource;
  /** Tuning of the group commit in front of `producer`. */
  groupCommit?: GroupCommitOptions & LaneCommitOptions;
  /** The sites registry and keys (SPEC §11); without it only `SITES` applies. */
  access?: AccessRegistry | null;
  /** Which keys may send server-side events (SPEC §11); by default the registry's keys and `API_TOKEN` (`API_TOKEN` alone without a registry). */
  keys?: KeyAuthorizer;
  /** Umami website id → site, for `/api/send` (SPEC §13); by default the registry's `umamiWebsiteId`s (without a registry every id is unknown: 403). */
  umamiWebsites?: UmamiWebsites;
}

export interface Collector {
  app: Hono;
  /** For `http.createServer`: the event route without Hono, the rest through it. */
  listener: RequestListener;
  /** The HTTP server to listen with: `listener`, and plain event POSTs read straight from the socket. */
  createServer(options?: CollectorServerOptions): Server;
  /** The server of `/metrics` (the registry's), for a port of its own: the public one has none. */
  createMetricsServer(): Server;
  producer: GroupCommitProducer;
  /** Which sites are accepted (`describe()` is the start-up line). */
  sites: SiteGate;
  /** Sends what is waiting, then closes the queue producer. Stop the HTTP server first. */
  close(): Promise<void>;
}

export function fullPathOf(scriptRoute: string): string {
  return scriptRoute.endsWith('.js') ? `${scriptRoute.slice(0, -3)}.full.js` : `${scriptRoute}.full`;
}

/** Where Umami's tracker and `@umami/node` send (`${hostUrl}/api/send`). */
export const UMAMI_PATH = '/api/send';

export function createCollector({
  config,
  producer: queue,
  log,
  registry,
  salts,
  groupCommit,
  access = null,
  keys,
  umamiWebsites = access ? registryUmamiWebsites(access) : NO_UMAMI_WEBSITES,
}: CollectorOptions): Collector {
  let backlog = () => 0;
  const budget = createByteBudget(config.bufferBytes);
  const metrics = createCollectorMetrics(
    registry,
    () => backlog(),
    () => budget.used,
  );
  const commitOptions = {
    maxBacklogEvents: config.backlogEvents,
    ...groupCommit,
    onSend(events: number, seconds: number, error: Error | null) {
      metrics.batchEvents.observe(events);
      metrics.produceSeconds.observe({ outcome: error ? 'error' : 'ok' }, seconds);
      groupCommit?.onSend?.(events, seconds, error);
    },
  };
  // A queue of several ordered lanes (Kafka's partitions) gets a group commit per lane; the embedded queue one for all.
  const { lanes } = queue;
  const producer = lanes
    ? createLaneCommit(
        { ...queue, lanes },
        {
          ...commitOptions,
          onPartial: (request) => log.warn(request, 'queue_partial_write: answered 503 although part of the request was written'),
        },
      )
    : createGroupCommit(queue, commitOptions);
  backlog = () => producer.backlog();
  const sites = createSiteGate({ listed: config.sites, registry: access, log });
  const rateLimiter = createRateLimiter({ limit: config.rateLimitPerMinute });
  const keyLimiter = createRateLimiter({ limit: config.keyRateLimitPerMinute });
  const pipeline = createEventPipeline({
    producer,
    enricher: createEnricher(salts ?? createMemorySalts()),
    agentOf: createAgentCache(),
    locationOf: createLocationLookup(
      createCountryLookup({ trustProxy: config.trustProxy }),
      createPlaceLookup({ enabled: config.geoCity }),
    ),
    rateLimiter,
    keyLimiter,
    serverKey: createServerKeyCheck({
      authorizer: keys ?? (access ? createRegistryKeyAuthorizer(access, config.apiToken) : createTokenAuthorizer(config.apiToken)),
      keyLimiter,
      ipLimiter: rateLimiter,
    }),
    sites,
    umamiWebsites,
    metrics,
    log,
  });
  const scripts = { core: loadScript('script.js', config.eventsPath), full: loadScript('script.full.js', config.eventsPath) };
  const app = new Hono();
  const respond = (outcome: Outcome) => new Response(outcome.body, { status: outcome.status, headers: outcome.headers });

  app.use('*', async (c, next) => {
    await next();
    metrics.request(c.req.routePath, c.res.status);
  });

  app.get('/healthz', (c) => c.json({ ok: true }));
  app.get('/readyz', async (c) => {
    const ready = await producer.ready().catch(() => false);
    const health = producer.health?.();
    const leaderless = health ? { partitionsWithoutLeader: health.leaderless ?? health.unavailable, queueReachable: health.reachable } : {};
    return c.json({ ready, backlog: producer.backlog(), ...leaderless }, ready ? 200 : 503);
  });

  app.get(config.scriptPath, (c) => serveScript(c, scripts.core));
  app.get(fullPathOf(config.scriptPath), (c) => serveScript(c, scripts.full));
  app.options(config.scriptPath, () => respond(PREFLIGHT));
  app.options(fullPathOf(config.scriptPath), () => respond(PREFLIGHT));
  app.options(config.eventsPath, () => respond(PREFLIGHT));

  const openapi = JSON.stringify(collectorOpenApi({ eventsPath: config.eventsPath }));
  app.get('/openapi.json', (c) => c.body(openapi, 200, { 'Content-Type': 'application/json; charset=utf-8' }));
  // Any other method on a route of the document: 405 naming the allowed ones (HEAD is GET's).
  for (const [path, allow] of [
    [config.eventsPath, 'POST, OPTIONS'],
    ['/openapi.json', 'GET, HEAD'],
    ['/healthz', 'GET, HEAD'],
    ['/readyz', 'GET, HEAD'],
  ] as const) {
    app.all(path, (c) => c.json({ error: `method not allowed: ${allow}` }, 405, { Allow: allow }));
  }

  app.notFound((c) => c.json({ error: 'not found' }, 404));
  app.onError((error, c) => {
    log.error({ err: error }, 'request_failed');
    return c.json({ error: 'internal error' }, 500);
  });

  const onFault = (error: unknown) => log.error({ err: error }, 'request_failed');
  const route = createEventRoute({ pipeline, eventsPath: config.eventsPath, trustProxy: config.trustProxy, metrics, budget, onFault });
  const umami = createEventRoute({
    pipeline,
    eventsPath: UMAMI_PATH,
    api: 'umami',
    preflight: UMAMI_PREFLIGHT,
    trustProxy: config.trustProxy,
    metrics,
    budget,
    onFault,
  });
  const listener = createRequestListener(app, route, [umami]);
  return {
    app,
    listener,
    producer,
    sites,
    createServer: (serverOptions = {}) =>
      createCollectorServer(listener, route, {
        maxConnections: config.maxConnections,
        ...serverOptions,
        fastPath: serverOptions.fastPath ?? config.fastPath,
      }),
    createMetricsServer: () => createMetricsServer(registry),
    close: () => producer.close(),
  };
}

/**
 * The collector's HTTP surface (SPEC §4): parse → validate → enrich → produce. A request
 * is answered 202 only after the queue took its events.
 */

import type { Logger } from '@tidemark/shared';
import { type Config, LIMITS, parseEvents, type QueueProducer, QueueUnavailableError, ValidationError } from '@tidemark/shared';
import { fullScriptPath, scriptPath } from '@tidemark/tracker';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Registry } from 'prom-client';
import { clientIp } from './client-ip.ts';
import { createEnricher } from './enrich.ts';
import { createCollectorMetrics } from './metrics.ts';
import { loadScript, serveScript } from './scripts.ts';
import { createAgentCache } from './user-agent.ts';
import { createMemorySalts, createSessions } from './visitor.ts';

export interface CollectorOptions {
  config: Config['collector'];
  producer: QueueProducer;
  log: Logger;
  registry: Registry;
}

const CORS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, POST, OPTIONS',
  'Access-Control-Allow-Headers': 'Content-Type',
  'Access-Control-Max-Age': '86400',
};
const CONTENT_TYPES = new Set(['text/plain', 'application/json']);

export function fullPathOf(scriptRoute: string): string {
  return scriptRoute.endsWith('.js') ? `${scriptRoute.slice(0, -3)}.full.js` : `${scriptRoute}.full`;
}

export function createCollectorApp({ config, producer, log, registry }: CollectorOptions): Hono {
  const metrics = createCollectorMetrics(registry);
  const enricher = createEnricher(createMemorySalts(), createSessions());
  const agentOf = createAgentCache();
  const sites = config.sites ? new Set(config.sites) : null;
  const scripts = { core: loadScript(scriptPath), full: loadScript(fullScriptPath) };
  const app = new Hono();

  app.use('*', async (c, next) => {
    await next();
    metrics.requests.inc({ route: c.req.routePath, status: c.res.status });
  });

  app.get('/healthz', (c) => c.json({ ok: true }));
  app.get('/readyz', async (c) => {
    const ready = await producer.ready().catch(() => false);
    return c.json({ ready }, ready ? 200 : 503);
  });
  app.get('/metrics', async (c) => c.text(await registry.metrics(), 200, { 'Content-Type': registry.contentType }));

  app.get(config.scriptPath, (c) => serveScript(c, scripts.core));
  app.get(fullPathOf(config.scriptPath), (c) => serveScript(c, scripts.full));
  app.options(config.eventsPath, (c) => c.body(null, 204, CORS));

  app.post(
    config.eventsPath,
    bodyLimit({
      maxSize: LIMITS.batchBytes,
      onError: (c) => c.json({ error: `body: larger than ${LIMITS.batchBytes} bytes` }, 413, CORS),
    }),
    async (c) => {
      const type = (c.req.header('content-type') ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
      if (!CONTENT_TYPES.has(type)) return c.json({ error: 'Content-Type must be text/plain or application/json' }, 415, CORS);
      const body = await c.req.text();
      const events = parseEvents(body);
      if (events.length === 1 && body.trimStart()[0] !== '[' && Buffer.byteLength(body) > LIMITS.eventBytes) {
        return c.json({ error: `body: one event may be at most ${LIMITS.eventBytes} bytes` }, 413, CORS);
      }
      if (sites) {
        const foreign = events.find((e) => !sites.has(e.site));
        if (foreign) return c.json({ error: `site: ${foreign.site} is not accepted here`, field: 'site' }, 403, CORS);
      }
      const userAgent = c.req.header('user-agent') ?? '';
      const agent = agentOf(userAgent);
      if (agent.bot) {
        metrics.dropped.inc({ reason: 'bot' }, events.length);
        return c.body(null, 202, { ...CORS, 'X-Tidemark-Dropped': 'bot' });
      }
      const nowMs = Date.now();
      const ip = clientIp(c, config.trustProxy);
      const country = config.trustProxy ? (c.req.header('cf-ipcountry') ?? '').toUpperCase().slice(0, 2) : '';
      const rows = events.map((event) => enricher.enrich(event, { ip, agent, userAgent, country, nowMs }));
      const timer = metrics.produceSeconds.startTimer();
      await producer.send(rows);
      timer();
      metrics.accepted.inc(rows.length);
      return c.body(null, 202, CORS);
    },
  );

  app.notFound((c) => c.json({ error: 'not found' }, 404));
  app.onError((error, c) => {
    if (error instanceof ValidationError) return c.json({ error: error.message, field: error.field }, 400, CORS);
    if (error instanceof QueueUnavailableError || isQueueFault(error)) {
      metrics.dropped.inc({ reason: 'queue_unavailable' });
      log.warn({ err: error }, 'queue_unavailable');
      return c.json({ error: 'the queue is unavailable, retry later' }, 503, { ...CORS, 'Retry-After': '5' });
    }
    log.error({ err: error }, 'request_failed');
    return c.json({ error: 'internal error' }, 500);
  });
  return app;
}

/** kafkajs errors all carry a `KafkaJS…` name; they mean the queue, not the request, failed. */
function isQueueFault(error: Error): boolean {
  return error.name.startsWith('KafkaJS');
}

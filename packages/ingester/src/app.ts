import { Hono } from 'hono';
import type { Registry } from 'prom-client';

/** The ingester's own HTTP surface: liveness and Prometheus metrics. */
export function createIngesterApp(registry: Registry): Hono {
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ ok: true }));
  app.get('/metrics', async (c) => c.text(await registry.metrics(), 200, { 'Content-Type': registry.contentType }));
  return app;
}

/** The Stats API (SPEC §6). Routes only parse parameters and call one query each. */
import { type ClickHouseClient, type Logger, ValidationError } from '@tidemark/shared';
import { Hono } from 'hono';
import type { Registry } from 'prom-client';
import { bearerAuth } from './auth.ts';
import { parseRange, parseSite } from './params.ts';
import { queryLive } from './queries/live.ts';

export interface DashboardOptions {
  client: ClickHouseClient;
  database: string;
  token: string | null;
  log: Logger;
  registry: Registry;
}

export function createDashboardApp({ client, database, token, log, registry }: DashboardOptions): Hono {
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ ok: true }));
  app.get('/metrics', async (c) => c.text(await registry.metrics(), 200, { 'Content-Type': registry.contentType }));

  const api = new Hono();
  api.use('*', bearerAuth({ token, queryTokenPaths: ['/api/v1/stream'] }));
  api.get('/live', async (c) => {
    const site = parseSite(c.req.query('site'));
    const range = parseRange(c.req.query(), '5m');
    const numbers = await queryLive(client, database, site, range.from, range.to);
    return c.json({ site, window: range.window, from: range.from.toISOString(), to: range.to.toISOString(), ...numbers });
  });
  app.route('/api/v1', api);

  app.notFound((c) => c.json({ error: 'not found' }, 404));
  app.onError((error, c) => {
    if (error instanceof ValidationError) return c.json({ error: error.message, field: error.field }, 400);
    log.error({ err: error, path: c.req.path }, 'request_failed');
    return c.json({ error: 'internal error' }, 500);
  });
  return app;
}

/** `GET /api/v1/stream?site&window=5m`: `live` events from the shared per-site channel. */
import type { Hono } from 'hono';
import type { ApiEnv } from '../auth/context.ts';
import type { Guard } from '../auth/guard.ts';
import { parseQuery, parseRange, parseSite } from '../params.ts';
import { QUERY } from '../schemas.ts';
import type { StreamHub } from '../stream/hub.ts';

export function mountStream(api: Hono<ApiEnv>, hub: StreamHub, guard: Guard): void {
  api.get('/stream', (c) => {
    const q = parseQuery(QUERY.stream, c.req.query());
    const site = parseSite(q.site);
    guard.site(c, 'stats:read', site);
    const { window } = parseRange({ window: q.window }, '5m');
    const body = hub.subscribe(site, window ?? '5m', guard.locked(c));
    if (body === null) return c.json({ error: 'too many open streams, retry later' }, 503, { 'Retry-After': '5' });
    return new Response(body, {
      headers: {
        'Content-Type': 'text/event-stream; charset=utf-8',
        'Cache-Control': 'no-cache, no-transform',
        Connection: 'keep-alive',
        'X-Accel-Buffering': 'no',
      },
    });
  });
}

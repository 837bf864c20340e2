/**
 * `GET /api/v2/goals?site`: the site's goals (configured, or none: then every custom event name
 * is one) — what the dashboard's goals and funnel views read besides the Query API. Needs
 * `stats:read` on the site; a site's goals are its settings in the sites registry (SPEC §11).
 * An event's custom property keys are `GET /api/v2/properties` (routes/properties.ts).
 */
import type { Hono } from 'hono';
import type { ApiEnv } from '../auth/context.ts';
import { parseSite } from '../params.ts';
import type { QueryContext } from './query.ts';

export function mountGoals(api: Hono<ApiEnv>, context: QueryContext): void {
  api.get('/goals', (c) => {
    const s = parseSite(c.req.query('site'));
    context.guard.site(c, 'stats:read', s);
    const configured = context.siteGoals(s);
    return c.json({ site: s, configured: configured !== null && configured.length > 0, goals: configured ?? [] });
  });
}

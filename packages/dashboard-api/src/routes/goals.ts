/**
 * What the dashboard's conversions panel reads besides the Query API: `GET /api/v2/goals?site`
 * (the site's goals: configured, or one per custom event name) and `GET /api/v2/properties?site&event`
 * (the custom property keys of an event, for its property breakdown). Both need `stats:read` on
 * the site; a site's goals are its settings in the sites registry (SPEC §11).
 */
import { ValidationError } from '@tidemark/shared';
import type { Hono } from 'hono';
import type { ApiEnv } from '../auth/context.ts';
import { parseSite } from '../params.ts';
import { queryPropKeys } from '../queries/prop-keys.ts';
import type { QueryContext } from './query.ts';

const DAY_MS = 86_400_000;
const EVENT = /^[A-Za-z0-9 _.:-]{1,64}$/;

export function mountGoals(api: Hono<ApiEnv>, context: QueryContext): void {
  api.get('/goals', (c) => {
    const s = parseSite(c.req.query('site'));
    context.guard.site(c, 'stats:read', s);
    const configured = context.siteGoals(s);
    return c.json({ site: s, configured: configured !== null && configured.length > 0, goals: configured ?? [] });
  });
  api.get('/properties', async (c) => {
    const s = parseSite(c.req.query('site'));
    context.guard.site(c, 'stats:read', s);
    const event = c.req.query('event') ?? null;
    if (event !== null && !EVENT.test(event)) throw new ValidationError('event: a custom event name', 'event');
    const days = Number(c.req.query('days') ?? 30);
    if (!Number.isInteger(days) || days < 1 || days > 366) throw new ValidationError('days: an integer from 1 to 366', 'days');
    const keys = await context.timed('properties', () =>
      queryPropKeys(context.client, context.tables, s, event, new Date(context.now() - days * DAY_MS), 100),
    );
    return c.json({ site: s, event, keys });
  });
}

/**
 * `GET /api/v2/properties?site&event&days`: the custom property keys of a site's custom events
 * (of one event name, or all) over the last `days` days, most used first — what the dashboard's
 * property pickers and a goal's property breakdown list. Needs stats:read on the site. The one
 * handler of this path (issue 20's twin in routes/goals.ts went when both landed).
 */
import type { Hono } from 'hono';
import type { ApiEnv } from '../auth/context.ts';
import { parseQuery, parseSite } from '../params.ts';
import { queryPropKeys } from '../queries/prop-keys.ts';
import { type Answer, QUERY } from '../schemas.ts';
import type { StatsContext } from './stats.ts';

const DAY_MS = 86_400_000;

export function mountProperties(api: Hono<ApiEnv>, { client, tables, now, timed, guard }: StatsContext): void {
  api.get('/properties', async (c) => {
    const q = parseQuery(QUERY.properties, c.req.query());
    const site = parseSite(q.site);
    guard.site(c, 'stats:read', site);
    const event = q.event ?? null;
    const since = new Date(now() - (q.days ?? 30) * DAY_MS);
    const keys = await timed('properties', () => queryPropKeys(client, tables, site, event, since, 100));
    return c.json({ site, event, keys } satisfies Answer<'properties'>);
  });
}

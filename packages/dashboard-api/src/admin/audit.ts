/** `GET /api/v2/audit?limit&before&site`: the admin actions, newest first (admins of every site, or of `site`). */
import type { Hono } from 'hono';
import { z } from 'zod';
import type { ApiEnv } from '../auth/context.ts';
import type { Guard } from '../auth/guard.ts';
import { parseQuery, parseSite, parseTime } from '../params.ts';
import { SITE_PATTERN, TIME_PATTERN } from '../patterns.ts';
import type { AdminContext } from './common.ts';

export const AUDIT_QUERY = z.object({
  limit: z.coerce
    .number({ error: 'must be an integer from 1 to 1000' })
    .int({ error: 'must be an integer from 1 to 1000' })
    .min(1, { error: 'must be an integer from 1 to 1000' })
    .max(1000, { error: 'must be an integer from 1 to 1000' })
    .optional()
    .describe('Most entries, 1 … 1000 (default 100).'),
  before: z
    .string()
    .regex(new RegExp(TIME_PATTERN), { error: 'must be an ISO 8601 date or time with a zone' })
    .optional()
    .describe('Only entries before this time (the last `at` of a page, for the next one).'),
  site: z
    .string()
    .min(1, { error: 'must be a host name' })
    .max(253, { error: 'must be a host name' })
    .regex(new RegExp(SITE_PATTERN), { error: 'must be a host name' })
    .optional()
    .describe('Only actions on this site.'),
});

export function mountAudit(v2: Hono<ApiEnv>, guard: Guard, { registry }: AdminContext): void {
  v2.get('/audit', guard.scope('sites:admin'), async (c) => {
    const q = parseQuery(AUDIT_QUERY, c.req.query());
    const site = q.site === undefined ? null : parseSite(q.site);
    if (site === null) guard.all(c, 'sites:admin');
    else guard.site(c, 'sites:admin', site);
    const entries = await registry.store.auditLog({
      limit: q.limit ?? 100,
      before: q.before === undefined ? null : parseTime(q.before, 'before').toISOString(),
      site,
    });
    return c.json({ entries });
  });
}

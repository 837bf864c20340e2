/** `POST /api/v2/funnel` (SPEC §12): parse the body, count visitors per step (`v2/funnel.ts`). */
import type { Hono } from 'hono';
import { QueryTimeoutError } from '../v2/engine.ts';
import { parseFunnel, runFunnel } from '../v2/funnel.ts';
import { jsonBody } from './body.ts';
import type { QueryContext } from './query.ts';

export function mountFunnel(api: Hono, context: QueryContext): void {
  api.post('/funnel', async (c) => {
    const query = parseFunnel(await jsonBody(c), context.siteTimezone);
    try {
      const answer = await context.timed('funnel', () =>
        runFunnel(context.client, context.tables, query, { now: context.now(), goals: context.siteGoals }),
      );
      return c.json({
        ...answer,
        query: {
          site: query.sites.length === 1 ? query.sites[0] : query.sites,
          dateRange: query.dateRange,
          timezone: query.timezone,
          within: query.within,
        },
      });
    } catch (error) {
      if (error instanceof QueryTimeoutError) return c.json({ error: error.message }, 503, { 'Retry-After': '10' });
      throw error;
    }
  });
}

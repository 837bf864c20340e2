/**
 * `POST /api/v2/funnel` (SPEC §12): parse the body, count visitors per step (`v2/funnel.ts`).
 * `stats:read` on every site it names (`queryGuard`, app.ts). Through a shared link, the link's
 * locked filters hold in every step: a step counts only the events they let through.
 */
import type { Hono } from 'hono';
import type { ApiEnv } from '../auth/context.ts';
import { AccessDenied } from '../auth/guard.ts';
import { QueryTimeoutError } from '../v2/engine.ts';
import { filterDimensions } from '../v2/fields.ts';
import { type FunnelQuery, parseFunnel, runFunnel } from '../v2/funnel.ts';
import { filter } from '../v2/parse.ts';
import { isEventDimension } from '../v2/vocabulary.ts';
import { jsonBody } from './body.ts';
import type { QueryContext } from './query.ts';

/** Each step ANDed with a link's locked filters; those on visit attributes cannot be held by event steps. */
function withLocked(query: FunnelQuery, locked: readonly unknown[]): FunnelQuery {
  if (locked.length === 0) return query;
  const held = filter(['and', locked], '', 0);
  const visitLevel = filterDimensions([held]).find((d) => !isEventDimension(d));
  if (visitLevel)
    throw new AccessDenied(
      `this shared link's filters name ${visitLevel}, a visit attribute: a funnel's steps (events) cannot hold them`,
      403,
    );
  return {
    ...query,
    steps: query.steps.map((s) => ({ ...s, filter: { op: 'and', filters: [s.filter, held], pointer: s.filter.pointer } })),
  };
}

export function mountFunnel(api: Hono<ApiEnv>, context: QueryContext): void {
  api.post('/funnel', async (c) => {
    const query = withLocked(parseFunnel(await jsonBody(c), context.siteTimezone), context.guard.locked(c));
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

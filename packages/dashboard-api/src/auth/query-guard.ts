/**
 * `POST /api/v2/query` (SPEC §10) reads one site or several (`"site": "a.com"` or `["a.com",
 * "b.com"]`): the caller needs `stats:read` on every one of them. A body whose sites cannot be
 * read asks for `stats:read` on every site (the route then answers its 400). A shared link's
 * locked filters are held with the query's own (all must hold: `withLocked`), in the body the route
 * reads — unless `holdLocked` is false: a funnel (`POST /api/v2/funnel`) has no `filters`, its
 * route holds them in each step.
 */
import { SITE_NAME } from '@tidemark/shared';
import type { MiddlewareHandler } from 'hono';
import { withLocked } from '../v2/parse.ts';
import type { ApiContext, ApiEnv } from './context.ts';
import type { Guard } from './guard.ts';

function sitesOf(body: unknown): string[] | null {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return null;
  const site = (body as { site?: unknown }).site;
  const list = typeof site === 'string' ? [site] : Array.isArray(site) ? site : null;
  if (list === null || list.length === 0) return null;
  const names = list.map((s) => (typeof s === 'string' ? s.toLowerCase() : ''));
  return names.every((s) => SITE_NAME.test(s)) ? names : null;
}

/**
 * Checks that the caller may read every site the body names (`stats:read`) and answers the body
 * the route reads: with a shared link's locked filters held beside its own (`holdLocked`).
 * Throws `AccessDenied`.
 */
export function guardQueryBody(guard: Guard, c: ApiContext, body: unknown, holdLocked = true): unknown {
  const sites = sitesOf(body);
  if (sites === null) guard.all(c, 'stats:read');
  else for (const site of sites) guard.site(c, 'stats:read', site);
  const locked = holdLocked ? guard.locked(c) : [];
  if (locked.length === 0 || body === null || typeof body !== 'object' || Array.isArray(body)) return body;
  return { ...body, filters: withLocked(locked, (body as { filters?: unknown }).filters) };
}

export function queryGuard(guard: Guard, holdLocked = true): MiddlewareHandler<ApiEnv> {
  return async function query(c, next) {
    if (c.req.method !== 'POST') return next();
    let body: unknown = null;
    try {
      body = await c.req.json();
    } catch {
      // not JSON: the route says so
    }
    const held = guardQueryBody(guard, c, body, holdLocked);
    if (held !== body) {
      // Hono keeps the body it read as text (`bodyCache`), and `c.req.json()`/`text()` of the
      // route read that: the route sees the query with the link's filters.
      // (Typed as values, kept as promises of them.)
      c.req.bodyCache = { text: Promise.resolve(JSON.stringify(held)) as unknown as string };
    }
    return next();
  };
}

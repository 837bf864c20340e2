import { sameSecret } from '@tidemark/shared';
import type { MiddlewareHandler } from 'hono';

export interface AuthOptions {
  /** `API_TOKEN`; null means no token (the API then binds to loopback only). */
  token: string | null;
  /** Routes that also accept `?token=` (EventSource cannot send headers). */
  queryTokenPaths?: string[];
}

export function bearerAuth({ token, queryTokenPaths = [] }: AuthOptions): MiddlewareHandler {
  return async function auth(c, next) {
    if (token === null) return next();
    const header = c.req.header('authorization') ?? '';
    const given = header.startsWith('Bearer ') ? header.slice(7) : queryTokenPaths.includes(c.req.path) ? (c.req.query('token') ?? '') : '';
    if (!given || !sameSecret(given, token))
      return c.json({ error: 'a valid Bearer token is required' }, 401, { 'WWW-Authenticate': 'Bearer' });
    return next();
  };
}

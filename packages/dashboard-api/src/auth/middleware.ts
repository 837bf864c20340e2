/**
 * The auth middleware of every `/api/*` route: finds the principal (`principal.ts`), answers
 * 401/403/503 when it cannot, 429 once a client address has failed too often (brute force:
 * `failures`, logged), and refuses cross-site and token-less unsafe requests that ride on
 * credentials the browser sends by itself (CSRF).
 */
import { clientIp, createFailureLog, sameSecret } from '@tidemark/shared';
import type { MiddlewareHandler } from 'hono';
import type { ApiEnv, AuthDeps, AuthState } from './context.ts';
import { isHttps, remoteAddress } from './context.ts';
import { clearSessionCookie } from './cookies.ts';
import { resolvePrincipal } from './principal.ts';

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Whether an unsafe request with these credentials must prove it comes from our own page. */
function needsCsrf(c: Parameters<MiddlewareHandler>[0], auth: AuthState): boolean {
  if (auth.csrf === null) return false;
  if (auth.via === 'none') {
    // The open mode: programs on this machine (curl, the CLI) send no Origin; browsers do.
    return c.req.header('origin') !== undefined || c.req.header('sec-fetch-site') !== undefined;
  }
  return true;
}

export function authenticate(deps: AuthDeps): MiddlewareHandler<ApiEnv> {
  const logFailure = createFailureLog(deps.log, deps.now);

  return async function auth(c, next) {
    const remote = remoteAddress(c);
    const ip = clientIp(c.req.header() as Record<string, string>, remote, deps.trustProxy);
    const wait = deps.failures.retryAfter(ip);
    if (wait > 0) {
      logFailure(ip, 'blocked: too many failed sign-ins', c.req.path);
      return c.json({ error: 'too many failed sign-ins from this address; retry later' }, 429, { 'Retry-After': String(wait) });
    }
    const resolved = await resolvePrincipal(c, deps, ip, remote);
    if (!resolved.ok) {
      if (resolved.failure) {
        deps.failures.count(ip, 1);
        logFailure(ip, resolved.error, c.req.path);
      }
      if (resolved.clearSession) clearSessionCookie(c, isHttps(c, deps.trustProxy));
      const headers: Record<string, string> = resolved.status === 401 ? { 'WWW-Authenticate': 'Bearer' } : {};
      if (resolved.status === 503) headers['Retry-After'] = '2';
      return c.json({ error: resolved.error }, resolved.status, headers);
    }
    const state = resolved.state;
    if (UNSAFE.has(c.req.method) && needsCsrf(c, state)) {
      const site = c.req.header('sec-fetch-site');
      if (site !== undefined && site !== 'same-origin' && site !== 'none') {
        return c.json({ error: 'cross-site requests cannot change anything here' }, 403);
      }
      const given = c.req.header('x-csrf-token') ?? '';
      if (!state.csrf || !sameSecret(given, state.csrf)) {
        return c.json({ error: 'X-CSRF-Token is missing or wrong: reload the page (GET /api/session gives it)' }, 403);
      }
    }
    c.set('auth', state);
    return next();
  };
}

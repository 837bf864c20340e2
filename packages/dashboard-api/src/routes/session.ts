/**
 * The dashboard's sign-in (SPEC §11: "the dashboard signs in with a key or through the proxy,
 * never by putting a key in a URL"):
 *  - `POST /api/session` `{ key }` (a key or `API_TOKEN`) opens a session: a random id in an
 *    HttpOnly, SameSite=Strict cookie, stored as its SHA-256 for 30 days;
 *  - `GET /api/session`: who is signed in, what they may do, and the CSRF token the page
 *    sends in `X-CSRF-Token` on every change;
 *  - `DELETE /api/session` signs out (the session ends on every instance).
 * Programs keep using `Authorization: Bearer`.
 */
import {
  type AccessSnapshot,
  clientIp,
  newSessionId,
  type Principal,
  randomToken,
  SCOPES,
  type Scope,
  type Session,
  sameSecret,
  scopesOf,
  sha256Hex,
  sitesFor,
  ValidationError,
} from '@tidemark/shared';
import type { Hono } from 'hono';
import { readJson } from '../admin/common.ts';
import type { ApiContext, ApiEnv, AuthDeps } from '../auth/context.ts';
import { isHttps, remoteAddress } from '../auth/context.ts';
import { clearSessionCookie, SESSION_DAYS, sessionCsrf, setCsrfCookie, setSessionCookie } from '../auth/cookies.ts';
import { tokenSubject } from '../auth/principal.ts';

/** What the page learns about its principal (never a secret but the CSRF token). */
export function describePrincipal(p: Principal, snapshot: AccessSnapshot) {
  const access = Object.fromEntries(SCOPES.map((s: Scope) => [s, sitesFor(p, s, snapshot)]));
  const base = { kind: p.kind, scopes: scopesOf(p), sites: access };
  switch (p.kind) {
    case 'key':
      return { ...base, id: p.key.id, name: p.key.name, prefix: p.key.prefix };
    case 'user':
      return { ...base, name: p.user.user, role: p.user.role };
    case 'share':
      return { ...base, site: p.link.site, name: p.link.name, filters: p.link.filters };
    default:
      return base;
  }
}

export function mountSignIn(app: Hono<ApiEnv>, deps: AuthDeps): void {
  const { registry, token, failures, log, now } = deps;

  app.post('/api/session', async (c) => {
    const fetchSite = c.req.header('sec-fetch-site');
    if (fetchSite !== undefined && fetchSite !== 'same-origin' && fetchSite !== 'none') {
      return c.json({ error: 'sign in from this dashboard’s own page' }, 403);
    }
    const ip = clientIp(c.req.header() as Record<string, string>, remoteAddress(c), deps.trustProxy);
    const wait = failures.retryAfter(ip);
    if (wait > 0) return c.json({ error: 'too many failed sign-ins from this address; retry later' }, 429, { 'Retry-After': String(wait) });
    const body = (await readJson(c)) as { key?: unknown };
    if (typeof body !== 'object' || body === null || typeof body.key !== 'string' || body.key.length === 0 || body.key.length > 512) {
      throw new ValidationError('/key: must be an API key', '/key');
    }
    const given = body.key.trim();
    const snapshot = registry.current();
    let subject: string | null = null;
    let principal: Principal | null = null;
    if (token !== null && sameSecret(given, token)) {
      subject = tokenSubject(token);
      principal = { kind: 'token' };
    } else {
      const key = snapshot.keysByHash.get(sha256Hex(given));
      if (key) {
        subject = `key:${key.id}`;
        principal = { kind: 'key', key };
      }
    }
    if (subject === null || principal === null) {
      failures.count(ip, 1);
      log.warn({ ip, reason: 'sign-in with an unknown key' }, 'auth_failed');
      return c.json({ error: 'the key is not valid (unknown or revoked)' }, 401);
    }
    const id = newSessionId();
    const at = now();
    const session: Session = {
      idHash: sha256Hex(id),
      subject,
      createdAt: new Date(at).toISOString(),
      expiresAt: new Date(at + SESSION_DAYS * 86_400_000).toISOString(),
      version: 0,
    };
    await registry.store.put('sessions', session);
    await registry.refresh();
    setSessionCookie(c, id, isHttps(c, deps.trustProxy));
    log.info({ subject: principal.kind === 'key' ? subject : principal.kind, ip }, 'signed_in');
    return c.json({ ...describePrincipal(principal, registry.current()), via: 'session', csrf: sessionCsrf(id) }, 201, {
      'Cache-Control': 'no-store',
    });
  });
}

export function mountSession(api: Hono<ApiEnv>, deps: AuthDeps): void {
  const { registry } = deps;

  api.get('/session', (c: ApiContext) => {
    const auth = c.var.auth;
    let csrf = auth.csrf;
    if (csrf === '') {
      // Sign-ins the browser repeats by itself without a session: a double-submit cookie.
      csrf = randomToken();
      setCsrfCookie(c, csrf, isHttps(c, deps.trustProxy));
    }
    return c.json({ ...describePrincipal(auth.principal, registry.current()), via: auth.via, csrf }, 200, { 'Cache-Control': 'no-store' });
  });

  api.delete('/session', async (c: ApiContext) => {
    const { sessionId } = c.var.auth;
    if (sessionId !== null) {
      const stored = await registry.store.get('sessions', sha256Hex(sessionId));
      if (stored) await registry.store.put('sessions', stored, { deleted: true });
      await registry.refresh();
    }
    clearSessionCookie(c, isHttps(c, deps.trustProxy));
    return c.body(null, 204);
  });
}

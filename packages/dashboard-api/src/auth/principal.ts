/**
 * Who a request comes from (SPEC §11), checked in this order:
 *  1. `Authorization: Bearer` — `API_TOKEN` (compared in constant time) or an API key (looked
 *     up by its SHA-256); anything else is a 401 (but another scheme next to the proxy's user).
 *  2. The reverse proxy's user header, only from `AUTH_PROXY_CIDRS` (the socket's address,
 *     never a forwarded one); a user not registered here gets 403.
 *  3. A shared link's `X-Tidemark-Share`.
 *  4. The session cookie (a sign-in with a key or the token on the dashboard).
 *  5. Nothing: the open mode (no `API_TOKEN` and no proxy sign-in: the API serves on loopback
 *     only and trusts its callers, as before keys existed), else anonymous (public sites only).
 */
import { looksLikeKey, type Principal, sameSecret, sha256Hex } from '@tidemark/shared';
import type { Context } from 'hono';
import type { AuthDeps, AuthState } from './context.ts';
import { readCsrfCookie, readSessionCookie, sessionCsrf } from './cookies.ts';
import { SHARE_HEADER, shareAllowed, slugOf } from './share-token.ts';

export type Resolution =
  | { ok: true; state: AuthState }
  | { ok: false; status: 401 | 403 | 503; error: string; failure: boolean; clearSession?: boolean };

const NOT_READY = {
  ok: false,
  status: 503,
  error: 'keys and users are not loaded yet (ClickHouse unreachable?); retry shortly',
  failure: false,
} as const;

/** How a session names the `API_TOKEN` it was opened with (a new token ends such sessions). */
export function tokenSubject(token: string): string {
  return `token:${sha256Hex(token).slice(0, 16)}`;
}

export async function resolvePrincipal(c: Context, deps: AuthDeps, ip: string, remote: string): Promise<Resolution> {
  const { token, proxy, registry, now } = deps;
  const snapshot = registry.current();
  const state = (principal: Principal, via: AuthState['via'], csrf: string | null = null, sessionId: string | null = null) =>
    ({ ok: true, state: { principal, via, ip, csrf, sessionId } }) as const;

  // A trusted proxy's user, when it names one (its own Basic credentials, if it passes them on, are not ours).
  const proxyUser = proxy?.trusted(remote) ? c.req.header(proxy.header)?.trim().toLowerCase() || null : null;
  const authorization = c.req.header('authorization');
  if (authorization !== undefined && (proxyUser === null || /^Bearer /i.test(authorization))) {
    const match = /^Bearer +(\S+)\s*$/i.exec(authorization);
    if (!match) return { ok: false, status: 401, error: 'Authorization must be "Bearer <key>"', failure: true };
    const given = match[1] as string;
    if (token !== null && sameSecret(given, token)) return state({ kind: 'token' }, 'bearer');
    const key = snapshot.keysByHash.get(sha256Hex(given));
    if (key) {
      registry.keyUsed(key.id);
      return state({ kind: 'key', key }, 'bearer');
    }
    if (!snapshot.loaded && looksLikeKey(given)) return NOT_READY;
    return { ok: false, status: 401, error: 'the key is not valid (unknown or revoked)', failure: true };
  }

  if (proxyUser !== null) {
    if (!snapshot.loaded) return NOT_READY;
    const user = snapshot.users.get(proxyUser);
    if (!user) {
      const error = `${proxyUser} is signed in but has no access here: an admin adds users in Settings`;
      return { ok: false, status: 403, error, failure: false };
    }
    return state({ kind: 'user', user }, 'proxy', readCsrfCookie(c) ?? '');
  }

  const share = c.req.header(SHARE_HEADER);
  if (share !== undefined) {
    const slug = slugOf(share);
    const link = slug === null ? undefined : snapshot.links.get(slug);
    if (!link) {
      if (!snapshot.loaded) return NOT_READY;
      return { ok: false, status: 401, error: 'this shared link does not exist or was revoked', failure: true };
    }
    if (!shareAllowed(link, share, now())) {
      return { ok: false, status: 401, error: 'this shared link needs its password', failure: false };
    }
    return state({ kind: 'share', link }, 'share');
  }

  const sessionId = readSessionCookie(c);
  if (sessionId !== null) {
    const principal = await sessionPrincipal(deps, sessionId);
    if (principal === 'not-ready') return NOT_READY;
    if (principal === null) {
      return { ok: false, status: 401, error: 'the session ended: sign in again', failure: true, clearSession: true };
    }
    return state(principal, 'session', sessionCsrf(sessionId), sessionId);
  }

  if (token === null && proxy === null) return state({ kind: 'open' }, 'none', readCsrfCookie(c) ?? '');
  return state({ kind: 'anonymous' }, 'none');
}

/** The principal a session id stands for, null when it is unknown, expired or its key revoked. */
async function sessionPrincipal(deps: AuthDeps, sessionId: string): Promise<Principal | null | 'not-ready'> {
  const { registry, token, now } = deps;
  const snapshot = registry.current();
  const idHash = sha256Hex(sessionId);
  // A session opened on another instance a moment ago is not in this one's copy yet: ask.
  let session = snapshot.sessions.get(idHash) ?? null;
  if (session === null) {
    if (!snapshot.loaded) return 'not-ready';
    session = await registry.store.get('sessions', idHash).catch(() => null);
  }
  if (session === null || Date.parse(session.expiresAt) <= now()) return null;
  if (session.subject.startsWith('key:')) {
    const key = snapshot.keys.get(session.subject.slice(4));
    if (!key) return null;
    registry.keyUsed(key.id);
    return { kind: 'key', key };
  }
  if (token !== null && session.subject === tokenSubject(token)) return { kind: 'token' };
  return null;
}

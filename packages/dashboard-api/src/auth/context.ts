/** What the auth middleware tells the routes about a request (Hono variables). */
import type { AccessRegistry, Logger, Principal, RateLimiter } from '@tidemark/shared';
import type { Context } from 'hono';

/** How the principal was established. */
export type Via = 'bearer' | 'proxy' | 'share' | 'session' | 'none';

export interface AuthState {
  principal: Principal;
  via: Via;
  /** The client's address (the socket's, or the proxy's `X-Forwarded-For` with `TRUST_PROXY`). */
  ip: string;
  /**
   * The token unsafe requests must carry in `X-CSRF-Token` when the browser adds the
   * credentials by itself (a session cookie, the proxy's sign-in); null when it does not.
   */
  csrf: string | null;
  /** The session's id (the cookie's value), when signed in with one. */
  sessionId: string | null;
}

export type ApiEnv = { Variables: { auth: AuthState } };
export type ApiContext = Context<ApiEnv>;

export interface AuthDeps {
  /** `API_TOKEN`: every scope on every site. */
  token: string | null;
  /** Sign-in through the reverse proxy: the user header, and whether an address is the proxy's. */
  proxy: { header: string; trusted: (ip: string) => boolean } | null;
  registry: AccessRegistry;
  /** Failed sign-ins per client address (brute force): 429 once over the limit. */
  failures: RateLimiter;
  trustProxy: boolean;
  log: Logger;
  now: () => number;
}

/** The socket's peer under @hono/node-server; '' under `app.request()` without an env. */
export function remoteAddress(c: Context): string {
  return (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket?.remoteAddress ?? '';
}

/** Whether the browser reached us over HTTPS (directly, or per the trusted proxy). */
export function isHttps(c: Context, trustProxy: boolean): boolean {
  if (new URL(c.req.url).protocol === 'https:') return true;
  return trustProxy && c.req.header('x-forwarded-proto')?.split(',')[0]?.trim() === 'https';
}

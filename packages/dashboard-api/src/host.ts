import type { Config } from '@tidemark/shared';
import type { MiddlewareHandler } from 'hono';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/** A name or address of this machine's loopback: `localhost`, `127.x.x.x`, `::1` (`[::1]` as a URL's host). */
export function isLoopbackName(name: string): boolean {
  const bare = name.startsWith('[') && name.endsWith(']') ? name.slice(1, -1) : name;
  return LOOPBACK.test(bare.toLowerCase());
}

/**
 * Without `API_TOKEN` and without proxy sign-in (the open mode) the API trusts its callers
 * (SPEC §6, §11), so it binds to loopback only, whatever `HOST` says.
 */
export function apiHost(config: Config['api']): { host: string; note: string | null } {
  if (config.token !== null || config.authProxy !== null || isLoopbackName(config.host)) return { host: config.host, note: null };
  return {
    host: '127.0.0.1',
    note: `API_TOKEN is not set (nor AUTH_PROXY_HEADER): serving on 127.0.0.1 only instead of ${config.host}`,
  };
}

/**
 * In the open mode the API serves loopback only — and, against DNS rebinding, only requests
 * that name a loopback host: a page on `evil.example` whose name an attacker re-points to
 * 127.0.0.1 gets `403`, not the data. (With a token or proxy sign-in, those guard it; a public
 * site's numbers are public anyway.)
 */
export function loopbackHostOnly(): MiddlewareHandler {
  return async function loopbackHost(c, next) {
    if (isLoopbackName(new URL(c.req.url).hostname)) return next();
    return c.json(
      { error: 'without API_TOKEN or proxy sign-in this API answers only requests to localhost, 127.0.0.1 or [::1]', field: 'Host' },
      403,
    );
  };
}

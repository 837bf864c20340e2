/**
 * Shared links (SPEC §11): `GET /share/<slug>` serves the dashboard page in its read-only,
 * one-site mode, framable by the link's `frameAncestors` only; `POST /share/<slug>/unlock`
 * `{ password }` answers the proof the page then sends in `X-Tidemark-Share`. Wrong passwords
 * are limited per client address and link (5 a minute) and per link (50 a minute, whatever the
 * addresses), and scrypt runs at most 4 at a time.
 * What a link may read is decided by the auth middleware (`principal.ts`, `grants.ts`): one
 * site's stats, never another site or the admin API.
 *
 * The page calls the API under its own path, `/share/<slug>/api/…`: such a request is the
 * API request with the link as its only credential — its cookies, `Authorization` and the
 * proxy's user header are dropped — so a reverse proxy with single sign-on can let `/share/*`
 * (and the static `/assets/*`) through without signing anyone in, and nothing under that path
 * can act as anyone but the link.
 */
import { clientIp, createRateLimiter, type SharedLink, verifyPassword } from '@tidemark/shared';
import type { Context, Hono } from 'hono';
import { ADMIN_BODY } from '../admin/answers.ts';
import { readJson } from '../admin/common.ts';
import { parseBody } from '../admin/schemas.ts';
import type { ApiEnv, AuthDeps } from '../auth/context.ts';
import { remoteAddress } from '../auth/context.ts';
import { SHARE_HEADER, shareProof } from '../auth/share-token.ts';
import { ASSETS, serveAsset } from './page.ts';

const SLUG = /^[A-Za-z0-9_-]{10,64}$/;
const MAX_HASHING = 4;

export function mountShare(app: Hono<ApiEnv>, deps: AuthDeps): void {
  const { registry, failures, log, now } = deps;
  const tries = createRateLimiter({ limit: 5, now });
  const perLink = createRateLimiter({ limit: 50, now });
  let hashing = 0;

  async function linkOf(slug: string): Promise<SharedLink | null> {
    if (!SLUG.test(slug)) return null;
    // A link made on another instance a moment ago: ask storage before answering 404.
    return registry.current().links.get(slug) ?? (await registry.store.get('sharedLinks', slug).catch(() => null));
  }

  const gone = (c: Context) => c.text('This shared link does not exist or was revoked.', 404, { 'X-Frame-Options': 'DENY' });

  /** The API seen through a link: the request again, with the link as its only credential. */
  app.all('/share/:slug/api/*', async (c) => {
    const slug = c.req.param('slug');
    const url = new URL(c.req.url);
    url.pathname = url.pathname.slice(`/share/${slug}`.length);
    const headers = new Headers(c.req.raw.headers);
    for (const name of ['authorization', 'cookie', ...(deps.proxy ? [deps.proxy.header] : [])]) headers.delete(name);
    // A proof for this link (`<slug>.<expires>.<mac>`) stands; anything else is just the slug.
    const given = headers.get(SHARE_HEADER) ?? '';
    headers.set(SHARE_HEADER, given.startsWith(`${slug}.`) ? given : slug);
    const init: RequestInit & { duplex?: 'half' } = { method: c.req.method, headers };
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      init.body = c.req.raw.body;
      init.duplex = 'half';
    }
    return app.fetch(new Request(url, init), c.env);
  });

  app.get('/share/:slug', async (c) => {
    const link = await linkOf(c.req.param('slug'));
    if (!link) return gone(c);
    return serveAsset(c, ASSETS['/'], link.frameAncestors);
  });

  app.post('/share/:slug/unlock', async (c) => {
    const slug = c.req.param('slug');
    const ip = clientIp(c.req.header() as Record<string, string>, remoteAddress(c), deps.trustProxy);
    const wait = Math.max(tries.retryAfter(`${ip} ${slug}`), perLink.retryAfter(slug), failures.retryAfter(ip));
    if (wait > 0) return c.json({ error: 'too many tries; wait a minute' }, 429, { 'Retry-After': String(wait) });
    const link = await linkOf(slug);
    if (!link) return c.json({ error: 'this shared link does not exist or was revoked' }, 404);
    const { password } = parseBody(ADMIN_BODY.unlock, await readJson(c));
    if (link.passwordHash !== '') {
      if (hashing >= MAX_HASHING) return c.json({ error: 'busy; retry in a moment' }, 429, { 'Retry-After': '1' });
      hashing++;
      let ok: boolean;
      try {
        ok = password.length > 0 && password.length <= 200 && (await verifyPassword(password, link.passwordHash));
      } finally {
        hashing--;
      }
      if (!ok) {
        tries.count(`${ip} ${slug}`, 1);
        perLink.count(slug, 1);
        log.warn({ ip, link: slug.slice(0, 6) }, 'share_password_wrong');
        return c.json({ error: 'wrong password' }, 401);
      }
    }
    return c.json({ site: link.site, ...shareProof(link, now()) }, 200, { 'Cache-Control': 'no-store' });
  });
}

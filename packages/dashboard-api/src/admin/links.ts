/**
 * `GET|POST /api/v2/sites/{site}/shared-links`, `DELETE …/{slug}` (SPEC §11, `sites:admin` on
 * the site). A link is a random slug; its password is kept as a scrypt hash; its filters are
 * held for every query made through it; `frameAncestors` lets other sites frame it.
 */
import { actorOf, hashPassword, newSlug, type SharedLink } from '@tidemark/shared';
import type { Hono } from 'hono';
import type { ApiEnv } from '../auth/context.ts';
import type { Guard } from '../auth/guard.ts';
import { parseSite } from '../params.ts';
import { type AdminContext, audit, linkView, NotFound, originOf, readJson } from './common.ts';
import { BODY, parseBody } from './schemas.ts';

export function mountLinks(v2: Hono<ApiEnv>, guard: Guard, admin: AdminContext): void {
  const { registry, now } = admin;
  const store = registry.store;

  v2.get('/sites/:site/shared-links', guard.scope('sites:admin'), async (c) => {
    const site = parseSite(c.req.param('site'));
    guard.site(c, 'sites:admin', site);
    const links = (await store.list('sharedLinks')).filter((l) => l.site === site).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    const origin = originOf(c, admin.https(c));
    return c.json({ links: links.map((l) => linkView(l, origin)) });
  });

  v2.post('/sites/:site/shared-links', guard.scope('sites:admin'), async (c) => {
    const site = parseSite(c.req.param('site'));
    guard.site(c, 'sites:admin', site);
    const body = parseBody(BODY.linkCreate, await readJson(c));
    const link: SharedLink = {
      slug: newSlug(),
      site,
      name: body.name ?? '',
      passwordHash: body.password === undefined ? '' : await hashPassword(body.password),
      filters: body.filters ?? [],
      frameAncestors: body.frameAncestors ?? [],
      createdAt: new Date(now()).toISOString(),
      createdBy: actorOf(c.var.auth.principal),
      version: 0,
    };
    await store.put('sharedLinks', link);
    await audit(c, admin, 'link.create', {
      site,
      target: link.slug.slice(0, 6),
      details: { name: link.name, password: link.passwordHash !== '', filters: link.filters.length, frameAncestors: link.frameAncestors },
    });
    await registry.refresh();
    return c.json(linkView(link, originOf(c, admin.https(c))), 201, { 'Cache-Control': 'no-store' });
  });

  v2.delete('/sites/:site/shared-links/:slug', guard.scope('sites:admin'), async (c) => {
    const site = parseSite(c.req.param('site'));
    guard.site(c, 'sites:admin', site);
    const slug = c.req.param('slug');
    const link = /^[A-Za-z0-9_-]{10,64}$/.test(slug) ? await store.get('sharedLinks', slug) : null;
    if (!link || link.site !== site) throw new NotFound(`slug: ${site} has no such shared link`);
    await store.put('sharedLinks', link, { deleted: true });
    await audit(c, admin, 'link.revoke', { site, target: slug.slice(0, 6), details: { name: link.name } });
    await registry.refresh();
    return c.body(null, 204);
  });
}

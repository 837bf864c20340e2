/**
 * `GET|POST /api/v2/sites`, `GET|PATCH|DELETE /api/v2/sites/{site}` (SPEC §11, `sites:admin`).
 * Reads come from storage (not this instance's copy), so a change made through any instance
 * is seen at once; every change is audited and reloads this instance's copy.
 */
import { newSite, type Site } from '@tidemark/shared';
import type { Hono } from 'hono';
import type { ApiEnv } from '../auth/context.ts';
import type { Guard } from '../auth/guard.ts';
import { parseSite } from '../params.ts';
import { type AdminContext, audit, Conflict, NotFound, readJson, siteView } from './common.ts';
import { BODY, checkGoalNames, parseBody } from './schemas.ts';

type Fields = Partial<Omit<Site, 'site' | 'createdAt' | 'updatedAt' | 'version' | 'exclude'>> & {
  exclude?: Partial<Site['exclude']>;
};

function apply(site: Site, fields: Fields, at: string): Site {
  return {
    ...site,
    ...(fields.timezone !== undefined && { timezone: fields.timezone }),
    ...(fields.hostnames !== undefined && { hostnames: fields.hostnames }),
    ...(fields.goals !== undefined && { goals: fields.goals }),
    ...(fields.umamiWebsiteId !== undefined && { umamiWebsiteId: fields.umamiWebsiteId }),
    ...(fields.public !== undefined && { public: fields.public }),
    exclude: { ...site.exclude, ...fields.exclude },
    updatedAt: at,
  };
}

export function mountSites(v2: Hono<ApiEnv>, guard: Guard, admin: AdminContext): void {
  const { registry, now } = admin;
  const store = registry.store;

  /** An Umami website id belongs to one site (SPEC §13 maps its events by it). */
  async function checkUmami(site: string, id: string | null | undefined): Promise<void> {
    if (!id) return;
    const other = (await store.list('sites')).find((s) => s.umamiWebsiteId === id && s.site !== site);
    if (other) throw new Conflict(`umamiWebsiteId: already the id of ${other.site}`);
  }

  v2.get('/sites', guard.scope('sites:admin'), async (c) => {
    const allowed = guard.sites(c, 'sites:admin');
    const sites = (await store.list('sites')).filter((s) => allowed === 'all' || allowed.includes(s.site));
    sites.sort((a, b) => a.site.localeCompare(b.site));
    return c.json({ sites: sites.map(siteView) });
  });

  v2.post('/sites', guard.scope('sites:admin'), async (c) => {
    const body = parseBody(BODY.siteCreate, await readJson(c));
    guard.site(c, 'sites:admin', body.site);
    checkGoalNames(body.goals);
    if (await store.get('sites', body.site)) throw new Conflict(`site: ${body.site} is already registered`);
    await checkUmami(body.site, body.umamiWebsiteId);
    const at = new Date(now()).toISOString();
    const site = apply(newSite(body.site, at), body, at);
    await store.put('sites', site);
    await audit(c, admin, 'site.create', { site: site.site, target: site.site, details: { fields: Object.keys(body) } });
    await registry.refresh();
    return c.json(siteView(site), 201, { Location: `/api/v2/sites/${site.site}` });
  });

  v2.get('/sites/:site', guard.scope('sites:admin'), async (c) => {
    const name = parseSite(c.req.param('site'));
    guard.site(c, 'sites:admin', name);
    const site = await store.get('sites', name);
    if (!site) throw new NotFound(`site: ${name} is not registered`);
    return c.json(siteView(site));
  });

  v2.patch('/sites/:site', guard.scope('sites:admin'), async (c) => {
    const name = parseSite(c.req.param('site'));
    guard.site(c, 'sites:admin', name);
    const body = parseBody(BODY.siteUpdate, await readJson(c));
    if (body.site !== undefined && body.site !== name) {
      // A schema-valid body that names another site than the path's: the site's name is its identity.
      throw new Conflict('/site: a site cannot be renamed; register the new name');
    }
    const current = await store.get('sites', name);
    if (!current) throw new NotFound(`site: ${name} is not registered`);
    checkGoalNames(body.goals);
    await checkUmami(name, body.umamiWebsiteId);
    const site = apply(current, body, new Date(now()).toISOString());
    await store.put('sites', site);
    await audit(c, admin, 'site.update', { site: name, target: name, details: { fields: Object.keys(body).filter((k) => k !== 'site') } });
    await registry.refresh();
    return c.json(siteView(site));
  });

  v2.delete('/sites/:site', guard.scope('sites:admin'), async (c) => {
    const name = parseSite(c.req.param('site'));
    guard.site(c, 'sites:admin', name);
    const current = await store.get('sites', name);
    if (!current) throw new NotFound(`site: ${name} is not registered`);
    await store.put('sites', current, { deleted: true });
    // Its shared links go with it; its events stay (docs/admin.md says how to delete them).
    const links = (await store.list('sharedLinks')).filter((l) => l.site === name);
    for (const link of links) await store.put('sharedLinks', link, { deleted: true });
    await audit(c, admin, 'site.delete', { site: name, target: name, details: { sharedLinksRevoked: links.length } });
    await registry.refresh();
    return c.body(null, 204);
  });
}

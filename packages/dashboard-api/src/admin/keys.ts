/**
 * `GET|POST /api/v2/keys`, `DELETE /api/v2/keys/{id}` (SPEC §11, `sites:admin`). A key is shown
 * once, in the answer that made it; only its SHA-256 and its first characters are stored.
 * Nobody makes a key stronger than their own: its scopes must be theirs, and an admin of some
 * sites makes keys for (and sees, and revokes) keys of those sites only.
 */
import { type ApiKey, actorOf, newApiKey, scopesOf } from '@tidemark/shared';
import type { Hono } from 'hono';
import type { ApiContext, ApiEnv } from '../auth/context.ts';
import { AccessDenied, type Guard } from '../auth/guard.ts';
import { type AdminContext, audit, keyView, NotFound, readJson } from './common.ts';
import { BODY, parseBody } from './schemas.ts';

const KEY_ID = /^key_[0-9a-f]{12}$/;

export function mountKeys(v2: Hono<ApiEnv>, guard: Guard, admin: AdminContext): void {
  const { registry, now } = admin;
  const store = registry.store;

  /** Whether the caller administers every site `key` reaches. */
  const within = (c: ApiContext, key: Pick<ApiKey, 'sites'>) => {
    const mine = guard.sites(c, 'sites:admin');
    return mine === 'all' || (key.sites.length > 0 && key.sites.every((s) => mine.includes(s)));
  };

  v2.get('/keys', guard.scope('sites:admin'), async (c) => {
    const [keys, uses] = await Promise.all([store.list('apiKeys'), store.lastKeyUses()]);
    const pending = registry.pendingKeyUses();
    const lastUsed = (id: string) => {
      const here = pending.get(id);
      const stored = uses.get(id) ?? null;
      if (here === undefined) return stored;
      const iso = new Date(here).toISOString();
      return stored === null || iso > stored ? iso : stored;
    };
    const visible = keys.filter((k) => within(c, k)).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
    return c.json({ keys: visible.map((k) => keyView(k, lastUsed(k.id))) });
  });

  v2.post('/keys', guard.scope('sites:admin'), async (c) => {
    const body = parseBody(BODY.keyCreate, await readJson(c));
    const principal = c.var.auth.principal;
    const mine = scopesOf(principal);
    const stronger = body.scopes.find((s) => !mine.includes(s));
    if (stronger) throw new AccessDenied(`scopes: you cannot grant ${stronger}, which you do not hold`, 403);
    const sites = body.sites ?? [];
    if (!within(c, { sites })) {
      throw new AccessDenied('sites: list only sites you administer (an admin of every site may leave it empty for all)', 403);
    }
    const made = newApiKey();
    const key: ApiKey = {
      id: made.id,
      name: body.name,
      prefix: made.prefix,
      hash: made.hash,
      scopes: body.scopes,
      sites,
      createdAt: new Date(now()).toISOString(),
      createdBy: actorOf(principal),
      version: 0,
    };
    await store.put('apiKeys', key);
    await audit(c, admin, 'key.create', { target: key.id, details: { name: key.name, scopes: key.scopes, sites: key.sites } });
    await registry.refresh();
    // The only time the key is shown; it is in no log and no URL.
    return c.json({ ...keyView(key, null), key: made.key }, 201, { 'Cache-Control': 'no-store' });
  });

  v2.delete('/keys/:id', guard.scope('sites:admin'), async (c) => {
    const id = c.req.param('id');
    const key = KEY_ID.test(id) ? await store.get('apiKeys', id) : null;
    if (!key) throw new NotFound(`id: no key ${id.slice(0, 40)}`);
    if (!within(c, key)) throw new AccessDenied('this key reaches sites you do not administer', 403);
    await store.put('apiKeys', key, { deleted: true });
    await audit(c, admin, 'key.revoke', { target: key.id, details: { name: key.name, prefix: key.prefix } });
    await registry.refresh();
    return c.body(null, 204);
  });
}

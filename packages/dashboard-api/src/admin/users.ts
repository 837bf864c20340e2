/**
 * `GET|POST /api/v2/users`, `PATCH|DELETE /api/v2/users/{user}`: who the reverse proxy may sign
 * in (`AUTH_PROXY_HEADER`), as `admin` (every site) or `viewer` (stats of listed sites).
 * Roles are global, so this needs `sites:admin` on every site.
 */
import { actorOf, type User, ValidationError } from '@tidemark/shared';
import type { Hono } from 'hono';
import type { ApiEnv } from '../auth/context.ts';
import type { Guard } from '../auth/guard.ts';
import { type AdminContext, audit, Conflict, NotFound, readJson, userView } from './common.ts';
import { BODY, parseBody, USER_NAME } from './schemas.ts';

function checkViewer(user: Pick<User, 'role' | 'sites'>): void {
  if (user.role === 'viewer' && user.sites.length === 0) {
    throw new ValidationError('/sites: a viewer needs at least one site', '/sites');
  }
}

export function mountUsers(v2: Hono<ApiEnv>, guard: Guard, admin: AdminContext): void {
  const { registry, now } = admin;
  const store = registry.store;
  const name = (raw: string) => {
    const user = raw.toLowerCase();
    if (user.length > 254 || !USER_NAME.test(user)) throw new ValidationError('user: must be the name the proxy sends', 'user');
    return user;
  };

  v2.use('/users/*', guard.scope('sites:admin'));
  v2.use('/users', guard.scope('sites:admin'));

  v2.get('/users', async (c) => {
    guard.all(c, 'sites:admin');
    const users = (await store.list('users')).sort((a, b) => a.user.localeCompare(b.user));
    return c.json({ users: users.map(userView) });
  });

  v2.post('/users', async (c) => {
    guard.all(c, 'sites:admin');
    const body = parseBody(BODY.userCreate, await readJson(c));
    const user: User = {
      user: body.user,
      role: body.role,
      sites: body.role === 'admin' ? [] : (body.sites ?? []),
      createdAt: new Date(now()).toISOString(),
      createdBy: actorOf(c.var.auth.principal),
      version: 0,
    };
    checkViewer(user);
    if (await store.get('users', user.user)) throw new Conflict(`user: ${user.user} exists already`);
    await store.put('users', user);
    await audit(c, admin, 'user.create', { target: user.user, details: { role: user.role, sites: user.sites } });
    await registry.refresh();
    return c.json(userView(user), 201);
  });

  v2.patch('/users/:user', async (c) => {
    guard.all(c, 'sites:admin');
    const id = name(c.req.param('user'));
    const body = parseBody(BODY.userUpdate, await readJson(c));
    const current = await store.get('users', id);
    if (!current) throw new NotFound(`user: no user ${id}`);
    const role = body.role ?? current.role;
    const user: User = { ...current, role, sites: role === 'admin' ? [] : (body.sites ?? current.sites) };
    // A schema-valid change (an admin made a viewer, no sites named) the user's state refuses.
    if (user.role === 'viewer' && user.sites.length === 0) throw new Conflict('/sites: a viewer needs at least one site');
    await store.put('users', user);
    await audit(c, admin, 'user.update', { target: id, details: { role: user.role, sites: user.sites } });
    await registry.refresh();
    return c.json(userView(user));
  });

  v2.delete('/users/:user', async (c) => {
    guard.all(c, 'sites:admin');
    const id = name(c.req.param('user'));
    const current = await store.get('users', id);
    if (!current) throw new NotFound(`user: no user ${id}`);
    await store.put('users', current, { deleted: true });
    await audit(c, admin, 'user.delete', { target: id });
    await registry.refresh();
    return c.body(null, 204);
  });
}

/**
 * The route × scope matrix (SPEC §11): every principal — each scope on one site and on every
 * site, API_TOKEN, proxy users of both roles, a shared link, nobody — against every route of
 * the dashboard API, expecting exactly the allowed set to pass (2xx) and everything else 403
 * (401 for nobody). The expectations are this file's own table, not the code's; and the table
 * must name every `/api/*` route the app serves, so a new route cannot skip the matrix. The
 * collector's keyed route (server-side events) is tried with the same keys.
 */
import type { AddressInfo } from 'node:net';
import { createCollector } from '@tidemark/collector';
import { loadConfig, plainLogger, type QueueProducer } from '@tidemark/shared';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type AccessApp, startAccessApp, TOKEN, type Who } from './access-support.ts';

const A = 'a.example';
const B = 'b.example';
const SCOPES = ['stats:read', 'sites:admin', 'events:write'] as const;
type Scope = (typeof SCOPES)[number];

/** What a principal holds, as this test understands SPEC §11. */
interface Holder {
  name: string;
  who: Who;
  scopes: readonly Scope[];
  /** Sites its scopes apply to; 'all' for every site. */
  sites: 'all' | readonly string[];
  anonymous?: boolean;
  /** A shared link: reads its site's stats, never raw events or its settings (alert rules, reports). */
  link?: boolean;
  /** Made again before each request (a shared link goes when its site is deleted). */
  renew?: () => Promise<Who>;
}

/**
 * What a route asks: a scope on site A, on any one site, or on every site; or nothing.
 * `noLinks`: a shared link is refused even where its stats:read would reach (raw events; alert rules and reports).
 */
type Need = { scope: Scope; on: 'A' | 'any' | 'all'; noLinks?: true } | 'anyone';

interface Route {
  method: string;
  /** Hono's path pattern, as `app.routes` lists it. */
  pattern: string;
  need: Need;
  /** Makes what the request needs (with API_TOKEN), answers the concrete path and body. */
  prepare: (t: AccessApp, n: number) => Promise<{ path: string; body?: unknown; raw?: string }>;
}

/** An Umami data export (website_event CSV) of one pageview on a day of its own, 2020-01-01 plus `n` days. */
function umamiExport(n: number): string {
  const day = new Date(Date.UTC(2020, 0, 1 + n)).toISOString().slice(0, 10);
  return [
    'website_id,session_id,visit_id,event_id,hostname,browser,os,device,screen,language,country,subdivision1,subdivision2,city,url_path,url_query,referrer_path,referrer_query,referrer_domain,page_title,event_type,event_name,created_at',
    `0b6c1f9e-8a57-4a39-9d33-7a2f1e5b4c21,s${n},v${n},e${n},a.example,chrome,Linux,desktop,1920x1080,en,DE,,,,/,,,,,Home,1,,${day} 10:00:00`,
    '',
  ].join('\n');
}

const fixed =
  (path: string, body?: unknown): Route['prepare'] =>
  async () =>
    body === undefined ? { path } : { path, body };

async function ensureSite(t: AccessApp, site: string): Promise<void> {
  const res = await t.request(`/api/v2/sites/${site}`, { as: { bearer: TOKEN } });
  if (res.status === 404) await t.admin('POST', '/api/v2/sites', { site });
}

/** A request on site A, registered first. */
const onSiteA =
  (body?: unknown): Route['prepare'] =>
  async (t) => {
    await ensureSite(t, A);
    return body === undefined ? { path: `/api/v2/sites/${A}` } : { path: `/api/v2/sites/${A}`, body };
  };

const ROUTES: Route[] = [
  { method: 'GET', pattern: '/api/session', need: 'anyone', prepare: fixed('/api/session') },
  { method: 'DELETE', pattern: '/api/session', need: 'anyone', prepare: fixed('/api/session') },
  ...['live', 'top-pages', 'timeseries', 'anomaly'].map(
    (r): Route => ({
      method: 'GET',
      pattern: `/api/v1/${r}`,
      need: { scope: 'stats:read', on: 'A' },
      prepare: fixed(`/api/v1/${r}?site=${A}`),
    }),
  ),
  {
    method: 'GET',
    pattern: '/api/v1/breakdown',
    need: { scope: 'stats:read', on: 'A' },
    prepare: fixed(`/api/v1/breakdown?site=${A}&dimension=country`),
  },
  { method: 'GET', pattern: '/api/v1/stream', need: { scope: 'stats:read', on: 'A' }, prepare: fixed(`/api/v1/stream?site=${A}`) },
  { method: 'GET', pattern: '/api/v1/freshness', need: { scope: 'stats:read', on: 'all' }, prepare: fixed('/api/v1/freshness') },
  { method: 'GET', pattern: '/api/v1/sites', need: { scope: 'stats:read', on: 'any' }, prepare: fixed('/api/v1/sites') },
  { method: 'GET', pattern: '/api/v2/properties', need: { scope: 'stats:read', on: 'A' }, prepare: fixed(`/api/v2/properties?site=${A}`) },
  {
    method: 'POST',
    pattern: '/api/v2/query',
    need: { scope: 'stats:read', on: 'A' },
    prepare: fixed('/api/v2/query', { site: A, metrics: ['visitors'], dateRange: '7d' }),
  },
  {
    method: 'POST',
    pattern: '/api/v2/query/batch',
    need: { scope: 'stats:read', on: 'A' },
    prepare: fixed('/api/v2/query/batch', { queries: [{ site: A, metrics: ['visitors'], dateRange: '7d' }] }),
  },
  { method: 'GET', pattern: '/api/v2/sites', need: { scope: 'sites:admin', on: 'any' }, prepare: fixed('/api/v2/sites') },
  {
    method: 'POST',
    pattern: '/api/v2/sites',
    need: { scope: 'sites:admin', on: 'A' },
    async prepare(t) {
      const res = await t.request(`/api/v2/sites/${A}`, { method: 'DELETE', as: { bearer: TOKEN } });
      expect([204, 404]).toContain(res.status);
      return { path: '/api/v2/sites', body: { site: A, timezone: 'Europe/Berlin' } };
    },
  },
  {
    method: 'GET',
    pattern: '/api/v2/sites/:site',
    need: { scope: 'sites:admin', on: 'A' },
    prepare: onSiteA(),
  },
  {
    method: 'PATCH',
    pattern: '/api/v2/sites/:site',
    need: { scope: 'sites:admin', on: 'A' },
    prepare: onSiteA({ public: false }),
  },
  {
    method: 'DELETE',
    pattern: '/api/v2/sites/:site',
    need: { scope: 'sites:admin', on: 'A' },
    prepare: onSiteA(),
  },
  {
    method: 'GET',
    pattern: '/api/v2/sites/:site/shared-links',
    need: { scope: 'sites:admin', on: 'A' },
    prepare: fixed(`/api/v2/sites/${A}/shared-links`),
  },
  {
    method: 'POST',
    pattern: '/api/v2/sites/:site/shared-links',
    need: { scope: 'sites:admin', on: 'A' },
    prepare: fixed(`/api/v2/sites/${A}/shared-links`, { name: 'matrix' }),
  },
  {
    method: 'DELETE',
    pattern: '/api/v2/sites/:site/shared-links/:slug',
    need: { scope: 'sites:admin', on: 'A' },
    async prepare(t) {
      const link = await t.admin<{ slug: string }>('POST', `/api/v2/sites/${A}/shared-links`, {});
      return { path: `/api/v2/sites/${A}/shared-links/${link.slug}` };
    },
  },
  { method: 'GET', pattern: '/api/v2/keys', need: { scope: 'sites:admin', on: 'any' }, prepare: fixed('/api/v2/keys') },
  {
    method: 'POST',
    pattern: '/api/v2/keys',
    need: { scope: 'sites:admin', on: 'A' },
    prepare: fixed('/api/v2/keys', { name: 'made in the matrix', scopes: ['sites:admin'], sites: [A] }),
  },
  {
    method: 'DELETE',
    pattern: '/api/v2/keys/:id',
    need: { scope: 'sites:admin', on: 'A' },
    async prepare(t) {
      const key = await t.admin<{ id: string }>('POST', '/api/v2/keys', { name: 'to revoke', scopes: ['stats:read'], sites: [A] });
      return { path: `/api/v2/keys/${key.id}` };
    },
  },
  { method: 'GET', pattern: '/api/v2/users', need: { scope: 'sites:admin', on: 'all' }, prepare: fixed('/api/v2/users') },
  {
    method: 'POST',
    pattern: '/api/v2/users',
    need: { scope: 'sites:admin', on: 'all' },
    prepare: async (_, n) => ({ path: '/api/v2/users', body: { user: `new-${n}@example.com`, role: 'viewer', sites: [A] } }),
  },
  {
    method: 'PATCH',
    pattern: '/api/v2/users/:user',
    need: { scope: 'sites:admin', on: 'all' },
    async prepare(t, n) {
      await t.admin('POST', '/api/v2/users', { user: `patch-${n}@example.com`, role: 'viewer', sites: [A] });
      return { path: `/api/v2/users/patch-${n}@example.com`, body: { sites: [A, B] } };
    },
  },
  {
    method: 'DELETE',
    pattern: '/api/v2/users/:user',
    need: { scope: 'sites:admin', on: 'all' },
    async prepare(t, n) {
      await t.admin('POST', '/api/v2/users', { user: `gone-${n}@example.com`, role: 'viewer', sites: [A] });
      return { path: `/api/v2/users/gone-${n}@example.com` };
    },
  },
  { method: 'GET', pattern: '/api/v2/audit', need: { scope: 'sites:admin', on: 'all' }, prepare: fixed('/api/v2/audit') },
  {
    method: 'POST',
    pattern: '/api/v2/funnel',
    need: { scope: 'stats:read', on: 'A' },
    prepare: fixed('/api/v2/funnel', {
      site: A,
      steps: [
        ['is', 'page', ['/']],
        ['is', 'event', ['signup']],
      ],
    }),
  },
  { method: 'GET', pattern: '/api/v2/goals', need: { scope: 'stats:read', on: 'A' }, prepare: fixed(`/api/v2/goals?site=${A}`) },
  { method: 'GET', pattern: '/api/v2/properties', need: { scope: 'stats:read', on: 'A' }, prepare: fixed(`/api/v2/properties?site=${A}`) },
  {
    method: 'GET',
    pattern: '/api/v2/sites/:site/export',
    need: { scope: 'stats:read', on: 'A', noLinks: true },
    prepare: fixed(`/api/v2/sites/${A}/export?from=2026-01-01&to=2026-01-01`),
  },
  {
    method: 'GET',
    pattern: '/api/v2/sites/:site/imports',
    need: { scope: 'sites:admin', on: 'A' },
    prepare: fixed(`/api/v2/sites/${A}/imports`),
  },
  {
    method: 'POST',
    pattern: '/api/v2/sites/:site/imports',
    need: { scope: 'sites:admin', on: 'A' },
    // Each import of a different day (an overlap is a 409), made from Umami's export format.
    prepare: async (_, n) => ({
      path: `/api/v2/sites/${A}/imports?source=umami`,
      raw: umamiExport(n),
    }),
  },
  {
    method: 'DELETE',
    pattern: '/api/v2/sites/:site/imports/:id',
    need: { scope: 'sites:admin', on: 'A' },
    async prepare(t, n) {
      const made = await t.request(`/api/v2/sites/${A}/imports?source=umami`, {
        method: 'POST',
        as: { bearer: TOKEN },
        headers: { 'Content-Type': 'application/octet-stream' },
        body: umamiExport(10_000 + n),
      });
      expect(made.status).toBe(201);
      return { path: `/api/v2/sites/${A}/imports/${((await made.json()) as { id: string }).id}` };
    },
  },
  ...(['alert', 'report'] as const).flatMap(ruleRoutes),
];

/** A rule of site A, made with API_TOKEN (once, or `fresh` for each request that deletes it). */
function ruleOf(kind: 'alert' | 'report', fresh = false): (t: AccessApp) => Promise<string> {
  let id = '';
  return async (t) => {
    if (id === '' || fresh) {
      const channels = [{ type: 'webhook', url: 'http://127.0.0.1:1/closed' }];
      const body =
        kind === 'alert'
          ? { site: A, name: 'matrix', query: { metrics: ['pageviews'] }, condition: { op: '>', value: 1 }, every: '1h', channels }
          : { site: A, period: 'weekly', channels };
      await ensureSite(t, A);
      id = (await t.admin<{ id: string }>('POST', `/api/v2/${kind}s`, body)).id;
    }
    return id;
  };
}

function ruleRoutes(kind: 'alert' | 'report'): Route[] {
  const base = `/api/v2/${kind}s`;
  const kept = ruleOf(kind);
  const fresh = ruleOf(kind, true);
  const read = { scope: 'stats:read', on: 'A', noLinks: true } as const;
  const admin = { scope: 'sites:admin', on: 'A', noLinks: true } as const;
  const channels = [{ type: 'webhook', url: 'http://127.0.0.1:1/closed' }];
  const body =
    kind === 'alert'
      ? { site: A, name: 'made', query: { metrics: ['visitors'] }, condition: { changePct: 50, minVolume: 10 }, every: '1h', channels }
      : { site: A, period: 'monthly', channels };
  return [
    // The list is everyone's with stats:read somewhere (each sees the rules of their own sites).
    { method: 'GET', pattern: base, need: { scope: 'stats:read', on: 'any', noLinks: true }, prepare: fixed(base) },
    { method: 'POST', pattern: base, need: admin, prepare: fixed(base, body) },
    { method: 'GET', pattern: `${base}/:id`, need: read, prepare: async (t) => ({ path: `${base}/${await kept(t)}` }) },
    { method: 'DELETE', pattern: `${base}/:id`, need: admin, prepare: async (t) => ({ path: `${base}/${await fresh(t)}` }) },
    {
      method: 'GET',
      pattern: `${base}/:id/deliveries`,
      need: read,
      prepare: async (t) => ({ path: `${base}/${await kept(t)}/deliveries` }),
    },
    {
      method: 'POST',
      pattern: `${base}/:id/test`,
      need: admin,
      prepare: async (t) => ({ path: `${base}/${await kept(t)}/test` }),
    },
  ];
}

/** Routes served without any credentials (pages, health, documents, sign-in itself). */
const OPEN = [
  'GET /healthz',
  'GET /metrics',
  'GET /openapi.json',
  'GET /',
  'GET /settings',
  'GET /assets/app.js',
  'GET /assets/app.css',
  'GET /assets/world.json',
  'GET /assets/settings.js',
  'GET /assets/settings.css',
  'GET /assets/session.js',
  'GET /assets/table.js',
  'GET /share/:slug',
  'POST /share/:slug/unlock',
  // The API through a link: the link is its only credential (test/access-api.integration.test.ts).
  'ALL /share/:slug/api/*',
  'POST /api/session',
];

function allowed(holder: Holder, need: Need): boolean {
  if (need === 'anyone') return true;
  if (need.noLinks && holder.link) return false;
  if (!holder.scopes.includes(need.scope)) return false;
  if (holder.sites === 'all') return true;
  if (need.on === 'all') return false;
  if (need.on === 'any') return holder.sites.length > 0;
  return holder.sites.includes(A);
}

describe('route × scope matrix', () => {
  let t: AccessApp;
  const holders: Holder[] = [];

  beforeAll(async () => {
    t = await startAccessApp(inject('clickhouseUrl'), { AUTH_PROXY_HEADER: 'X-Forwarded-User', AUTH_PROXY_CIDRS: '10.9.8.0/24' });
    await t.admin('POST', '/api/v2/sites', { site: A });
    await t.admin('POST', '/api/v2/sites', { site: B });
    for (const scope of SCOPES) {
      for (const sites of [[A], [B], []] as const) {
        const made = await t.admin<{ key: string }>('POST', '/api/v2/keys', {
          name: `${scope} ${sites.join() || 'all'}`,
          scopes: [scope],
          sites,
        });
        holders.push({
          name: `key ${scope} on ${sites.join() || 'every site'}`,
          who: { bearer: made.key },
          scopes: [scope],
          sites: sites.length ? sites : 'all',
        });
      }
    }
    const every = await t.admin<{ key: string }>('POST', '/api/v2/keys', { name: 'every scope on b', scopes: [...SCOPES], sites: [B] });
    holders.push({ name: 'key with every scope on b', who: { bearer: every.key }, scopes: SCOPES, sites: [B] });
    holders.push({ name: 'API_TOKEN', who: { bearer: TOKEN }, scopes: SCOPES, sites: 'all' });
    await t.admin('POST', '/api/v2/users', { user: 'ada@example.com', role: 'admin' });
    await t.admin('POST', '/api/v2/users', { user: 'vic@example.com', role: 'viewer', sites: [A] });
    // The proxy's sign-in is sent by the browser itself: unsafe requests carry the CSRF token.
    holders.push({ name: 'proxy admin', who: { user: 'ada@example.com', csrf: 'csrf-ada-0123456789' }, scopes: SCOPES, sites: 'all' });
    holders.push({
      name: 'proxy viewer of a',
      who: { user: 'vic@example.com', csrf: 'csrf-vic-0123456789' },
      scopes: ['stats:read'],
      sites: [A],
    });
    let slug = '';
    const renew = async (): Promise<Who> => {
      if (slug === '' || (await t.request(`/share/${slug}`)).status === 404) {
        await ensureSite(t, A);
        slug = (await t.admin<{ slug: string }>('POST', `/api/v2/sites/${A}/shared-links`, { name: 'public view of a' })).slug;
      }
      return { share: slug };
    };
    holders.push({ name: 'shared link of a', who: await renew(), scopes: ['stats:read'], sites: [A], renew, link: true });
    holders.push({ name: 'nobody', who: null, scopes: [], sites: [], anonymous: true });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('names every route the app serves', async () => {
    // Middleware (auth, CORS, scope guards) shows as ALL too: those patterns, and nothing else, are not routes;
    // nor are a documented path's other methods (its 405 with Allow).
    const middleware = new Set(['/api/*', '/api/v1/*', '/api/v2/query', '/api/v2/users', '/api/v2/users/*']);
    const documented = Object.keys(((await (await t.request('/openapi.json')).json()) as { paths: object }).paths);
    for (const path of documented) middleware.add(path.replace(/\{(\w+)\}/g, ':$1'));
    const served = new Set(t.app.routes.filter((r) => !(r.method === 'ALL' && middleware.has(r.path))).map((r) => `${r.method} ${r.path}`));
    const named = new Set([...ROUTES.map((r) => `${r.method} ${r.pattern}`), ...OPEN]);
    expect([...served].filter((r) => !named.has(r)).sort(), 'routes missing from the matrix').toEqual([]);
    expect([...named].filter((r) => !served.has(r)).sort(), 'routes in the matrix the app does not serve').toEqual([]);
  });

  it('lets exactly the allowed principals through each route', async () => {
    const wrong: string[] = [];
    let n = 0;
    for (const route of ROUTES) {
      for (const holder of holders) {
        n++;
        const { path, body, raw } = await route.prepare(t, n);
        if (holder.renew) holder.who = await holder.renew();
        const headers: Record<string, string> =
          raw !== undefined
            ? { 'Content-Type': 'application/octet-stream' }
            : body === undefined
              ? {}
              : { 'Content-Type': 'application/json' };
        const res = await t.request(path, {
          method: route.method,
          as: holder.who,
          headers,
          ...(raw !== undefined ? { body: raw } : body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        let text = '';
        if (route.pattern === '/api/v1/stream') await res.body?.cancel();
        else text = await res.text();
        const expected = allowed(holder, route.need) ? '2xx' : holder.anonymous ? '401' : '403';
        const got = res.status >= 200 && res.status < 300 ? '2xx' : String(res.status);
        if (got !== expected)
          wrong.push(`${route.method} ${path} as ${holder.name}: expected ${expected}, got ${res.status} ${text.slice(0, 160)}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('lets exactly the keys holding events:write on the site send server-side events to the collector', async () => {
    let stored = 0;
    const producer: QueueProducer = {
      async send(events) {
        stored += events.length;
      },
      ready: async () => true,
      close: async () => {},
    };
    const collector = createCollector({
      config: loadConfig({ API_TOKEN: TOKEN, RATE_LIMIT_PER_MINUTE: '0' }).collector,
      producer,
      log: plainLogger(),
      registry: new Registry(),
      access: t.access,
    });
    // The event route is the collector's own HTTP server (not Hono): post to it.
    const server = collector.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/event`;
    const wrong: string[] = [];
    for (const holder of holders) {
      if (holder.who === null || !('bearer' in holder.who)) continue; // the collector takes keys only
      const res = await fetch(url, {
        method: 'POST',
        body: JSON.stringify({ site: A, name: 'signup', url: `https://${A}/` }),
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${holder.who.bearer}` },
      });
      const expected = allowed(holder, { scope: 'events:write', on: 'A' }) ? '202' : '403';
      await res.body?.cancel();
      if (String(res.status) !== expected) wrong.push(`POST /api/event as ${holder.name}: expected ${expected}, got ${res.status}`);
    }
    await new Promise((resolve) => server.close(resolve));
    await collector.close();
    expect(wrong).toEqual([]);
    expect(stored).toBe(3); // the events:write key on a, the one on every site, API_TOKEN
  });
});

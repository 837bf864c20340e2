import { request as httpRequest } from 'node:http';
import type { Server } from 'node:net';
import { serve } from '@hono/node-server';
import { type ClickHouseClient, createAccessRegistry, listening, plainLogger } from '@tidemark/shared';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createDashboardApp } from './app.ts';

// Parameter checks and auth run before any query: a client that must not be called proves it.
const untouchable = new Proxy({} as ClickHouseClient, {
  get() {
    throw new Error('ClickHouse must not be queried');
  },
});

function app(
  token: string | null = null,
  corsOrigins: string[] | null = null,
  authProxy: { header: string; cidrs: string[] } | null = null,
) {
  return createDashboardApp({
    client: untouchable,
    database: 'analytics',
    token,
    authProxy,
    // Never started: no key or site is known, and nothing is read.
    access: createAccessRegistry({ client: untouchable, database: 'analytics', log: plainLogger() }),
    log: plainLogger(),
    registry: new Registry(),
    corsOrigins,
  });
}

const INJECTIONS = [
  "a.com' OR 1=1 --",
  'a.com;DROP TABLE events',
  'a.com%00',
  '{site:String}',
  '../../etc/passwd',
  'a.com) UNION SELECT 1',
];

const BAD: string[] = [
  '/api/v1/live',
  '/api/v1/live?site=',
  '/api/v1/live?site=a..com',
  '/api/v1/live?site=-a.com',
  `/api/v1/live?site=${'a'.repeat(64)}.com`,
  '/api/v1/live?site=a.com&window=1y',
  '/api/v1/live?site=a.com&window=29s',
  '/api/v1/live?site=a.com&window=91d',
  '/api/v1/live?site=a.com&window=-5m',
  '/api/v1/live?site=a.com&window=5',
  '/api/v1/live?site=a.com&window=99999999999m',
  '/api/v1/live?site=a.com&from=nope',
  // Dates that match the old loose pattern but do not exist, or name no instant (issue 15).
  '/api/v1/live?site=a.com&from=0000-00-00',
  '/api/v1/live?site=a.com&from=2026-02-30',
  '/api/v1/live?site=a.com&from=2025-02-29T00:00:00Z',
  '/api/v1/live?site=a.com&from=2026-01-01T24:00:00Z',
  '/api/v1/live?site=a.com&from=2026-01-01T00:00:00',
  '/api/v1/live?site=a.com&window=05m',
  '/api/v1/live?site=a.com&window=0d',
  ...INJECTIONS.map((s) => `/api/v1/live?site=${encodeURIComponent(s)}`),
  ...INJECTIONS.map((s) => `/api/v1/breakdown?site=a.com&dimension=${encodeURIComponent(s)}`),
  ...INJECTIONS.map((s) => `/api/v1/live?site=a.com&window=${encodeURIComponent(s)}`),
  `/api/v1/live?site=${'a'.repeat(300)}.com`,
  '/api/v1/top-pages?site=a.com&limit=0',
  '/api/v1/top-pages?site=a.com&limit=1001',
  '/api/v1/top-pages?site=a.com&limit=99999999999999999999',
  '/api/v1/top-pages?site=a.com&limit=1.5',
  '/api/v1/top-pages?site=a.com&limit=ten',
  '/api/v1/top-pages?site=a.com&limit=-1',
  '/api/v1/breakdown?site=a.com',
  '/api/v1/breakdown?site=a.com&dimension=path',
  '/api/v1/breakdown?site=a.com&dimension=Country',
  '/api/v1/timeseries?site=a.com&interval=week',
  '/api/v1/timeseries?site=a.com&breakdown=planet',
  '/api/v1/anomaly',
  '/api/v1/stream',
  '/api/v1/stream?site=a.com&window=1y',
  '/api/v1/freshness?site=%27',
  '/api/v2/properties',
  '/api/v2/properties?site=a.com&days=0',
  '/api/v2/properties?site=a.com&days=367',
  '/api/v2/properties?site=a.com&event=%3Cscript%3E',
];

describe('dashboard API parameters', () => {
  it.each(BAD)('answers %s with a 400 and a message', async (path) => {
    const res = await app().request(path);
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: string; field?: string };
    expect(body.error).toMatch(/^[a-z_]+: /);
  });

  it('names the field and the rule', async () => {
    const res = await app().request('/api/v1/breakdown?site=a.com&dimension=planet');
    expect(await res.json()).toEqual({
      error: expect.stringContaining('dimension: must be one of source, referrer, country'),
      field: 'dimension',
    });
  });
});

describe('dashboard API auth and CORS', () => {
  it('requires the Bearer token on every /api/v1 route when API_TOKEN is set', async () => {
    const api = app('s3cret');
    for (const path of [
      '/api/v1/live?site=a.com',
      '/api/v1/top-pages?site=a.com',
      '/api/v1/freshness',
      '/api/v1/stream?site=a.com',
      '/api/v1/live?site=a.com&token=s3cret',
    ]) {
      expect((await api.request(path)).status, path).toBe(401);
      expect((await api.request(path, { headers: { Authorization: 'Bearer wrong' } })).status, path).toBe(401);
    }
    // A valid token reaches the parameter checks (400 here, before any query).
    expect((await api.request('/api/v1/live', { headers: { Authorization: 'Bearer s3cret' } })).status).toBe(400);
    // No key in a URL any more: the stream takes the session cookie or the header like every route.
    expect((await api.request('/api/v1/stream?token=s3cret')).status).toBe(401);
    expect((await api.request('/api/v1/stream', { headers: { Authorization: 'Bearer s3cret' } })).status).toBe(400);
    expect((await api.request('/healthz')).status).toBe(200);
    expect((await api.request('/')).status).toBe(200);
    expect((await api.request('/openapi.json')).status).toBe(200);
  });

  it('keeps /metrics behind the token when API_TOKEN is set (in one process it holds every service’s)', async () => {
    const api = app('s3cret');
    expect((await api.request('/metrics')).status).toBe(401);
    const metrics = await api.request('/metrics', { headers: { Authorization: 'Bearer s3cret' } });
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('tidemark_api_query_seconds');
    expect((await app().request('http://127.0.0.1/metrics')).status).toBe(200); // the open mode: loopback only, no token
    // With proxy sign-in and no token, nobody anonymous reads it either.
    expect((await app(null, null, { header: 'x-forwarded-user', cidrs: ['10.0.0.0/8'] }).request('/metrics')).status).toBe(401);
  });

  it('answers only loopback Host names without API_TOKEN (DNS rebinding)', async () => {
    const open = app();
    for (const url of [
      'http://evil.example/api/v1/live?site=a.com',
      'http://evil.example/metrics',
      'http://evil.example/',
      'http://10.0.0.1/healthz',
    ]) {
      const res = await open.request(url);
      expect(res.status, url).toBe(403);
      expect(await res.json()).toMatchObject({ field: 'Host' });
    }
    for (const host of ['localhost', '127.0.0.1:8081', '[::1]:8081', 'LOCALHOST:8081', '127.1.2.3']) {
      expect((await open.request(`http://${host}/api/v1/live`)).status, host).toBe(400); // past the guard: the parameters
    }
    // With a token, or proxy sign-in, they guard the API wherever it is reached (the open mode is the one to fence).
    expect(
      (await app('s3cret').request('http://stats.example.com/api/v1/live', { headers: { Authorization: 'Bearer s3cret' } })).status,
    ).toBe(400);
    const proxied = app(null, null, { header: 'x-forwarded-user', cidrs: ['10.0.0.0/8'] });
    expect((await proxied.request('http://dashboard.example.com/healthz')).status).toBe(200);
    expect((await proxied.request('http://dashboard.example.com/api/v1/live?site=a.com')).status).toBe(401);
  });

  it('reads the Host header a client sent, on a real socket', async () => {
    const server = serve({ fetch: app().fetch, hostname: '127.0.0.1', port: 0 });
    const port = await listening(server as Server);
    const get = (host: string, method = 'GET') =>
      new Promise<number>((resolve, reject) => {
        httpRequest({ host: '127.0.0.1', port, path: '/api/v1/live', method, headers: { Host: host } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
          .on('error', reject)
          .end();
      });
    try {
      expect(await get('evil.example')).toBe(403);
      expect(await get(`evil.example:${port}`)).toBe(403);
      expect(await get(`127.0.0.1:${port}`)).toBe(400);
      expect(await get(`localhost:${port}`)).toBe(400);
      expect(await get(`localhost:${port}`, 'TRACE')).toBe(405); // a method fetch's Request refuses, through @hono/node-server
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('answers CORS preflights only for configured origins', async () => {
    const preflight = {
      method: 'OPTIONS',
      headers: { Origin: 'https://app.example', 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization' },
    };
    const allowed = await app('s3cret', ['https://app.example']).request('/api/v1/live', preflight);
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://app.example');
    const other = await app('s3cret', ['https://other.example']).request('/api/v1/live', preflight);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const none = await app('s3cret').request('/api/v1/live', preflight);
    expect(none.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('the pages', () => {
  it('name their assets by version: that version is cached a year as immutable, anything else revalidated', async () => {
    const a = app();
    const host = { Host: '127.0.0.1' };
    for (const [page, names] of [
      ['/', ['/assets/app.css', '/assets/app.js']],
      ['/settings', ['/assets/app.css', '/assets/settings.css', '/assets/settings.js']],
    ] as const) {
      const html = await (await a.request(page, { headers: host })).text();
      const refs = [...html.matchAll(/"(\/assets\/[\w.-]+)\?v=([\w-]+)"/g)];
      expect(refs.map((m) => m[1]).sort(), page).toEqual(expect.arrayContaining([...names]));
      for (const [, path, version] of refs) {
        const fresh = await a.request(`${path}?v=${version}`, { headers: host });
        expect(fresh.status).toBe(200);
        expect(fresh.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
        expect(fresh.headers.get('etag')).toBe(`"${version}"`);
        for (const other of [`${path}`, `${path}?v=old`]) {
          const res = await a.request(other, { headers: host });
          expect(res.headers.get('cache-control'), other).toBe('no-cache');
        }
      }
    }
    // The page itself is always revalidated.
    expect((await a.request('/', { headers: host })).headers.get('cache-control')).toBe('no-cache');
  });
});

describe('methods', () => {
  it('answers a method other than GET on a documented route with 405 and Allow (not 404)', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const res = await app().request('http://127.0.0.1/api/v1/live?site=a.com', { method });
      expect(res.status, method).toBe(405);
      expect(res.headers.get('allow')).toBe('GET, HEAD');
    }
    expect((await app().request('http://127.0.0.1/api/v1/nope', { method: 'POST' })).status).toBe(404);
  });
});

describe('alert and report rules', () => {
  it('answers a body that is not an object with 400 before anything is read (schemathesis found a 500 for null)', async () => {
    for (const path of ['/api/v2/alerts', '/api/v2/reports']) {
      for (const body of ['null', '[]', '"x"', '7']) {
        const res = await app().request(`http://127.0.0.1${path}`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body,
        });
        expect([path, body, res.status, ((await res.json()) as { field: string }).field]).toEqual([path, body, 400, '']);
      }
    }
  });
});

describe('/openapi.json', () => {
  it('documents every API route the app serves, with its parameters and answer schema', async () => {
    const api = app();
    const doc = (await (await api.request('/openapi.json')).json()) as {
      openapi: string;
      paths: Record<
        string,
        Record<string, { parameters: { name: string; required: boolean; schema: { enum?: string[] } }[]; requestBody?: unknown }>
      >;
      components: { schemas: Record<string, unknown> };
    };
    expect(doc.openapi).toBe('3.1.0');
    // Every /api route (and the shared links' unlock) is documented, and nothing else is.
    const middleware = new Set(['/api/*', '/api/v1/*', '/api/v2/query', '/api/v2/users', '/api/v2/users/*', '/share/:slug/api/*']);
    const served = api.routes
      .filter((r) => r.method !== 'ALL' || !middleware.has(r.path))
      // A documented path's other methods are its 405 (`Allow`), not operations of their own.
      .filter((r) => r.method !== 'ALL' || !(r.path.replace(/:(\w+)/g, '{$1}') in doc.paths))
      .filter((r) => r.path.startsWith('/api/') || r.path === '/share/:slug/unlock')
      .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:(\w+)/g, '{$1}')}`);
    const documented = Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method} ${path}`));
    expect(documented.sort()).toEqual([...new Set(served)].sort());
    const breakdown = doc.paths['/api/v1/breakdown']?.get?.parameters ?? [];
    expect(breakdown.find((p) => p.name === 'site')?.required).toBe(true);
    expect(breakdown.find((p) => p.name === 'dimension')?.schema.enum).toContain('utm_campaign');
    expect(doc.paths['/api/v2/sites/{site}']?.patch?.parameters.map((p) => p.name)).toEqual(['site']);
    expect(doc.paths['/api/v2/keys']?.post?.requestBody).toBeDefined();
    expect(doc.paths['/api/v2/sites/{site}/imports']?.post?.requestBody).toBeDefined();
    expect(doc.paths['/api/v2/sites/{site}/export']?.get?.parameters.map((p) => p.name)).toEqual([
      'site',
      'from',
      'to',
      'timezone',
      'format',
    ]);
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['live', 'v2.site', 'v2.keyCreated', 'v2.session']));
  });
});

/**
 * The admin API, keys, sessions, shared links and the audit log (SPEC §11) over the real
 * ClickHouse server: what an admin, an attacker and a visitor of a shared link see.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type AccessApp, json, startAccessApp, TOKEN, type Who } from './access-support.ts';
import { operationChecker } from './dashboard-openapi.ts';
import { waitFor } from './harness.ts';

const ROOT: Who = { bearer: TOKEN };
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

let t: AccessApp;
beforeAll(async () => {
  t = await startAccessApp(inject('clickhouseUrl'), {}, { usesFlushMs: 200 });
});
afterAll(async () => {
  await t?.close();
});

async function body(res: Response): Promise<Record<string, unknown>> {
  return (await res.json()) as Record<string, unknown>;
}

describe('sites', () => {
  it('registers, reads, changes and removes a site', async () => {
    const made = await t.request('/api/v2/sites', {
      ...json('POST', {
        site: 'Shop.Example',
        timezone: 'Europe/Berlin',
        hostnames: ['*.shop-cdn.example', 'shop.example.org'],
        exclude: { ips: ['203.0.113.7', '10.0.0.0/8', '2001:db8::/32'], paths: ['/admin/**'], countries: ['de'] },
        goals: [{ path: '/checkout/done' }, { event: 'signup', props: { plan: 'pro' } }],
        umamiWebsiteId: '0B7D8C7E-2F3A-4E55-9D1B-6A0E4C2B1F00',
      }),
      as: ROOT,
    });
    expect(made.status).toBe(201);
    expect(made.headers.get('location')).toBe('/api/v2/sites/shop.example');
    expect(await body(made)).toMatchObject({
      site: 'shop.example',
      timezone: 'Europe/Berlin',
      hostnames: ['*.shop-cdn.example', 'shop.example.org'],
      exclude: { ips: ['203.0.113.7', '10.0.0.0/8', '2001:db8::/32'], paths: ['/admin/**'], countries: ['DE'] },
      goals: [
        { name: 'Visit /checkout/done', path: '/checkout/done' },
        { name: 'signup', event: 'signup', props: { plan: 'pro' } },
      ],
      umamiWebsiteId: '0b7d8c7e-2f3a-4e55-9d1b-6a0e4c2b1f00',
      public: false,
    });
    const changed = await t.request('/api/v2/sites/shop.example', {
      ...json('PATCH', { exclude: { countries: ['FR'] }, public: true }),
      as: ROOT,
    });
    expect(changed.status).toBe(200);
    // A field left out keeps its value; inside `exclude`, each list given replaces its own.
    expect(await body(changed)).toMatchObject({
      timezone: 'Europe/Berlin',
      exclude: { ips: ['203.0.113.7', '10.0.0.0/8', '2001:db8::/32'], paths: ['/admin/**'], countries: ['FR'] },
      public: true,
    });
    expect(await body(await t.request('/api/v2/sites/shop.example', { as: ROOT }))).toMatchObject({ public: true });
    const list = (await body(await t.request('/api/v2/sites', { as: ROOT }))) as { sites: { site: string }[] };
    expect(list.sites.map((s) => s.site)).toContain('shop.example');
    expect((await t.request('/api/v2/sites/shop.example', { method: 'DELETE', as: ROOT })).status).toBe(204);
    expect((await t.request('/api/v2/sites/shop.example', { as: ROOT })).status).toBe(404);
    expect((await t.request('/api/v2/sites/shop.example', { method: 'DELETE', as: ROOT })).status).toBe(404);
  });

  it.each([
    [{}, '/site', /required|host name/],
    [{ site: 'a..example' }, '/site', /host name/],
    [{ site: 'x.example', timezone: 'Mars/Olympus' }, '/timezone', /IANA/],
    [{ site: 'x.example', hostnames: ['ok.example', 'bad host'] }, '/hostnames/1', /host name/],
    [{ site: 'x.example', exclude: { ips: ['10.0.0.0/8', '10.0.0.0/33'] } }, '/exclude/ips/1', /CIDR/],
    [{ site: 'x.example', exclude: { ips: ['not-an-ip'] } }, '/exclude/ips/0', /IP address/],
    [{ site: 'x.example', exclude: { paths: ['admin'] } }, '/exclude/paths/0', /starting with \//],
    [{ site: 'x.example', exclude: { countries: ['DEU'] } }, '/exclude/countries/0', /alpha-2/],
    [{ site: 'x.example', exclude: { hosts: [] } }, '/exclude/hosts', /not a known field/],
    [{ site: 'x.example', goals: [{ path: '/a', event: 'b' }] }, '/goals/0', /path|event/],
    [{ site: 'x.example', goals: [{ event: 'bad/name' }] }, '/goals/0/event', /event name/],
    [{ site: 'x.example', umamiWebsiteId: 'nope' }, '/umamiWebsiteId', /UUID/],
    [{ site: 'x.example', public: 'yes' }, '/public', /true or false/],
    [{ site: 'x.example', color: 'blue' }, '/color', /not a known field/],
    [[], '', /object|body/],
  ])('answers a bad body %j with 400 and the JSON pointer %s', async (payload, field, message) => {
    const res = await t.request('/api/v2/sites', { ...json('POST', payload), as: ROOT });
    expect(res.status).toBe(400);
    const answer = await body(res);
    expect(answer.field).toBe(field);
    expect(answer.error).toMatch(message);
    expect((await t.request('/api/v2/sites/x.example', { as: ROOT })).status).toBe(404);
  });

  it('refuses two goals of one name with 409 naming the second (a schema-valid body)', async () => {
    const goals = [{ name: 'Same', path: '/a' }, { event: 'Same' }];
    const res = await t.request('/api/v2/sites', { ...json('POST', { site: 'goals.example', goals }), as: ROOT });
    expect(res.status).toBe(409);
    expect((await body(res)).error).toMatch(/^\/goals\/1\/name: Same is the name of another goal/);
    expect((await t.request('/api/v2/sites/goals.example', { as: ROOT })).status).toBe(404);
    await t.admin('POST', '/api/v2/sites', { site: 'goals.example', goals: [{ path: '/a' }] });
    const patch = await t.request('/api/v2/sites/goals.example', {
      ...json('PATCH', { goals: [{ path: '/b' }, { path: '/b' }] }),
      as: ROOT,
    });
    expect(patch.status).toBe(409);
  });

  it('refuses a duplicate (409), a rename (409), a non-JSON body (415), malformed JSON (400)', async () => {
    await t.admin('POST', '/api/v2/sites', { site: 'dup.example' });
    const again = await t.request('/api/v2/sites', { ...json('POST', { site: 'DUP.example' }), as: ROOT });
    expect(again.status).toBe(409);
    expect((await body(again)).error).toMatch(/already registered/);
    const rename = await t.request('/api/v2/sites/dup.example', { ...json('PATCH', { site: 'other.example' }), as: ROOT });
    expect([rename.status, (await body(rename)).error]).toEqual([409, '/site: a site cannot be renamed; register the new name']);
    const text = await t.request('/api/v2/sites', {
      method: 'POST',
      body: '{"site":"t.example"}',
      headers: { 'Content-Type': 'text/plain' },
      as: ROOT,
    });
    expect(text.status).toBe(415);
    const broken = await t.request('/api/v2/sites', {
      method: 'POST',
      body: '{"site":',
      headers: { 'Content-Type': 'application/json' },
      as: ROOT,
    });
    expect(broken.status).toBe(400);
    expect((await t.request('/api/v2/sites/nobody.example', { method: 'PATCH', ...json('PATCH', {}), as: ROOT })).status).toBe(404);
    expect((await t.request('/api/v2/sites/bad..name', { as: ROOT })).status).toBe(400);
  });

  it('gives an Umami website id to one site only (409)', async () => {
    const id = '11111111-2222-4333-8444-555555555555';
    await t.admin('POST', '/api/v2/sites', { site: 'umami-a.example', umamiWebsiteId: id });
    const taken = await t.request('/api/v2/sites', { ...json('POST', { site: 'umami-b.example', umamiWebsiteId: id }), as: ROOT });
    expect(taken.status).toBe(409);
    expect(t.access.current().umamiSites.get(id)).toBe('umami-a.example');
  });

  it('lets anyone read a public site’s stats, and nobody a private one’s', async () => {
    await t.admin('POST', '/api/v2/sites', { site: 'open.example', public: true });
    await t.admin('POST', '/api/v2/sites', { site: 'closed.example' });
    expect((await t.request('/api/v1/live?site=open.example')).status).toBe(200);
    expect((await t.request('/api/v1/live?site=closed.example')).status).toBe(401);
    const sites = (await body(await t.request('/api/v1/sites'))) as { sites: { site: string }[] };
    expect(sites.sites.map((s) => s.site)).toEqual(['open.example']);
    expect((await t.request('/api/v2/sites')).status).toBe(401);
  });
});

describe('API keys', () => {
  it('shows a key once, keeps only its hash, lists it by prefix, records its last use, and revokes it at once', async () => {
    const res = await t.request('/api/v2/keys', {
      ...json('POST', { name: 'grafana', scopes: ['stats:read'], sites: ['seen.example'] }),
      as: ROOT,
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const made = (await body(res)) as { id: string; key: string; prefix: string };
    expect(made.key).toMatch(/^tmk_[A-Za-z0-9_-]{43}$/);
    expect(made.key.startsWith(made.prefix)).toBe(true);

    const stored = await (
      await t.client.query({
        query: `SELECT * FROM ${t.database}.api_keys WHERE id = {id:String}`,
        query_params: { id: made.id },
        format: 'JSONEachRow',
      })
    ).json<Record<string, unknown>>();
    expect(stored).toHaveLength(1);
    expect(stored[0]?.hash).toBe(sha256(made.key));
    expect(JSON.stringify(stored)).not.toContain(made.key.slice(made.prefix.length));

    const listed = (await body(await t.request('/api/v2/keys', { as: ROOT }))) as { keys: Record<string, unknown>[] };
    const entry = listed.keys.find((k) => k.id === made.id);
    expect(entry).toMatchObject({
      name: 'grafana',
      prefix: made.prefix,
      scopes: ['stats:read'],
      sites: ['seen.example'],
      createdBy: 'token',
      lastUsedAt: null,
    });
    expect(entry).not.toHaveProperty('key');
    expect(entry).not.toHaveProperty('hash');

    const key: Who = { bearer: made.key };
    expect((await t.request('/api/v1/live?site=seen.example', { as: key })).status).toBe(200);
    expect((await t.request('/api/v1/live?site=other.example', { as: key })).status).toBe(403);
    // Written to storage within a flush (here 200 ms), not only remembered by this instance.
    const uses = async () => {
      const query = `SELECT count() AS n FROM ${t.database}.api_key_uses WHERE key_id = {id:String}`;
      const [row] = await (await t.client.query({ query, query_params: { id: made.id }, format: 'JSONEachRow' })).json<{ n: string }>();
      return Number(row?.n);
    };
    expect(await waitFor(uses, (n) => n > 0)).toBeGreaterThan(0);
    const after = ((await body(await t.request('/api/v2/keys', { as: ROOT }))) as { keys: { id: string; lastUsedAt: string | null }[] })
      .keys;
    expect(Date.parse(after.find((k) => k.id === made.id)?.lastUsedAt ?? '')).toBeGreaterThan(Date.now() - 60_000);

    expect((await t.request(`/api/v2/keys/${made.id}`, { method: 'DELETE', as: ROOT })).status).toBe(204);
    const revoked = await t.request('/api/v1/live?site=seen.example', { as: key });
    expect(revoked.status).toBe(401);
    expect((await t.request(`/api/v2/keys/${made.id}`, { method: 'DELETE', as: ROOT })).status).toBe(404);
    expect((await t.request('/api/v2/keys/not-an-id', { method: 'DELETE', as: ROOT })).status).toBe(404);
  });

  it('validates key bodies with JSON pointers', async () => {
    for (const [payload, field] of [
      [{ scopes: ['stats:read'] }, '/name'],
      [{ name: 'x', scopes: [] }, '/scopes'],
      [{ name: 'x', scopes: ['stats:write'] }, '/scopes/0'],
      [{ name: 'x', scopes: ['stats:read'], sites: ['ok.example', '-bad'] }, '/sites/1'],
    ] as const) {
      const res = await t.request('/api/v2/keys', { ...json('POST', payload), as: ROOT });
      expect([res.status, (await body(res)).field], JSON.stringify(payload)).toEqual([400, field]);
    }
  });

  it('lets nobody make a key stronger than their own', async () => {
    const admin = await t.admin<{ key: string }>('POST', '/api/v2/keys', {
      name: 'agency',
      scopes: ['sites:admin', 'stats:read'],
      sites: ['client.example'],
    });
    const as: Who = { bearer: admin.key };
    const attempt = async (payload: unknown) => (await t.request('/api/v2/keys', { ...json('POST', payload), as })).status;
    expect(await attempt({ name: 'all sites', scopes: ['stats:read'] })).toBe(403);
    expect(await attempt({ name: 'other site', scopes: ['stats:read'], sites: ['else.example'] })).toBe(403);
    expect(await attempt({ name: 'sender', scopes: ['events:write'], sites: ['client.example'] })).toBe(403);
    expect(await attempt({ name: 'reader', scopes: ['stats:read'], sites: ['client.example'] })).toBe(201);
    // It sees and revokes only keys within its sites.
    const keys = ((await body(await t.request('/api/v2/keys', { as }))) as { keys: { sites: string[]; id: string }[] }).keys;
    expect(keys.length).toBeGreaterThan(0);
    for (const k of keys) expect(k.sites).toEqual(['client.example']);
    const broad = await t.admin<{ id: string }>('POST', '/api/v2/keys', { name: 'broad', scopes: ['stats:read'] });
    expect((await t.request(`/api/v2/keys/${broad.id}`, { method: 'DELETE', as })).status).toBe(403);
  });
});

describe('brute force', () => {
  it('answers 429 after 20 failed keys from one address, logs it, and never logs a key', async () => {
    const from = '198.51.100.23';
    const secret = (await t.admin<{ key: string }>('POST', '/api/v2/keys', { name: 'victim', scopes: ['stats:read'] })).key;
    for (let i = 0; i < 20; i++) {
      const guess = `tmk_${'A'.repeat(42)}${String.fromCharCode(65 + i)}`;
      const res = await t.request('/api/v1/live?site=a.example', { headers: { Authorization: `Bearer ${guess}` }, as: { remote: from } });
      expect(res.status).toBe(401);
    }
    const blocked = await t.request('/api/v1/live?site=a.example', {
      headers: { Authorization: `Bearer ${secret}` },
      as: { remote: from },
    });
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    // Another address is not affected.
    expect((await t.request('/api/v1/live?site=a.example', { as: { bearer: secret } })).status).toBe(200);
    const lines = t
      .logs()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { msg: string; ip?: string });
    expect(lines.some((l) => l.msg === 'auth_failed' && l.ip === from)).toBe(true);
    expect(t.logs()).not.toContain(secret);
    expect(t.logs()).not.toContain('A'.repeat(42));
    expect(t.logs()).not.toContain(TOKEN);
  });
});

describe('dashboard sessions', () => {
  it('signs in with a key into an HttpOnly SameSite=Strict cookie, asks a CSRF token for changes, and signs out everywhere', async () => {
    const made = await t.admin<{ key: string; id: string }>('POST', '/api/v2/keys', {
      name: 'laptop',
      scopes: ['stats:read', 'sites:admin'],
    });
    const signIn = await t.request('/api/session', json('POST', { key: made.key }));
    expect(signIn.status).toBe(201);
    const cookie = signIn.headers.get('set-cookie') ?? '';
    expect(cookie).toMatch(/^tidemark_session=[A-Za-z0-9_-]{43};/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect(cookie).toMatch(/Path=\//);
    const session = (await body(signIn)) as { csrf: string; kind: string; name: string };
    expect(session).toMatchObject({ kind: 'key', name: 'laptop' });
    const jar = cookie.split(';')[0] as string;
    expect(signIn.headers.get('location')).toBeNull();
    expect(JSON.stringify(session)).not.toContain(made.key);

    const me = (await body(await t.request('/api/session', { as: { cookie: jar } }))) as { csrf: string; via: string };
    expect(me).toMatchObject({ via: 'session', csrf: session.csrf });
    expect((await t.request('/api/v1/live?site=s.example', { as: { cookie: jar } })).status).toBe(200);

    const create = (extra: Record<string, string>, csrf?: string) =>
      t.request('/api/v2/sites', {
        ...json('POST', { site: `s${Object.keys(extra).length}${csrf ? 'c' : ''}.example` }),
        headers: { 'Content-Type': 'application/json', ...extra },
        as: { cookie: jar, ...(csrf ? { csrf } : {}) },
      });
    expect((await create({})).status).toBe(403); // no token
    expect((await create({}, 'wrong-token-wrong-token-wrong-tok')).status).toBe(403);
    expect((await create({ 'Sec-Fetch-Site': 'cross-site' }, session.csrf)).status).toBe(403);
    expect((await create({ 'Sec-Fetch-Site': 'same-origin' }, session.csrf)).status).toBe(201);

    expect((await t.request('/api/session', { method: 'DELETE', as: { cookie: jar, csrf: session.csrf } })).status).toBe(204);
    const after = await t.request('/api/v1/live?site=s.example', { as: { cookie: jar } });
    expect(after.status).toBe(401);
    expect(after.headers.get('set-cookie')).toMatch(/tidemark_session=;/);
  });

  it('ends the sessions of a revoked key, and refuses bad sign-ins', async () => {
    const made = await t.admin<{ key: string; id: string }>('POST', '/api/v2/keys', { name: 'to revoke', scopes: ['stats:read'] });
    const jar = ((await t.request('/api/session', json('POST', { key: made.key }))).headers.get('set-cookie') ?? '').split(
      ';',
    )[0] as string;
    expect((await t.request('/api/v1/live?site=s.example', { as: { cookie: jar } })).status).toBe(200);
    await t.admin('DELETE', `/api/v2/keys/${made.id}`);
    expect((await t.request('/api/v1/live?site=s.example', { as: { cookie: jar } })).status).toBe(401);

    expect((await t.request('/api/session', { ...json('POST', { key: made.key }), as: { remote: '192.0.2.44' } })).status).toBe(401);
    expect(
      (await t.request('/api/session', { method: 'POST', body: JSON.stringify({ key: TOKEN }), headers: { 'Content-Type': 'text/plain' } }))
        .status,
    ).toBe(415);
    const crossSite = await t.request('/api/session', {
      ...json('POST', { key: TOKEN }),
      headers: { 'Content-Type': 'application/json', 'Sec-Fetch-Site': 'cross-site' },
    });
    expect(crossSite.status).toBe(403);
    expect((await t.request('/api/session', json('POST', { nokey: 1 }))).status).toBe(400);
    // API_TOKEN signs in too.
    const root = await t.request('/api/session', json('POST', { key: TOKEN }));
    expect([root.status, (await body(root)).kind]).toEqual([201, 'token']);
  });
});

describe('shared links', () => {
  it('shows one site read-only, never another site or the admin API, framable only where allowed', async () => {
    const link = await t.admin<{ slug: string; url: string; hasPassword: boolean }>('POST', '/api/v2/sites/shared.example/shared-links', {
      name: 'public board',
      frameAncestors: ['https://blog.example', 'https://*.partner.example'],
    });
    expect(link.slug).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(link.url).toMatch(new RegExp(`/share/${link.slug}$`));
    expect(link.hasPassword).toBe(false);
    const page = await t.request(`/share/${link.slug}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain('frame-ancestors https://blog.example https://*.partner.example');
    expect(page.headers.get('x-frame-options')).toBeNull();
    expect(await page.text()).toContain('<html');
    const plain = await t.request('/');
    expect(plain.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(plain.headers.get('x-frame-options')).toBe('DENY');

    const as: Who = { share: link.slug };
    expect((await t.request('/api/v1/live?site=shared.example', { as })).status).toBe(200);
    expect((await t.request('/api/v1/live?site=other.example', { as })).status).toBe(403);
    expect((await t.request('/api/v1/freshness', { as })).status).toBe(403);
    expect((await t.request('/api/v2/sites', { as })).status).toBe(403);
    expect((await t.request('/api/v2/keys', { ...json('POST', { name: 'x', scopes: ['stats:read'] }), as })).status).toBe(403);
    expect(((await body(await t.request('/api/v1/sites', { as }))) as { sites: { site: string }[] }).sites.map((s) => s.site)).toEqual([
      'shared.example',
    ]);
    expect(await body(await t.request('/api/session', { as }))).toMatchObject({
      kind: 'share',
      site: 'shared.example',
      scopes: ['stats:read'],
    });

    // The page's own path to the API: the link is the only credential there, whatever else is sent.
    const through = `/share/${link.slug}/api`;
    expect((await t.request(`${through}/v1/live?site=shared.example`)).status).toBe(200);
    expect((await t.request(`${through}/v1/live?site=other.example`, { as: ROOT })).status).toBe(403);
    expect((await t.request(`${through}/v2/sites`, { as: ROOT })).status).toBe(403);
    expect((await t.request(`${through}/v2/keys`, { ...json('POST', { name: 'x', scopes: ['stats:read'] }), as: ROOT })).status).toBe(403);
    expect(await body(await t.request(`${through}/session`, { as: ROOT }))).toMatchObject({ kind: 'share', site: 'shared.example' });

    await t.admin('DELETE', `/api/v2/sites/shared.example/shared-links/${link.slug}`);
    expect((await t.request('/api/v1/live?site=shared.example', { as })).status).toBe(401);
    expect((await t.request(`/share/${link.slug}`)).status).toBe(404);
    expect((await t.request('/share/unknown-slug-1234567')).status).toBe(404);
  });

  it('with a password shows nothing without it, limits tries, and keeps only a scrypt hash', async () => {
    const password = 'correct horse battery';
    const link = await t.admin<{ slug: string; hasPassword: boolean }>('POST', '/api/v2/sites/secret.example/shared-links', { password });
    expect(link.hasPassword).toBe(true);
    const [row] = await (
      await t.client.query({
        query: `SELECT password_hash FROM ${t.database}.shared_links WHERE slug = {s:String}`,
        query_params: { s: link.slug },
        format: 'JSONEachRow',
      })
    ).json<{ password_hash: string }>();
    expect(row?.password_hash).toMatch(/^\$scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);

    // Without the password: nothing, whichever route.
    for (const path of [
      '/api/v1/live',
      '/api/v1/top-pages',
      '/api/v1/breakdown?dimension=country&x=1',
      '/api/v1/stream',
      '/api/v1/sites',
    ]) {
      const url = path.includes('?') ? `${path}&site=secret.example` : `${path}?site=secret.example`;
      const res = await t.request(url, { as: { share: link.slug } });
      expect(res.status, url).toBe(401);
      expect(JSON.stringify(await body(res))).not.toMatch(/views|visitors|pages/);
    }
    const forged = `${link.slug}.${Date.now() + 3_600_000}.${'A'.repeat(43)}`;
    expect((await t.request('/api/v1/live?site=secret.example', { as: { share: forged } })).status).toBe(401);

    const unlock = (pw: string, remote = '192.0.2.9') =>
      t.request(`/share/${link.slug}/unlock`, { ...json('POST', { password: pw }), as: { remote } });
    for (let i = 0; i < 5; i++) expect((await unlock(`wrong ${i}`)).status).toBe(401);
    const limited = await unlock(password);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);

    const opened = await unlock(password, '192.0.2.10');
    expect(opened.status).toBe(200);
    const { proof, site } = (await body(opened)) as { proof: string; site: string };
    expect(site).toBe('secret.example');
    expect((await t.request('/api/v1/live?site=secret.example', { as: { share: proof } })).status).toBe(200);
    expect((await t.request(`/share/${link.slug}/api/v1/live?site=secret.example`)).status).toBe(401);
    expect((await t.request(`/share/${link.slug}/api/v1/live?site=secret.example`, { as: { share: proof } })).status).toBe(200);
    expect((await t.request('/api/v1/live?site=elsewhere.example', { as: { share: proof } })).status).toBe(403);
    // A proof is for its own link only.
    const other = await t.admin<{ slug: string }>('POST', '/api/v2/sites/secret.example/shared-links', { password: 'another password' });
    expect(
      (await t.request('/api/v1/live?site=secret.example', { as: { share: `${other.slug}${proof.slice(link.slug.length)}` } })).status,
    ).toBe(401);
    expect(t.logs()).not.toContain(password);
  });

  it('checks a link’s locked filters with the Query API’s parser when the link is made', async () => {
    const link = await t.admin<{ slug: string; filters: unknown[] }>('POST', '/api/v2/sites/filtered.example/shared-links', {
      filters: [
        ['is', 'country', ['DE']],
        ['not', ['contains', 'page', ['/internal/']]],
      ],
    });
    expect(link.filters).toHaveLength(2);
    expect((await t.request('/api/v1/live?site=filtered.example', { as: { share: link.slug } })).status).toBe(200);
    for (const [filters, field] of [
      [[['is', 'planet', ['x']]], '/filters/0/1'],
      [[['equals', 'country', ['DE']]], '/filters/0/0'],
      [[['is', 'country', []]], '/filters/0/2'],
      [[['and', [['is', 'country', [1]]]]], '/filters/0/1/0/2/0'],
      ['country=DE', '/filters'],
    ] as const) {
      const res = await t.request('/api/v2/sites/filtered.example/shared-links', { ...json('POST', { filters }), as: ROOT });
      expect([res.status, (await body(res)).field], JSON.stringify(filters)).toEqual([400, field]);
    }
  });
});

describe('audit log', () => {
  it('records who did what and when, without secrets, newest first', async () => {
    const started = new Date().toISOString();
    const key = await t.admin<{ key: string; id: string }>('POST', '/api/v2/keys', { name: 'auditor', scopes: ['sites:admin'] });
    await t.request('/api/v2/sites', { ...json('POST', { site: 'audited.example' }), as: { bearer: key.key } });
    await t.request('/api/v2/sites/audited.example/shared-links', {
      ...json('POST', { password: 'pass-word-1' }),
      as: { bearer: key.key },
    });
    await t.admin('DELETE', `/api/v2/keys/${key.id}`);
    const { entries } = (await body(await t.request('/api/v2/audit?limit=10', { as: ROOT }))) as {
      entries: { at: string; actor: string; action: string; site: string; target: string; details: unknown }[];
    };
    const recent = entries.filter((e) => e.at >= started);
    expect(recent.map((e) => [e.action, e.actor])).toEqual([
      ['key.revoke', 'token'],
      ['link.create', `key:${key.id}`],
      ['site.create', `key:${key.id}`],
      ['key.create', 'token'],
    ]);
    expect(recent.find((e) => e.action === 'site.create')?.site).toBe('audited.example');
    const text = JSON.stringify(entries);
    expect(text).not.toContain(key.key);
    expect(text).not.toContain('pass-word-1');
    const bySite = (await body(await t.request('/api/v2/audit?site=audited.example', { as: ROOT }))) as { entries: { site: string }[] };
    expect(bySite.entries.length).toBe(2);
    expect((await t.request('/api/v2/audit?limit=0', { as: ROOT })).status).toBe(400);
  });
});

describe('the Query API through keys and shared links (POST /api/v2/query)', () => {
  type Answer = { totals: number[]; meta: { timezone: string }; query: { filters: unknown[]; timezone: string } };
  const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000).toISOString().replace('T', ' ').slice(0, 23);

  beforeAll(async () => {
    // Pageviews in the last hour: qa has DE mobile, DE desktop, US mobile; qb one of its own. (Inserted
    // as raw events, with no visits cut: the filters are on each event's own attributes.)
    const views = [
      ['qa.example', 'DE', 'mobile'],
      ['qa.example', 'DE', 'desktop'],
      ['qa.example', 'US', 'mobile'],
      ['qb.example', 'DE', 'mobile'],
    ].map(([site, country, device], i) => ({
      event_id: crypto.randomUUID(),
      site,
      name: 'pageview',
      timestamp: minutesAgo(10 + i),
      visitor_id: String(i + 1),
      path: '/',
      url: `https://${site}/`,
      host: site,
      country,
      device,
    }));
    await t.client.insert({ table: `${t.database}.events`, values: views, format: 'JSONEachRow' });
    await t.admin('POST', '/api/v2/sites', { site: 'qa.example', timezone: 'Asia/Kolkata' });
  });

  it('needs stats:read on every site a query names, and defaults to the site’s registered time zone', async () => {
    const key = (await t.admin<{ key: string }>('POST', '/api/v2/keys', { name: 'q', scopes: ['stats:read'], sites: ['qa.example'] })).key;
    const query = (payload: unknown, as: Who) => t.request('/api/v2/query', { ...json('POST', payload), as });
    const day = { metrics: ['pageviews'], dateRange: '24h' };
    const own = await query({ site: 'QA.example', ...day }, { bearer: key });
    expect(own.status).toBe(200);
    const answer = (await own.json()) as Answer;
    expect(answer.totals).toEqual([3]);
    expect([answer.query.timezone, answer.meta.timezone]).toEqual(['Asia/Kolkata', 'Asia/Kolkata']);
    expect((await query({ site: ['qa.example'], ...day }, { bearer: key })).status).toBe(200);
    expect((await query({ site: ['qa.example', 'qb.example'], ...day }, { bearer: key })).status).toBe(403);
    expect((await query({ site: 'qb.example', ...day }, { bearer: key })).status).toBe(403);
    expect((await query({ metrics: ['visitors'] }, { bearer: key })).status).toBe(403); // no site: every site
    expect((await query({ site: 'qa.example', ...day }, null)).status).toBe(401);
    const both = await query({ site: ['qa.example', 'qb.example'], ...day }, ROOT);
    expect(((await both.json()) as Answer).totals).toEqual([4]);
    // Sites of different zones: UTC, unless the query names one.
    expect(((await (await query({ site: ['qa.example', 'qb.example'], ...day }, ROOT)).json()) as Answer).meta.timezone).toBe('UTC');
  });

  it('holds a shared link’s locked filters in every query it runs (v2, v1, the site list) and reaches its own site only', async () => {
    const link = await t.admin<{ slug: string }>('POST', '/api/v2/sites/qa.example/shared-links', {
      filters: [['is', 'event:country', ['DE']]],
    });
    const through = (payload: unknown) => t.request(`/share/${link.slug}/api/v2/query`, json('POST', payload));
    const day = { site: 'qa.example', metrics: ['pageviews'], dateRange: '24h' };
    const mobile = await through({ ...day, filters: [['is', 'event:device', ['mobile']]] });
    expect(mobile.status).toBe(200);
    const answer = (await mobile.json()) as Answer;
    expect(answer.totals).toEqual([1]); // DE and mobile
    expect(answer.query.filters).toEqual([
      ['is', 'event:device', ['mobile']],
      ['and', [['is', 'event:country', ['DE']]]],
    ]);
    expect(((await (await through(day)).json()) as Answer).totals).toEqual([2]);
    // An `or` of the query's own cannot widen the link's filters.
    const wide = await through({
      ...day,
      filters: [
        [
          'or',
          [
            ['is', 'event:country', ['US']],
            ['is_not', 'event:country', ['US']],
          ],
        ],
      ],
    });
    expect(((await wide.json()) as Answer).totals).toEqual([2]);
    expect((await through({ ...day, site: 'qb.example' })).status).toBe(403);
    expect((await through({ ...day, site: ['qa.example', 'qb.example'] })).status).toBe(403);
    // The same link's header on the plain path.
    const header = await t.request('/api/v2/query', { ...json('POST', day), as: { share: link.slug } });
    expect(((await header.json()) as Answer).totals).toEqual([2]);
    // v1 is built on v2: the link's filters hold there too, and in its site list.
    const live = await t.request(`/share/${link.slug}/api/v1/live?site=qa.example&window=1h`);
    expect(live.status).toBe(200);
    expect(((await live.json()) as { views: number }).views).toBe(2);
    const sites = await t.request(`/share/${link.slug}/api/v1/sites`);
    expect(await sites.json()).toEqual({ sites: [{ site: 'qa.example', views: 2 }] });
    expect((await t.request(`/share/${link.slug}/api/v1/live?site=qb.example`)).status).toBe(403);
  });

  it('answers a batch (POST /api/v2/query/batch) line by line as each query alone: the same sites, locked filters and errors', async () => {
    type Line = { index: number; status: number; body: Answer & { error?: string; field?: string } };
    const batch = async (path: string, queries: unknown[], as: Who = null): Promise<{ status: number; lines: Line[] }> => {
      const res = await t.request(path, { ...json('POST', { queries }), as });
      if (res.status !== 200) return { status: res.status, lines: [] };
      expect(res.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
      const text = await res.text();
      expect(text.endsWith('\n')).toBe(true);
      const lines = text
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l) as Line);
      return { status: 200, lines: lines.sort((a, b) => a.index - b.index) };
    };
    const day = { metrics: ['pageviews'], dateRange: '24h' };
    const key = (await t.admin<{ key: string }>('POST', '/api/v2/keys', { name: 'qbatch', scopes: ['stats:read'], sites: ['qa.example'] }))
      .key;
    const asked = [
      { site: 'qa.example', ...day },
      { site: 'qa.example', ...day, dimensions: ['event:country'] },
    ];
    const { status, lines } = await batch('/api/v2/query/batch', asked, { bearer: key });
    expect(status).toBe(200);
    expect(lines.map((l) => [l.index, l.status])).toEqual([
      [0, 200],
      [1, 200],
    ]);
    // Each answer is the one POST /api/v2/query gives that query alone (its range ends now: a moment later).
    for (const i of [0, 1]) {
      const alone = (await (await t.request('/api/v2/query', { ...json('POST', asked[i]), as: { bearer: key } })).json()) as Answer;
      const line = lines[i]?.body as Answer;
      const same = (a: Answer) => ({ ...a, meta: { ...a.meta, from: null, to: null, tookMs: 0 } });
      expect(same(line)).toEqual(same(alone));
    }
    expect(lines[0]?.body.totals).toEqual([3]);
    expect(lines[0]?.body.meta.timezone).toBe('Asia/Kolkata');
    // A site the caller cannot read, in any query: the whole batch's 403 (401 without credentials), as alone.
    expect((await batch('/api/v2/query/batch', [asked[0], { site: 'qb.example', ...day }], { bearer: key })).status).toBe(403);
    expect((await batch('/api/v2/query/batch', [{ site: 'qa.example', ...day }])).status).toBe(401);
    // Through a shared link: its locked filters hold in every query of the batch; another site is a 403.
    const link = await t.admin<{ slug: string }>('POST', '/api/v2/sites/qa.example/shared-links', {
      filters: [['is', 'event:country', ['DE']]],
    });
    const shared = await batch(`/share/${link.slug}/api/v2/query/batch`, [
      { site: 'qa.example', ...day },
      { site: 'qa.example', ...day, filters: [['is', 'event:device', ['mobile']]] },
    ]);
    expect(shared.lines.map((l) => [l.status, l.body.totals])).toEqual([
      [200, [2]],
      [200, [1]],
    ]);
    expect((await batch(`/share/${link.slug}/api/v2/query/batch`, [{ site: 'qb.example', ...day }])).status).toBe(403);
    // A malformed batch, or a malformed query in it: one 400 for the whole request.
    expect((await batch('/api/v2/query/batch', [], { bearer: key })).status).toBe(400);
    const bad = await t.request('/api/v2/query/batch', {
      ...json('POST', { queries: [asked[0], { ...asked[0], dimensions: ['planet'] }] }),
      as: ROOT,
    });
    expect([bad.status, ((await bad.json()) as { field: string }).field]).toEqual([400, '/queries/1/dimensions/0']);
  });
});

describe('/openapi.json', () => {
  it('describes every admin and sign-in answer as it is', async () => {
    const check = operationChecker(await (await t.request('/openapi.json')).json());
    const calls: [string, string, unknown?][] = [
      ['POST', '/api/v2/sites', { site: 'doc.example', goals: [{ path: '/a' }, { event: 'b', props: { c: 'd' } }], umamiWebsiteId: null }],
      ['GET', '/api/v2/sites/doc.example'],
      ['PATCH', '/api/v2/sites/doc.example', { public: true }],
      ['GET', '/api/v2/sites'],
      ['POST', '/api/v2/keys', { name: 'doc', scopes: ['stats:read'] }],
      ['GET', '/api/v2/keys'],
      ['POST', '/api/v2/sites/doc.example/shared-links', { password: 'doc password', frameAncestors: ["'self'"] }],
      ['GET', '/api/v2/sites/doc.example/shared-links'],
      ['POST', '/api/v2/users', { user: 'doc@example.com', role: 'viewer', sites: ['doc.example'] }],
      ['PATCH', '/api/v2/users/doc@example.com', { role: 'admin' }],
      ['GET', '/api/v2/users'],
      ['GET', '/api/v2/audit?limit=5'],
      ['GET', '/api/session'],
      ['POST', '/api/v2/sites', { site: 'bad..name' }],
      ['GET', '/api/v2/sites/nobody.example'],
    ];
    for (const [method, path, payload] of calls) {
      const res = await t.request(path, { ...(payload === undefined ? { method } : json(method, payload)), as: ROOT });
      expect(check(method, path, res.status, await res.json()), `${method} ${path}`).toEqual([]);
    }
    const signIn = await t.request('/api/session', json('POST', { key: TOKEN }));
    expect(check('POST', '/api/session', signIn.status, await signIn.json())).toEqual([]);
    const link = await t.admin<{ slug: string }>('POST', '/api/v2/sites/doc.example/shared-links', { password: 'doc password 2' });
    const unlock = await t.request(`/share/${link.slug}/unlock`, json('POST', { password: 'doc password 2' }));
    expect(check('POST', `/share/${link.slug}/unlock`, unlock.status, await unlock.json())).toEqual([]);
  });
});

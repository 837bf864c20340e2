/**
 * Sign-in through a reverse proxy (SPEC §11, `AUTH_PROXY_HEADER` + `AUTH_PROXY_CIDRS`) with
 * real proxies in front: nginx and Caddy (Debian's), each authenticating people with HTTP Basic
 * and passing the user on in `X-Forwarded-User`, as oauth2-proxy, Authelia or Cloudflare Access
 * do with their own sign-in. The API trusts the header only from the proxy's address; the same
 * header sent straight to the API (from another loopback address) is ignored. In Chromium,
 * through nginx, an admin uses the settings page with no key at all.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server as HttpServer, request } from 'node:http';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { serve } from '@hono/node-server';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type AccessApp, startAccessApp, TOKEN } from './access-support.ts';
import { launchBrowser } from './browser.ts';
import { ROOT, waitFor } from './harness.ts';
import { freePort } from './processes.ts';

const run = promisify(execFile);
const PEOPLE = { ada: 'ada-password-1', vic: 'vic-password-2', bob: 'bob-password-3' } as const;
type Person = keyof typeof PEOPLE;

interface Proxy {
  url: string;
  stop(): Promise<void>;
}

async function nginx(dir: string, port: number, upstream: number): Promise<Proxy> {
  const lines = await Promise.all(
    Object.entries(PEOPLE).map(async ([user, pw]) => `${user}:${(await run('openssl', ['passwd', '-apr1', pw])).stdout.trim()}`),
  );
  writeFileSync(join(dir, 'htpasswd'), `${lines.join('\n')}\n`);
  writeFileSync(
    join(dir, 'nginx.conf'),
    `pid ${dir}/nginx.pid;
error_log ${dir}/error.log;
daemon off;
events {}
http {
  access_log off;
  client_body_temp_path ${dir}; proxy_temp_path ${dir}; fastcgi_temp_path ${dir}; uwsgi_temp_path ${dir}; scgi_temp_path ${dir};
  server {
    listen 127.0.0.1:${port};
    location / {
      auth_basic "Tidemark";
      auth_basic_user_file ${dir}/htpasswd;
      proxy_pass http://127.0.0.1:${upstream};
      proxy_set_header Host $host;
      # Overwrite whatever the client sent: only nginx names the user.
      proxy_set_header X-Forwarded-User $remote_user;
      proxy_set_header Authorization "";
    }
  }
}
`,
  );
  const child = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] });
  return started(child, `http://127.0.0.1:${port}`);
}

async function caddy(dir: string, port: number, upstream: number): Promise<Proxy> {
  const hashes = await Promise.all(
    Object.entries(PEOPLE).map(
      async ([user, pw]) => `\t\t${user} ${(await run('caddy', ['hash-password', '--plaintext', pw])).stdout.trim()}`,
    ),
  );
  writeFileSync(
    join(dir, 'Caddyfile'),
    `{
\tadmin off
\tauto_https off
}
http://127.0.0.1:${port} {
\tbasicauth {
${hashes.join('\n')}
\t}
\treverse_proxy 127.0.0.1:${upstream} {
\t\theader_up X-Forwarded-User {http.auth.user.id}
\t\theader_up -Authorization
\t}
}
`,
  );
  const child = spawn('caddy', ['run', '--config', join(dir, 'Caddyfile'), '--adapter', 'caddyfile'], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir, HOME: dir },
  });
  return started(child, `http://127.0.0.1:${port}`);
}

/** Waits until the proxy answers `/healthz` with `expected` (its sign-in challenge, or the API's answer). */
async function started(child: ChildProcess, url: string, expected = 401): Promise<Proxy> {
  let errors = '';
  child.stderr?.on('data', (d: Buffer) => {
    errors += d.toString();
  });
  const status = () =>
    fetch(`${url}/healthz`, { redirect: 'manual' }).then(
      (r) => r.status,
      () => 0,
    );
  const up = await waitFor(status, (s) => s === expected || child.exitCode !== null, 20_000);
  if (up !== expected) {
    child.kill('SIGKILL'); // never left running after a failed start
    throw new Error(`proxy not up at ${url} (${up}): ${errors}`);
  }
  return {
    url,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

const basic = (who: Person) => `Basic ${Buffer.from(`${who}:${PEOPLE[who]}`).toString('base64')}`;

/** A request straight to the API from 127.0.0.3: an address the API does not trust. */
function direct(port: number, path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers, localAddress: '127.0.0.3' }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe.each([
  ['nginx', nginx],
  ['caddy', caddy],
] as const)('sign-in through %s', (name, startProxy) => {
  let t: AccessApp;
  let server: Server;
  let apiPort = 0;
  let proxy: Proxy;
  const dir = mkdtempSync(join(tmpdir(), `tidemark-${name}-`));

  beforeAll(async () => {
    t = await startAccessApp(inject('clickhouseUrl'), { AUTH_PROXY_HEADER: 'X-Forwarded-User', AUTH_PROXY_CIDRS: '127.0.0.1/32' });
    server = serve({ fetch: t.app.fetch, hostname: '127.0.0.1', port: 0 }) as Server;
    await new Promise((resolve) => server.once('listening', resolve));
    apiPort = (server.address() as { port: number }).port;
    proxy = await startProxy(dir, await freePort(), apiPort);
    await t.admin('POST', '/api/v2/users', { user: 'ada', role: 'admin' });
    await t.admin('POST', '/api/v2/users', { user: 'vic', role: 'viewer', sites: ['a.example'] });
  });
  afterAll(async () => {
    await proxy?.stop();
    t?.app.close();
    await new Promise((resolve) => server?.close(resolve));
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const through = (path: string, who: Person | null, init: RequestInit = {}) =>
    fetch(`${proxy.url}${path}`, {
      ...init,
      headers: { ...(who ? { Authorization: basic(who) } : {}), ...(init.headers as Record<string, string>) },
    });

  it('signs people in by role: an admin everywhere, a viewer on their sites, a stranger nowhere', async () => {
    expect((await through('/api/session', null)).status).toBe(401); // the proxy's own challenge
    const ada = await through('/api/session', 'ada');
    expect([ada.status, await ada.json()]).toEqual([
      200,
      expect.objectContaining({ kind: 'user', name: 'ada', role: 'admin', via: 'proxy' }),
    ]);
    expect((await through('/api/v2/sites', 'ada')).status).toBe(200);
    expect((await through('/api/v1/live?site=b.example', 'ada')).status).toBe(200);

    expect((await through('/api/v1/live?site=a.example', 'vic')).status).toBe(200);
    expect((await through('/api/v1/live?site=b.example', 'vic')).status).toBe(403);
    expect((await through('/api/v2/sites', 'vic')).status).toBe(403);
    // A client's own X-Forwarded-User does not survive the proxy.
    expect((await through('/api/v2/sites', 'vic', { headers: { 'X-Forwarded-User': 'ada' } })).status).toBe(403);

    const bob = await through('/api/v1/live?site=a.example', 'bob');
    expect(bob.status).toBe(403);
    expect(((await bob.json()) as { error: string }).error).toMatch(/bob is signed in but has no access/);
  });

  it('ignores the user header from any address but the proxy’s', async () => {
    expect(await direct(apiPort, '/api/v2/sites', { 'X-Forwarded-User': 'ada' })).toBe(401);
    expect(await direct(apiPort, '/api/v1/live?site=a.example', { 'X-Forwarded-User': 'vic' })).toBe(401);
  });

  it('asks a CSRF token of changes: the page’s double-submit cookie and header', async () => {
    const plain = await through('/api/v2/sites', 'ada', {
      method: 'POST',
      body: '{"site":"p.example"}',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(plain.status).toBe(403);
    const session = await through('/api/session', 'ada');
    const { csrf } = (await session.json()) as { csrf: string };
    const cookie = (session.headers.get('set-cookie') ?? '').split(';')[0] as string;
    expect(cookie).toBe(`tidemark_csrf=${csrf}`);
    const headers = { 'Content-Type': 'application/json', Cookie: cookie, 'X-CSRF-Token': csrf };
    const made = await through('/api/v2/sites', 'ada', { method: 'POST', body: '{"site":"p.example"}', headers });
    expect(made.status).toBe(201);
    const forged = await through('/api/v2/sites', 'ada', {
      method: 'POST',
      body: '{"site":"q.example"}',
      headers: { ...headers, 'X-CSRF-Token': 'guessed-guessed-guessed' },
    });
    expect(forged.status).toBe(403);
    const { entries } = (await (await through('/api/v2/audit?limit=1', 'ada')).json()) as { entries: { actor: string; action: string }[] };
    expect(entries[0]).toMatchObject({ actor: 'user:ada', action: 'site.create' });
  });

  if (name === 'nginx') {
    describe('in Chromium', () => {
      let browser: Browser;
      beforeAll(async () => {
        browser = await launchBrowser();
      });
      afterAll(async () => {
        await browser?.close();
      });

      it('an admin opens the dashboard and changes settings with no key, a viewer sees no settings', async () => {
        const admin = await browser.newContext({ httpCredentials: { username: 'ada', password: PEOPLE.ada } });
        const page = await admin.newPage();
        const errors: string[] = [];
        page.on('pageerror', (e) => errors.push(String(e)));
        await page.goto(`${proxy.url}/`);
        await page.locator('#who', { hasText: 'ada' }).waitFor();
        expect(await page.locator('#signin').isHidden()).toBe(true);
        await page.locator('#settings-link').click();
        await page.locator('#site-add-name').fill('from-browser.example');
        await page.locator('#site-add button').click();
        await page.locator('#site-name', { hasText: 'from-browser.example' }).waitFor();
        expect(await t.access.store.get('sites', 'from-browser.example')).not.toBeNull();
        expect(errors).toEqual([]);
        await admin.close();

        const viewer = await browser.newContext({ httpCredentials: { username: 'vic', password: PEOPLE.vic } });
        const other = await viewer.newPage();
        await other.goto(`${proxy.url}/`);
        await other.locator('#who', { hasText: 'vic' }).waitFor();
        expect(await other.locator('#settings-link').isHidden()).toBe(true);
        await viewer.close();

        // Signed in by the proxy but not added here: told so, where a key could still be given.
        const stranger = await browser.newContext({ httpCredentials: { username: 'bob', password: PEOPLE.bob } });
        const page3 = await stranger.newPage();
        await page3.goto(`${proxy.url}/`);
        await page3.locator('#signin-error', { hasText: /bob is signed in but has no access/ }).waitFor();
        await stranger.close();
      });
    });
  }
});

/**
 * The single sign-on examples of deploy/proxy/sso/ as shipped (only addresses and TLS taken out),
 * in front of the API, with a stand-in for the sign-in service: oauth2-proxy's `/oauth2/auth`
 * (nginx `auth_request`) and Authelia's forward-auth endpoint (Caddy `forward_auth`), which
 * answer "signed in as ada@example.com" for a request with their session cookie, and ask for a
 * sign-in otherwise.
 */
describe.each([
  {
    name: 'oauth2-proxy on nginx',
    header: 'X-Forwarded-User',
    cookie: '_oauth2_proxy=ada',
    answer(path: string, signedIn: boolean): [number, Record<string, string>] {
      if (path.startsWith('/oauth2/auth')) return signedIn ? [202, { 'X-Auth-Request-Email': 'ada@example.com' }] : [401, {}];
      return [302, { Location: 'https://idp.example/authorize' }]; // /oauth2/start
    },
    async start(dir: string, port: number, api: number, auth: number): Promise<Proxy> {
      const conf = readFileSync(join(ROOT, 'deploy/proxy/sso/oauth2-proxy.nginx.conf'), 'utf8')
        .replace(/listen 443 ssl http2;/, `listen 127.0.0.1:${port};`)
        .replace(/ +listen \[::\]:443 ssl http2;\n/, '')
        .replace(/ +ssl_certificate(_key)? [^\n]+\n/g, '')
        .replaceAll('127.0.0.1:8081', `127.0.0.1:${api}`)
        .replaceAll('127.0.0.1:4180', `127.0.0.1:${auth}`);
      const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((k) => `${k}_temp_path ${dir};`).join(' ');
      writeFileSync(join(dir, 'sso.conf'), conf);
      writeFileSync(
        join(dir, 'nginx.conf'),
        `pid ${dir}/nginx.pid;\nerror_log stderr;\ndaemon off;\nevents {}\nhttp {\n  access_log off; ${temp}\n  include ${dir}/sso.conf;\n}\n`,
      );
      return started(
        spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf')], { stdio: ['ignore', 'ignore', 'pipe'] }),
        `http://127.0.0.1:${port}`,
        302,
      );
    },
  },
  {
    name: 'Authelia on Caddy',
    header: 'Remote-User',
    cookie: 'authelia_session=ada',
    answer(_: string, signedIn: boolean): [number, Record<string, string>] {
      return signedIn ? [200, { 'Remote-User': 'ada@example.com' }] : [302, { Location: 'https://auth.example/?rd=x' }];
    },
    async start(dir: string, port: number, api: number, auth: number): Promise<Proxy> {
      writeFileSync(
        join(dir, 'Caddyfile'),
        `{\n\tadmin off\n}\n${readFileSync(join(ROOT, 'deploy/proxy/sso/authelia.Caddyfile'), 'utf8')}`,
      );
      const child = spawn('caddy', ['run', '--config', join(dir, 'Caddyfile'), '--adapter', 'caddyfile'], {
        stdio: ['ignore', 'ignore', 'pipe'],
        env: {
          ...process.env,
          HOME: dir,
          XDG_DATA_HOME: dir,
          XDG_CONFIG_HOME: dir,
          DASHBOARD_DOMAIN: `http://127.0.0.1:${port}`,
          DASHBOARD_UPSTREAM: `127.0.0.1:${api}`,
          AUTHELIA_UPSTREAM: `127.0.0.1:${auth}`,
        },
      });
      return started(child, `http://127.0.0.1:${port}`, 200);
    },
  },
])('the $name example (deploy/proxy/sso/)', ({ header, cookie, answer, start }) => {
  let t: AccessApp;
  let server: Server;
  let auth: HttpServer;
  let proxy: Proxy;
  let slug = '';
  const dir = mkdtempSync(join(tmpdir(), 'tidemark-sso-'));

  beforeAll(async () => {
    t = await startAccessApp(inject('clickhouseUrl'), { AUTH_PROXY_HEADER: header, AUTH_PROXY_CIDRS: '127.0.0.1/32' });
    server = serve({ fetch: t.app.fetch, hostname: '127.0.0.1', port: 0 }) as Server;
    await new Promise((resolve) => server.once('listening', resolve));
    auth = createServer((req, res) => {
      const [status, headers] = answer(req.url ?? '/', (req.headers.cookie ?? '').includes(cookie));
      res.writeHead(status, headers).end();
    });
    await new Promise<void>((resolve) => auth.listen(0, '127.0.0.1', resolve));
    const port = (s: { address(): unknown }) => (s.address() as { port: number }).port;
    proxy = await start(dir, await freePort(), port(server), port(auth));
    await t.admin('POST', '/api/v2/users', { user: 'ada@example.com', role: 'admin' });
    slug = (await t.admin<{ slug: string }>('POST', '/api/v2/sites/a.example/shared-links', {})).slug;
  });
  afterAll(async () => {
    await proxy?.stop();
    await new Promise((resolve) => auth?.close(resolve));
    t?.app.close();
    await new Promise((resolve) => server?.close(resolve));
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const get = async (path: string, headers: Record<string, string> = {}) => {
    const res = await fetch(`${proxy.url}${path}`, { headers, redirect: 'manual' });
    const text = await res.text();
    return { status: res.status, json: res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : null };
  };
  const signedIn = { Cookie: cookie };

  it('signs people in at the pages, and sends the others to the sign-in', async () => {
    expect((await get('/')).status).toBe(302);
    expect((await get('/', signedIn)).status).toBe(200);
    expect((await get('/api/session', signedIn)).json).toMatchObject({ kind: 'user', name: 'ada@example.com', role: 'admin' });
    expect((await get('/api/v2/sites', { ...signedIn, [header]: 'mallory@example.com' })).status).toBe(200);
  });

  it('lets programs with a key, shared links and static files through without sign-in, and never a forged user', async () => {
    expect((await get('/api/session', { Authorization: `Bearer ${TOKEN}`, [header]: 'ada@example.com' })).json).toMatchObject({
      kind: 'token',
    });
    const forged = await get('/api/v2/sites', { [header]: 'ada@example.com' });
    expect([401, 302]).toContain(forged.status);
    expect((await get(`/share/${slug}/api/v1/live?site=a.example`, { [header]: 'ada@example.com' })).status).toBe(200);
    expect((await get(`/share/${slug}/api/v2/sites`, { [header]: 'ada@example.com' })).status).toBe(403);
    expect((await get(`/share/${slug}`)).status).toBe(200);
    expect((await get('/assets/dashboard.js')).status).toBe(200);
  });
});

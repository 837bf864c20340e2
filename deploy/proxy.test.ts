/**
 * The reverse-proxy examples load in the real servers: `nginx -t` (Debian's nginx) on the
 * host config and the first-party snippet, `caddy adapt` (Debian's caddy) on the Caddyfile.
 * Both binaries are required (`.ci/run` installs them: `apt-get install nginx-light caddy`).
 * `proxy-client-ip.test.ts` runs them as proxies.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { nginxHostConfig, nginxMainConfig, ROOT, selfSignedCertificate } from './test-support.ts';

const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'tidemark-proxy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('reverse-proxy examples', () => {
  it('nginx accepts the host config and the first-party snippet', async () => {
    // A throwaway certificate stands in for Let's Encrypt's; upstream host names that need DNS
    // resolve to the loopback, since `nginx -t` resolves them while loading.
    const { cert, key } = await selfSignedCertificate(dir);
    const host = nginxHostConfig({ cert, key });
    const site = readFileSync(join(ROOT, 'deploy/proxy/site-first-party.nginx.conf'), 'utf8').replace(
      'proxy_pass https://stats.example.com;',
      'proxy_pass https://127.0.0.1:9;',
    );
    writeFileSync(join(dir, 'tidemark.conf'), host);
    writeFileSync(join(dir, 'site.conf'), site);
    writeFileSync(
      join(dir, 'nginx.conf'),
      nginxMainConfig(dir, [`server { listen 127.0.0.1:9; server_name www.example.com; include ${dir}/site.conf; }`]),
    );
    const { stderr } = await run('nginx', ['-t', '-q', '-p', dir, '-c', join(dir, 'nginx.conf')]);
    expect(stderr).not.toMatch(/\[(emerg|error)\]/);
  });

  it('caddy adapts the Caddyfile', async () => {
    const env = {
      ...process.env,
      STATS_DOMAIN: 'stats.example.com',
      DASHBOARD_DOMAIN: 'dashboard.example.com',
      TRUSTED_PROXIES: '10.0.0.0/8',
    };
    writeFileSync(join(dir, 'Caddyfile'), readFileSync(join(ROOT, 'deploy/proxy/Caddyfile'), 'utf8'));
    const { stdout } = await run('caddy', ['adapt', '--config', join(dir, 'Caddyfile'), '--adapter', 'caddyfile'], { env });
    const config = JSON.parse(stdout) as { apps: { http: { servers: Record<string, { routes: { match?: { host?: string[] }[] }[] }> } } };
    const hosts = Object.values(config.apps.http.servers).flatMap((s) =>
      s.routes.flatMap((r) => r.match?.flatMap((m) => m.host ?? []) ?? []),
    );
    expect(hosts.sort()).toEqual(['dashboard.example.com', 'stats.example.com']);
    expect(stdout).toContain('10.0.0.0/8'); // the site proxies whose X-Forwarded-For is passed on
  });

  it('the Cloudflare Tunnel example sends the dashboard to the API and ends with a catch-all', () => {
    // cloudflared is not packaged here; its config is YAML with an ordered ingress list.
    const text = readFileSync(join(ROOT, 'deploy/proxy/sso/cloudflared.yml'), 'utf8');
    const config = parse(text) as { tunnel: string; ingress: { hostname?: string; path?: string; service: string }[] };
    const dashboard = config.ingress.filter((r) => r.hostname === 'dashboard.example.com');
    expect(dashboard.at(-1)?.service).toBe('http://127.0.0.1:8081');
    expect(dashboard.some((r) => r.path !== undefined && new RegExp(r.path).test('/metrics') && r.service === 'http_status:404')).toBe(
      true,
    );
    expect(config.ingress.at(-1)).toEqual({ service: 'http_status:404' });
    expect(text).toContain('AUTH_PROXY_HEADER=Cf-Access-Authenticated-User-Email');
  });
});

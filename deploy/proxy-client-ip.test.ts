/**
 * Which address the collector takes for a visitor, through each reverse-proxy example as it
 * ships: the real nginx and Caddy, loaded with `deploy/proxy/` (only names, ports, certificates
 * and upstreams changed), in front of a collector with `TRUST_PROXY=true`. Clients connect from
 * their own loopback addresses and send a forged `X-Forwarded-For`; the visitor id the
 * collector computes must be the one of the client's real address — directly at the edge, and
 * through a site's own proxy (first party: the nginx snippet, and the Caddy block of the
 * Caddyfile), which the edge trusts.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCollector } from '@tidemark/collector';
import { loadConfig, plainLogger, type QueueProducer, type StoredEvent } from '@tidemark/shared';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../test/processes.ts';
import { nginxHostConfig, nginxMainConfig, ROOT, selfSignedCertificate } from './test-support.ts';

const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36';
const BODY = JSON.stringify({ site: 'example.com', name: 'pageview', url: 'https://example.com/' });
const FORGED = '6.6.6.6';
/** The site's own proxy, as the edge sees it (nginx binds to it; the site's Caddy dials from 127.0.0.1). */
const SITE_PROXY = '127.0.0.9';

const dir = mkdtempSync(join(tmpdir(), 'tidemark-client-ip-'));
chmodSync(dir, 0o755); // nginx's workers read and write under it
const children: ChildProcess[] = [];
const stored: StoredEvent[] = [];
const ports = { collector: 0, nginxTls: 0, nginxHttp: 0, siteToNginx: 0, siteToCaddy: 0, caddy: 0, siteCaddy: 0 };
let close: () => Promise<void> = async () => {};

function read(path: string): string {
  return readFileSync(join(ROOT, path), 'utf8');
}

/** Resolves once something listens on `port`. */
async function listening(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => resolve(true)).once('error', () => resolve(false));
      socket.setTimeout(500, () => resolve(false));
    }).finally(() => undefined);
    if (up) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nothing listens on ${port}`);
}

/** Starts a server; its early exit fails the test with what it printed. */
function start(command: string, args: string[], env: Record<string, string> = {}): Promise<never> {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  child.stderr?.on('data', (d: Buffer) => {
    output = (output + d.toString()).slice(-4000);
  });
  children.push(child);
  return new Promise((_, reject) => child.once('exit', (code) => reject(new Error(`${command} exited (${code}):\n${output}`))));
}

const exits: Promise<never>[] = [];

/** POSTs an event with a forged X-Forwarded-For from `localAddress`; answers the visitor id the collector stored. */
async function visitorThrough(
  port: number,
  {
    tls = false,
    localAddress,
    host,
    path = '/tm/event',
    forwardedFor = FORGED,
  }: { tls?: boolean; localAddress: string; host: string; path?: string; forwardedFor?: string },
): Promise<string> {
  const before = stored.length;
  const status = await new Promise<number>((resolve, reject) => {
    const options = {
      host: '127.0.0.1',
      port,
      path,
      method: 'POST',
      localAddress,
      agent: false, // a fresh connection each time: no kept-alive socket closing under a request
      headers: {
        Host: host,
        'Content-Type': 'text/plain',
        'User-Agent': UA,
        'X-Forwarded-For': forwardedFor,
        'Content-Length': Buffer.byteLength(BODY),
      },
      ...(tls ? { servername: host, rejectUnauthorized: false } : {}),
    };
    const req = (tls ? httpsRequest : httpRequest)(options, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(BODY);
  });
  expect(status).toBe(202);
  expect(stored.length).toBe(before + 1);
  return stored[stored.length - 1]?.visitor_id ?? '';
}

/** The visitor id of `ip`, told to the collector directly (it takes the last X-Forwarded-For address). */
const visitorOf = (ip: string) =>
  visitorThrough(ports.collector, { localAddress: '127.0.0.1', host: 'collector', forwardedFor: `${FORGED}, ${ip}` });

/** Starts nginx and both Caddies on fresh ports, answering once every path reaches the collector. */
async function startProxies(): Promise<void> {
  for (const key of Object.keys(ports) as (keyof typeof ports)[]) if (key !== 'collector') ports[key] = await freePort();
  // nginx: the host config (the first-party realip lines uncommented for the site proxy) and the site snippet twice.
  const { cert, key } = await selfSignedCertificate(dir, 'stats.example.com');
  const host = nginxHostConfig({ cert, key })
    .replaceAll(/^\s*listen \[::\]:.*$/gm, '')
    .replaceAll('listen 443 ssl http2;', `listen 127.0.0.1:${ports.nginxTls} ssl http2;`)
    .replaceAll('listen 80;', `listen 127.0.0.1:${ports.nginxHttp};`)
    .replace('server 127.0.0.1:8080;', `server 127.0.0.1:${ports.collector};`)
    .replace('# set_real_ip_from 203.0.113.10;', `set_real_ip_from ${SITE_PROXY};`)
    .replace('# real_ip_header X-Forwarded-For;', 'real_ip_header X-Forwarded-For;');
  expect(host).toContain(`set_real_ip_from ${SITE_PROXY};`);
  const snippet = read('deploy/proxy/site-first-party.nginx.conf');
  const site = (upstream: string, extra: string) =>
    snippet.replace('proxy_pass https://stats.example.com;', `proxy_pass ${upstream};\n    proxy_bind ${SITE_PROXY};\n    ${extra}`);
  writeFileSync(join(dir, 'tidemark.conf'), host);
  writeFileSync(join(dir, 'site-nginx.conf'), site(`https://127.0.0.1:${ports.nginxTls}`, 'proxy_ssl_name stats.example.com;'));
  writeFileSync(join(dir, 'site-caddy.conf'), site(`http://127.0.0.1:${ports.caddy}`, ''));
  writeFileSync(
    join(dir, 'nginx.conf'),
    nginxMainConfig(dir, [
      `server { listen 127.0.0.1:${ports.siteToNginx}; server_name www.example.com; include ${dir}/site-nginx.conf; }`,
      `server { listen 127.0.0.1:${ports.siteToCaddy}; server_name www.example.com; include ${dir}/site-caddy.conf; }`,
    ]),
  );
  exits.push(start('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf'), '-g', 'daemon off;']));

  // Caddy: the Caddyfile at the edge, and its commented first-party block as a site's own Caddy.
  const caddyEnv = (name: string) => ({ XDG_DATA_HOME: join(dir, name), XDG_CONFIG_HOME: join(dir, name), HOME: join(dir, name) });
  const global = '{\n\tadmin off\n}\n';
  writeFileSync(join(dir, 'Caddyfile'), global + read('deploy/proxy/Caddyfile'));
  exits.push(
    start('caddy', ['run', '--config', join(dir, 'Caddyfile'), '--adapter', 'caddyfile'], {
      ...caddyEnv('caddy'),
      STATS_DOMAIN: `http://stats.example.com:${ports.caddy}`,
      DASHBOARD_DOMAIN: `http://dashboard.example.com:${ports.caddy}`,
      COLLECTOR_UPSTREAM: `127.0.0.1:${ports.collector}`,
      // nginx's site proxy binds to SITE_PROXY; the site's Caddy dials from 127.0.0.1.
      TRUSTED_PROXIES: `${SITE_PROXY}/32 127.0.0.1/32`,
    }),
  );
  const lines = read('deploy/proxy/Caddyfile').split('\n');
  const from = lines.findIndex((l) => l.startsWith('#   www.example.com {'));
  const to = lines.findIndex((l, i) => i > from && l === '#   }');
  expect(from).toBeGreaterThan(0);
  const siteBlock = lines
    .slice(from, to + 1)
    .map((l) => l.replace(/^# {3}/, ''))
    .join('\n')
    .replace('www.example.com {', `http://www.example.com:${ports.siteCaddy} {`)
    .replace('reverse_proxy https://stats.example.com', `reverse_proxy http://127.0.0.1:${ports.caddy}`)
    .replace('header_up Host {upstream_hostport}', 'header_up Host stats.example.com');
  writeFileSync(join(dir, 'Caddyfile.site'), `${global}${siteBlock}\n`);
  exits.push(start('caddy', ['run', '--config', join(dir, 'Caddyfile.site'), '--adapter', 'caddyfile'], caddyEnv('site-caddy')));
  await Promise.race([throughEveryPath(), ...exits]);
}

/** One event through every path; resolves when each reached the collector (servers may still be binding). */
async function throughEveryPath(): Promise<void> {
  await Promise.race([
    Promise.all([ports.nginxTls, ports.siteToNginx, ports.siteToCaddy, ports.caddy, ports.siteCaddy].map(listening)),
    ...exits,
  ]);
  const paths = [
    { port: ports.nginxTls, tls: true, host: 'stats.example.com' },
    { port: ports.siteToNginx, host: 'www.example.com' },
    { port: ports.caddy, host: 'stats.example.com' },
    { port: ports.siteToCaddy, host: 'www.example.com' },
    { port: ports.siteCaddy, host: 'www.example.com' },
  ];
  for (const path of paths) {
    for (let attempt = 1; ; attempt++) {
      try {
        await visitorThrough(path.port, { ...path, localAddress: '127.0.0.2' });
        break;
      } catch (error) {
        if (attempt === 20) throw new Error(`port ${path.port} (${path.host}) never reached the collector: ${error}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  }
}

/** Stops what startProxies started. */
async function stopProxies(): Promise<void> {
  for (const exit of exits.splice(0)) exit.catch(() => {}); // stopped on purpose now
  for (const child of children) child.kill('SIGTERM');
  await Promise.all(children.map((child) => (child.exitCode === null ? new Promise((resolve) => child.once('exit', resolve)) : null)));
  children.length = 0;
}

beforeAll(async () => {
  ports.collector = await freePort();
  // The collector, as compose runs it behind the proxy (first-party paths, as the snippets say).
  const producer: QueueProducer = { send: async (events) => void stored.push(...events), ready: async () => true, close: async () => {} };
  const config = loadConfig({ TRUST_PROXY: 'true', RATE_LIMIT_PER_MINUTE: '0', EVENTS_PATH: '/tm/event', SCRIPT_PATH: '/tm/script.js' });
  const collector = createCollector({ config: config.collector, producer, log: plainLogger(), registry: new Registry() });
  const server = collector.createServer();
  await new Promise<void>((resolve) => server.listen(ports.collector, '127.0.0.1', resolve));
  close = async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };

  // A port taken by another test between our check and a proxy's bind would send requests elsewhere:
  // every path is tried once before the tests, and the proxies restarted on new ports if one fails.
  for (let attempt = 1; ; attempt++) {
    try {
      await startProxies();
      break;
    } catch (error) {
      const log = (() => {
        try {
          return readFileSync(join(dir, 'error.log'), 'utf8').slice(-2000);
        } catch {
          return '';
        }
      })();
      await stopProxies();
      if (attempt === 3) throw new Error(`the proxies did not start: ${error}\nnginx error.log:\n${log}`);
      console.warn(`proxies: attempt ${attempt} failed, retrying on new ports: ${error}`);
    }
  }
  stored.length = 0;
}, 120_000);

afterAll(async () => {
  await stopProxies();
  await close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the visitor's address through each proxy example (TRUST_PROXY=true)", () => {
  it('is the client, whatever X-Forwarded-For it forges, at the nginx edge', async () => {
    const seen = await visitorThrough(ports.nginxTls, { tls: true, localAddress: '127.0.0.5', host: 'stats.example.com' });
    expect(seen).toBe(await visitorOf('127.0.0.5'));
    expect(seen).not.toBe(await visitorOf(FORGED));
    expect(await visitorThrough(ports.nginxTls, { tls: true, localAddress: '127.0.0.6', host: 'stats.example.com' })).toBe(
      await visitorOf('127.0.0.6'),
    );
  });

  it('is the visitor through the site’s nginx snippet into the nginx edge', async () => {
    const seen = await visitorThrough(ports.siteToNginx, { localAddress: '127.0.0.7', host: 'www.example.com' });
    expect(seen).toBe(await visitorOf('127.0.0.7'));
    expect(seen).not.toBe(await visitorOf(SITE_PROXY));
  });

  it('is the client, whatever X-Forwarded-For it forges, at the Caddy edge', async () => {
    const seen = await visitorThrough(ports.caddy, { localAddress: '127.0.0.5', host: 'stats.example.com' });
    expect(seen).toBe(await visitorOf('127.0.0.5'));
    expect(seen).not.toBe(await visitorOf(FORGED));
  });

  it('is the visitor through the site’s nginx snippet, or the site’s Caddy, into the Caddy edge', async () => {
    const viaNginx = await visitorThrough(ports.siteToCaddy, { localAddress: '127.0.0.7', host: 'www.example.com' });
    expect(viaNginx).toBe(await visitorOf('127.0.0.7'));
    expect(viaNginx).not.toBe(await visitorOf(SITE_PROXY));
    const viaCaddy = await visitorThrough(ports.siteCaddy, { localAddress: '127.0.0.8', host: 'www.example.com' });
    expect(viaCaddy).toBe(await visitorOf('127.0.0.8'));
    expect(viaCaddy).not.toBe(await visitorOf('127.0.0.1'));
  });
});

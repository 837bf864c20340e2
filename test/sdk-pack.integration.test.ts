/**
 * The SDKs as a user gets them: both packages built and packed (`pnpm pack`), the tarballs
 * installed into a fresh project outside the workspace (with Vite and TypeScript from the
 * registry, through the pnpm store), type-checked there with the published declarations, and run
 * against the real collector in distributed mode (a collector and an ingester process, Kafka,
 * the ClickHouse server):
 * - a Vite app built with `@tidemark/tracker`, in real Chromium: page views, an SPA navigation,
 *   a custom event, and `beforeSend` dropping one page;
 * - a Node script with `@tidemark/node` sending backdated server-side events while the collector
 *   is killed (SIGKILL) and started again: every acknowledged event is stored, none twice.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import { promisify } from 'node:util';
import { type ClickHouseClient, createClickHouse, loadConfig } from '@tidemark/shared';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launchBrowser } from './browser.ts';
import { ROOT, uniqueName, waitFor } from './harness.ts';
import { freePort, type Service, startService, waitHealthy } from './processes.ts';

const run = promisify(execFile);
const TOKEN = uniqueName('token');
/** Versions the workspace already has in the pnpm store (see pnpm-lock.yaml), so the install is quick. */
const VITE = '8.3.8';
const TYPESCRIPT = '5.9.3';
const TYPES_NODE = '24.19.4';

const APP_HTML = `<!doctype html>
<html><head><meta charset="utf-8"><title>pack test</title></head>
<body>
  <button id="pricing">pricing</button> <button id="signup">sign up</button>
  <button id="secret">secret</button> <button id="done">done</button>
  <script type="module" src="/src/main.ts"></script>
</body></html>`;

/** The app: what a React/Vue/Svelte app does in its entry, without the framework. */
const APP_MAIN = `import { init, track, type TidemarkEvent } from '@tidemark/tracker';

const skipSecret = (event: TidemarkEvent): TidemarkEvent | null => (new URL(event.url).pathname.startsWith('/secret') ? null : event);
init({ site: import.meta.env.VITE_SITE, endpoint: import.meta.env.VITE_ENDPOINT, beforeSend: skipSecret });

const go = (path: string) => () => history.pushState({}, '', path);
document.querySelector('#pricing')?.addEventListener('click', go('/pricing'));
document.querySelector('#secret')?.addEventListener('click', go('/secret'));
document.querySelector('#done')?.addEventListener('click', go('/done'));
document.querySelector('#signup')?.addEventListener('click', () => track('signup', { props: { plan: 'pro' } }));
`;

/** The server: backdated events for visitors it knows, then a bounded shutdown. Progress on stdout, one JSON line at a time. */
const SCRIPT = `import { createClient, type ServerEvent } from '@tidemark/node';

const { ENDPOINT = '', KEY = '', SITE = '', N = '0' } = process.env;
const client = createClient({
  endpoint: ENDPOINT, key: KEY, batchSize: 10, flushIntervalMs: 50,
  minBackoffMs: 100, maxBackoffMs: 1000, maxRetries: 1000,
  onError: (error) => console.error(String(error)),
});
const yesterday = Date.now() - 86_400_000;
for (let i = 0; i < Number(N); i++) {
  const event: ServerEvent = {
    site: SITE, name: 'order', url: \`https://\${SITE}/checkout\`, props: { i },
    timestamp: new Date(yesterday + i * 1000), ip: '81.2.69.160',
    userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
  };
  client.track(event);
  if (i % 10 === 9) {
    await new Promise((resolve) => setTimeout(resolve, 40));
    console.log(JSON.stringify(client.stats()));
  }
}
await client.shutdown(120_000);
console.log(JSON.stringify({ done: true, ...client.stats() }));
`;

const TSCONFIG = {
  compilerOptions: {
    strict: true,
    target: 'ES2022',
    module: 'ESNext',
    moduleResolution: 'Bundler',
    lib: ['ES2022', 'DOM'],
    types: ['vite/client', 'node'],
    allowImportingTsExtensions: true,
    noEmit: true,
    skipLibCheck: false,
  },
  include: ['src', 'server.ts'],
};

function serveStatic(dir: string): Promise<{ server: Server; port: number }> {
  const types: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css' };
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const file = path === '/' || !extname(path) ? 'index.html' : path.slice(1);
    let body: Buffer;
    try {
      body = readFileSync(join(dir, file));
    } catch {
      return void res.writeHead(404).end();
    }
    res.writeHead(200, { 'Content-Type': types[extname(file)] ?? 'application/octet-stream' }).end(body);
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port })),
  );
}

describe('the SDKs, packed and installed in a fresh project', () => {
  const project = mkdtempSync(join(tmpdir(), 'tidemark-sdk-'));
  const services: Service[] = [];
  let collector: Service;
  let env: Record<string, string>;
  let endpoint = '';
  let clickhouse: ClickHouseClient;
  let database = '';
  let browser: Browser | undefined;
  let web: Server | undefined;

  const startCollector = async () => {
    collector = startService('collector', env);
    services.push(collector);
    await waitHealthy(collector, `http://127.0.0.1:${env.COLLECTOR_PORT}/readyz`);
  };
  const rows = async <T>(sql: string, site: string) =>
    (await clickhouse.query({ query: sql.replaceAll('{db}', database), query_params: { site }, format: 'JSONEachRow' })).json<T>();

  beforeAll(async () => {
    // Pack both, as `npm publish` would ship them: each package's `prepack` builds its dist/.
    for (const name of ['tracker', 'node']) {
      await run('pnpm', ['pack', '--pack-destination', project], { cwd: join(ROOT, 'packages', name), timeout: 180_000 });
    }
    const tarballs = readdirSync(project).filter((f) => f.endsWith('.tgz'));
    expect(tarballs.sort()).toEqual(['tidemark-node-0.1.0.tgz', 'tidemark-tracker-0.1.0.tgz']);
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({
        name: 'tidemark-sdk-user',
        private: true,
        type: 'module',
        dependencies: {
          '@tidemark/tracker': 'file:./tidemark-tracker-0.1.0.tgz',
          '@tidemark/node': 'file:./tidemark-node-0.1.0.tgz',
        },
        devDependencies: { vite: VITE, typescript: TYPESCRIPT, '@types/node': TYPES_NODE },
      }),
    );
    mkdirSync(join(project, 'src'));
    writeFileSync(join(project, 'index.html'), APP_HTML);
    writeFileSync(join(project, 'src', 'main.ts'), APP_MAIN);
    writeFileSync(join(project, 'server.ts'), SCRIPT);
    writeFileSync(join(project, 'tsconfig.json'), JSON.stringify(TSCONFIG));
    // The registry only for what the store lacks; no workspace above the temporary directory.
    await run('pnpm', ['install', '--prefer-offline', '--ignore-workspace'], { cwd: project, timeout: 180_000 });

    // The real collector (API_TOKEN for server-side events) and ingester, as processes.
    const [collectorPort, ingesterPort] = await Promise.all([freePort(), freePort()]);
    database = uniqueName('sdk');
    env = {
      KAFKA_BROKERS: inject('kafkaBrokers'),
      CLICKHOUSE_URL: inject('clickhouseUrl'),
      CLICKHOUSE_DATABASE: database,
      KAFKA_TOPIC: uniqueName('page_views'),
      KAFKA_DLQ_TOPIC: uniqueName('page_views_dlq'),
      KAFKA_GROUP_ID: uniqueName('ingester'),
      KAFKA_PARTITIONS: '2',
      HOST: '127.0.0.1',
      COLLECTOR_PORT: String(collectorPort),
      INGESTER_PORT: String(ingesterPort),
      API_TOKEN: TOKEN,
      FLUSH_INTERVAL_MS: '200',
      LOG_LEVEL: 'warn',
    };
    endpoint = `http://127.0.0.1:${collectorPort}/api/event`;
    const ingester = startService('ingester', env);
    services.push(ingester);
    await waitHealthy(ingester, `http://127.0.0.1:${ingesterPort}/healthz`);
    await startCollector();
    clickhouse = createClickHouse(loadConfig(env).clickhouse);
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    web?.close();
    await clickhouse?.close();
    await Promise.all(services.map((s) => s.stop()));
    rmSync(project, { recursive: true, force: true });
  });

  it('type-checks a TypeScript app and server against the published declarations', async () => {
    const { stdout } = await run(process.execPath, [join(project, 'node_modules/typescript/bin/tsc'), '-p', project], {
      cwd: project,
    }).catch((error: { stdout: string }) => ({ stdout: error.stdout }));
    expect(stdout).toBe('');
  });

  it('a Vite app with @tidemark/tracker in Chromium: page views, an SPA navigation, a custom event, beforeSend dropping a page', async () => {
    const site = `${uniqueName('vite')}.test`;
    await run(process.execPath, [join(project, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn'], {
      cwd: project,
      // A user's shell, not the test runner's (vitest sets NODE_ENV=test, which Vite would build for).
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', VITE_SITE: site, VITE_ENDPOINT: endpoint },
      timeout: 120_000,
    });
    const bundle = readdirSync(join(project, 'dist', 'assets')).find((f) => f.endsWith('.js')) ?? '';
    expect(readFileSync(join(project, 'dist', 'assets', bundle), 'utf8')).not.toContain('Tidemark init:'); // the production module
    const served = await serveStatic(join(project, 'dist'));
    web = served.server;
    browser = await launchBrowser();
    const page = await (await browser.newContext()).newPage();
    const origin = `http://${site}:${served.port}`;
    await page.goto(`${origin}/`);
    for (const button of ['#pricing', '#signup', '#secret', '#done']) await page.click(button);
    await page.goto('about:blank'); // leaving: the last page's engagement

    type Row = { name: string; path: string; props: Record<string, string>; browser: string };
    const stored = await waitFor(
      () => rows<Row>('SELECT name, path, props, browser FROM {db}.events WHERE site = {site:String} ORDER BY timestamp', site),
      (r) => r.filter((row) => row.name === 'pageview').length >= 3 && r.filter((row) => row.name === 'engagement').length >= 3,
      30_000,
    );
    expect(stored.filter((r) => r.name === 'pageview').map((r) => r.path)).toEqual(['/', '/pricing', '/done']);
    expect(stored.filter((r) => r.name === 'signup')).toEqual([
      { name: 'signup', path: '/pricing', props: { plan: 'pro' }, browser: 'Chrome' },
    ]);
    expect(stored.filter((r) => r.name === 'engagement').map((r) => r.path)).toEqual(['/', '/pricing', '/done']);
    expect(stored.some((r) => r.path.startsWith('/secret'))).toBe(false);
  });

  it('a Node script with @tidemark/node: every event stored once though the collector is killed and restarted mid-stream', async () => {
    const site = `${uniqueName('server')}.example`;
    const total = 400;
    const child = spawn(process.execPath, ['server.ts'], {
      cwd: project,
      env: { PATH: process.env.PATH ?? '', ENDPOINT: endpoint, KEY: TOKEN, SITE: site, N: String(total) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const lines: { done?: boolean; sent: number; failed: number; rejected: number; dropped: number; retries: number }[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));

    // Once part of it is acknowledged, the collector dies without a goodbye, and comes back.
    await waitFor(
      async () => lines.at(-1)?.sent ?? 0,
      (sent) => sent >= 100,
      60_000,
      20,
    );
    collector.child.kill('SIGKILL');
    await new Promise((resolve) => collector.child.once('exit', resolve));
    const sentBeforeKill = lines.at(-1)?.sent ?? 0;
    await startCollector();

    expect(await exited, stderr).toBe(0);
    const last = lines.at(-1);
    expect(last).toMatchObject({ done: true, sent: total, failed: 0, rejected: 0, dropped: 0 });
    expect(sentBeforeKill).toBeLessThan(total); // the kill came mid-stream
    expect(last?.retries).toBeGreaterThan(0); // and the client met it
    const [counts] = await waitFor(
      () =>
        rows<{ rows: string; ids: string; first: string }>(
          'SELECT toString(count()) AS rows, toString(uniqExact(event_id)) AS ids, toString(min(timestamp)) AS first FROM {db}.events WHERE site = {site:String}',
          site,
        ),
      (r) => Number(r[0]?.rows) >= total,
      60_000,
    );
    expect(counts).toMatchObject({ rows: String(total), ids: String(total) });
    expect(Date.parse(`${counts?.first.replace(' ', 'T')}Z`)).toBeLessThan(Date.now() - 23 * 3_600_000); // backdated: its own timestamp
  });
});

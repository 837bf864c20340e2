/**
 * Alerts and reports end to end (SPEC §12) against the real ClickHouse server, a local HTTP
 * receiver and a real SMTP server (aiosmtpd, STARTTLS required, a self-signed certificate made by
 * openssl): a threshold rule and a week-over-week rule each fire once and resolve once — with two
 * evaluator instances racing and one of them replaced mid-way (a restart) — signed and delivered to
 * webhooks, a Slack-compatible hook and e-mail; an unreachable and a slow receiver are retried,
 * time out and are logged without holding anything up; the weekly report arrives by e-mail with
 * the week's numbers. Time is a pinned clock the test moves; nothing is mocked.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDashboardApp, type DashboardApp } from '@tidemark/dashboard-api';
import { createIngester, createIngesterMetrics, migrate } from '@tidemark/ingester';
import {
  type ClickHouseClient,
  createAccessRegistry,
  createClickHouse,
  createMemoryQueue,
  loadConfig,
  plainLogger,
  storedEvent,
  toClickHouseTime,
} from '@tidemark/shared';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { selfSignedCertificate } from '../deploy/test-support.ts';
import { instantOf } from '../packages/dashboard-api/src/v2/zone.ts';
import { uniqueName, waitFor } from './harness.ts';
import { freePort } from './processes.ts';

const DAY = 86_400_000;
const SITE = 'alerts.example';
const REPORT_SITE = 'report.example';
const SECRET = 's3cret-key-123';
/** Noon two days ago, 5 s into a 10 s lease term. */
const T0 = Math.floor(Date.now() / DAY) * DAY - 2 * DAY + 12 * 3_600_000 + 5000;

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

let clock = T0;
const received: Received[] = [];
let receiver: Server;
let hookBase = '';
let smtp: ChildProcess;
let mailDir = '';
let certDir = '';
let client: ClickHouseClient;
const database = uniqueName('alerts');
const apps: DashboardApp[] = [];
/** Everything the instances log (checked for secrets). */
const logs: string[] = [];
let smtpUrl = '';
let smtpCa = '';

function appInstance(smtpUrl: string, ca: string): DashboardApp {
  const log = plainLogger('debug', { write: (line) => logs.push(line) });
  const app = createDashboardApp({
    client,
    database,
    token: null,
    access: createAccessRegistry({ client, database, log }),
    log,
    registry: new Registry(),
    now: () => clock,
    alerts: {
      smtp: { url: smtpUrl, from: 'Tidemark <alerts@tidemark.test>', ca },
      evaluate: false,
      dashboardUrl: 'http://stats.test/',
      delivery: { attempts: 3, timeoutMs: 2500, baseMs: 50 },
    },
  });
  apps.push(app);
  return app;
}

const pageview = (site: string, t: number, visitor: number, path = '/') =>
  storedEvent({
    event_id: crypto.randomUUID(),
    site,
    host: site,
    url: `https://${site}${path}`,
    path,
    timestamp: toClickHouseTime(t),
    visitor_id: String(visitor),
    session_id: String(visitor),
  });

async function insert(events: ReturnType<typeof storedEvent>[]) {
  await client.insert({ table: `${database}.events`, values: events, format: 'JSONEachRow' });
}

/** Through the real ingester (the in-process queue), so visits are cut as in production. */
async function ingest(events: ReturnType<typeof storedEvent>[]) {
  const queue = createMemoryQueue({ maxRows: 100, intervalMs: 20 });
  const log = plainLogger('silent');
  const ingester = createIngester({ client, database, consumer: queue.consumer, log, metrics: createIngesterMetrics(new Registry()) });
  await ingester.start();
  await queue.producer.send(events);
  await waitFor(
    async () => queue.size(),
    (n) => n === 0,
    30_000,
    50,
  );
  await ingester.stop();
}

function mails(): string[] {
  return readdirSync(mailDir)
    .filter((f) => f.endsWith('.eml'))
    .sort()
    .map((f) => readFileSync(join(mailDir, f), 'utf8').replace(/=\r?\n/g, ''));
}

const post = (app: DashboardApp, path: string, body: unknown) =>
  app.request(path, { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });

beforeAll(async () => {
  const config = loadConfig({ CLICKHOUSE_URL: inject('clickhouseUrl'), CLICKHOUSE_DATABASE: database });
  client = createClickHouse(config.clickhouse);
  await migrate(client, config.clickhouse);
  receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, body });
      if (req.url === '/slow') return; // never answers: the sender must time out
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  hookBase = `http://127.0.0.1:${(receiver.address() as { port: number }).port}`;
  certDir = mkdtempSync(join(tmpdir(), 'tidemark-smtp-'));
  mailDir = join(certDir, 'mail');
  await import('node:fs/promises').then((fs) => fs.mkdir(mailDir));
  const { cert, key } = await selfSignedCertificate(certDir, '127.0.0.1', 'IP:127.0.0.1');
  const port = await freePort();
  smtp = spawn('python3', [join(import.meta.dirname, 'smtp_server.py'), String(port), mailDir, cert, key], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let errors = '';
  smtp.stderr?.on('data', (d) => {
    errors += d;
  });
  await new Promise<void>((resolve, reject) => {
    smtp.stdout?.on('data', (d) => String(d).includes('ready') && resolve());
    smtp.on('exit', (code) => reject(new Error(`the SMTP server (aiosmtpd) did not start (exit ${code}): ${errors}`)));
  });
  smtpCa = readFileSync(cert, 'utf8');
  smtpUrl = `smtp://127.0.0.1:${port}`;
  appInstance(smtpUrl, smtpCa);
  appInstance(smtpUrl, smtpCa);
  // The week before: one pageview at the same time of day (the week-over-week base).
  await insert([pageview(SITE, T0 - 7 * DAY - 60_000, 900)]);
}, 60_000);

afterAll(async () => {
  for (const app of apps) {
    app.close();
    await app.alerts?.close();
  }
  smtp?.stdin?.end();
  smtp?.kill();
  await new Promise((resolve) => receiver?.close(resolve));
  await client?.command({ query: `DROP DATABASE IF EXISTS ${database}` });
  await client?.close();
  if (certDir) rmSync(certDir, { recursive: true, force: true });
});

describe('alerts', () => {
  const ids: Record<string, string> = {};

  async function tickAll(...instances: DashboardApp[]) {
    for (const app of instances) await app.alerts?.tick(clock);
    for (const app of instances) await app.alerts?.idle();
  }

  it('refuses malformed and too heavy rules with a JSON pointer', async () => {
    const [a] = apps as [DashboardApp];
    const base = {
      site: SITE,
      name: 'x',
      query: { metrics: ['pageviews'], dateRange: '5m' },
      every: '10s',
      condition: { op: '>', value: 1 },
    };
    const cases: [unknown, string][] = [
      [{ ...base, condition: { op: '>=', value: 1 }, channels: [{ type: 'webhook', url: `${hookBase}/x` }] }, '/condition/op'],
      [{ ...base, channels: [{ type: 'webhook', url: 'ftp://x' }] }, '/channels/0/url'],
      [{ ...base, channels: [{ type: 'email', to: 'not-an-address' }] }, '/channels/0/to'],
      [{ ...base, every: '5s', channels: [{ type: 'slack', url: `${hookBase}/s` }] }, '/every'],
      [{ ...base, query: { metrics: ['visitors', 'visits'] }, channels: [{ type: 'slack', url: `${hookBase}/s` }] }, '/query/metrics'],
      [{ ...base, query: { metrics: ['nope'] }, channels: [{ type: 'slack', url: `${hookBase}/s` }] }, '/query/metrics/0'],
      [
        { ...base, query: { metrics: ['pageviews'], dateRange: '7d' }, channels: [{ type: 'slack', url: `${hookBase}/s` }] },
        '/query/dateRange',
      ],
      [{ ...base, condition: { changePct: 50 }, channels: [{ type: 'slack', url: `${hookBase}/s` }] }, '/condition/minVolume'],
      // A pattern RE2 refuses is found by the engine when the rule is first evaluated: still a pointer into the rule.
      [
        { ...base, query: { ...base.query, filters: [['matches', 'page', ['?+']]] }, channels: [{ type: 'slack', url: `${hookBase}/s` }] },
        '/query/filters/0/2/0',
      ],
    ];
    for (const [body, field] of cases) {
      const res = await post(a, '/api/v2/alerts', body);
      expect({ field, status: res.status, body: await res.json() }).toMatchObject({ field, status: 400, body: { field } });
    }
  });

  it('fires once and resolves once per rule, signed, to webhooks, Slack and e-mail, with two instances and a restart', async () => {
    const [a, b] = apps as [DashboardApp, DashboardApp];
    const create = async (body: Record<string, unknown>) => {
      const res = await post(a, '/api/v2/alerts', { site: SITE, every: '10s', ...body });
      const json = (await res.json()) as { id: string };
      expect({ status: res.status, json }).toMatchObject({ status: 201 });
      return json.id;
    };
    ids.threshold = await create({
      name: 'Traffic spike',
      query: { metrics: ['pageviews'], dateRange: '5m' },
      condition: { op: '>', value: 3 },
      channels: [
        { type: 'webhook', url: `${hookBase}/hook`, secret: SECRET },
        { type: 'slack', url: `${hookBase}/slack` },
        { type: 'email', to: 'ops@example.com' },
      ],
    });
    ids.weekly = await create({
      name: 'Up on last week',
      query: { metrics: ['pageviews'], dateRange: '1h' },
      condition: { changePct: 100, minVolume: 3 },
      channels: [{ type: 'webhook', url: `${hookBase}/wow`, secret: 'another-secret-1' }],
    });
    ids.broken = await create({
      name: 'Broken receivers',
      query: { metrics: ['pageviews'], dateRange: '5m' },
      condition: { op: '>', value: 3 },
      channels: [
        { type: 'webhook', url: 'http://127.0.0.1:1/closed' },
        { type: 'webhook', url: `${hookBase}/slow` },
      ],
    });
    await tickAll(a, b);
    expect(received.filter((r) => r.path !== '/slow')).toEqual([]);
    expect([a.alerts?.isLeader(), b.alerts?.isLeader()].sort()).toEqual([false, true]);

    // The events that make both conditions hold: 5 pageviews in the last minute (1 a week ago).
    await insert([1, 2, 3, 4, 5].map((v) => pageview(SITE, T0 - 60_000 + v, v)));
    clock = T0 + 10_000;
    await tickAll(a, b);
    // A restart: instance a goes away; c starts fresh and takes over when a's lease runs out.
    a.close();
    await a.alerts?.close();
    const c = appInstance(smtpUrl, smtpCa);
    for (const step of [30_000, 40_000, 50_000, 10 * 60_000, 11 * 60_000, 70 * 60_000, 71 * 60_000]) {
      clock = T0 + step;
      await tickAll(b, c);
    }
    const hooks = (path: string) => received.filter((r) => r.path === path);
    const states = (path: string) => hooks(path).map((r) => (JSON.parse(r.body) as { state: string }).state);
    expect(states('/hook')).toEqual(['firing', 'resolved']);
    expect(states('/wow')).toEqual(['firing', 'resolved']);
    expect(hooks('/slack').map((r) => (JSON.parse(r.body) as { text: string }).text.split(':')[0])).toEqual([
      '[Tidemark] Traffic spike is firing on alerts.example',
      '[Tidemark] Traffic spike resolved on alerts.example',
    ]);
    for (const r of [...hooks('/hook'), ...hooks('/wow')]) {
      const secret = r.path === '/hook' ? SECRET : 'another-secret-1';
      expect(r.headers['x-tidemark-signature']).toBe(`sha256=${createHmac('sha256', secret).update(r.body).digest('hex')}`);
    }
    const [firing, resolved] = hooks('/hook').map((r) => JSON.parse(r.body) as Record<string, unknown>);
    expect(firing).toEqual({
      alert: 'Traffic spike',
      site: SITE,
      state: 'firing',
      value: 5,
      threshold: 3,
      at: new Date(T0 + 10_000).toISOString(),
      url: `http://stats.test/?site=${SITE}`,
    });
    expect(resolved).toMatchObject({ state: 'resolved', value: 0, at: new Date(T0 + 10 * 60_000).toISOString() });
    const wow = hooks('/wow').map((r) => JSON.parse(r.body) as Record<string, unknown>);
    expect(wow.map((w) => [w.state, w.value, w.at])).toEqual([
      ['firing', 5, new Date(T0 + 10_000).toISOString()],
      ['resolved', 0, new Date(T0 + 70 * 60_000).toISOString()],
    ]);
    const mail = mails().filter((m) => m.includes('X-Envelope-To: ops@example.com'));
    expect(mail.map((m) => /Subject: (.*)/.exec(m)?.[1]?.split(':')[0])).toEqual([
      '[Tidemark] Traffic spike is firing on alerts.example',
      '[Tidemark] Traffic spike resolved on alerts.example',
    ]);
    expect(mail.every((m) => m.includes('X-Envelope-TLS: yes'))).toBe(true);
  }, 120_000);

  it('retries an unreachable and a slow receiver, logs every attempt, and never shows a secret', async () => {
    const b = apps[1] as DashboardApp;
    const log = (await (await b.request(`/api/v2/alerts/${ids.broken}/deliveries`)).json()) as {
      deliveries: { channel: number; state: string; attempt: number; ok: number; final: number; error: string }[];
    };
    for (const channel of [0, 1]) {
      for (const state of ['firing', 'resolved']) {
        const attempts = log.deliveries.filter((d) => d.channel === channel && d.state === state).sort((x, y) => x.attempt - y.attempt);
        expect({ channel, state, attempts: attempts.map((d) => [d.attempt, d.ok, d.final]) }).toEqual({
          channel,
          state,
          attempts: [
            [1, 0, 0],
            [2, 0, 0],
            [3, 0, 1],
          ],
        });
        if (channel === 1) expect(attempts.every((d) => d.error === 'no answer within 2500 ms')).toBe(true);
      }
    }
    const good = (await (await b.request(`/api/v2/alerts/${ids.threshold}/deliveries`)).json()) as { deliveries: { ok: number }[] };
    expect(good.deliveries.map((d) => d.ok)).toEqual([1, 1, 1, 1, 1, 1]);
    const list = await (await b.request(`/api/v2/alerts?site=${SITE}`)).text();
    expect(list).not.toContain(SECRET);
    expect(logs.filter((l) => l.includes('alert_delivery_failed')).length).toBeGreaterThan(0);
    expect(logs.filter((l) => l.includes(SECRET) || l.includes('another-secret-1'))).toEqual([]);
    expect(JSON.parse(list).alerts).toHaveLength(3);
    const one = (await (await b.request(`/api/v2/alerts/${ids.threshold}`)).json()) as {
      channels: unknown[];
      state: { state: string };
      history: { state: string }[];
    };
    expect(one.channels[0]).toEqual({ type: 'webhook', target: hookBase, url: `${hookBase}/hook`, hasSecret: true });
    expect(one.state.state).toBe('resolved');
    expect(one.history.map((h) => h.state)).toEqual(['resolved', 'firing']);
    const test = await post(b, `/api/v2/alerts/${ids.threshold}/test`, {});
    expect(await test.json()).toMatchObject({ sent: true, channels: [{ ok: true }, { ok: true }, { ok: true }] });
    expect(received.filter((r) => r.path === '/hook').map((r) => JSON.parse(r.body).state)).toEqual(['firing', 'resolved', 'test']);
    expect((await b.request(`/api/v2/alerts/${ids.broken}`, { method: 'DELETE' })).status).toBe(204);
    expect((await b.request(`/api/v2/alerts/${ids.broken}`)).status).toBe(404);
  });

  it('sends the weekly report at its time of day in its time zone, once, with the week’s numbers', async () => {
    const b = apps[1] as DashboardApp;
    // The Monday 08:00 in Berlin before T0, and the week before it (Monday … Sunday).
    const d = new Date(T0 - DAY);
    const back = (d.getUTCDay() + 6) % 7;
    const monday = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - back);
    const m = new Date(monday);
    const sendAt = instantOf(m.getUTCFullYear(), m.getUTCMonth() + 1, m.getUTCDate(), 8, 0, 'Europe/Berlin');
    const weekStart = instantOf(m.getUTCFullYear(), m.getUTCMonth() + 1, m.getUTCDate() - 7, 0, 0, 'Europe/Berlin');
    await ingest([
      pageview(REPORT_SITE, weekStart + DAY, 1, '/'),
      pageview(REPORT_SITE, weekStart + DAY + 1000, 1, '/pricing'),
      pageview(REPORT_SITE, weekStart + 3 * DAY, 2, '/'),
      pageview(REPORT_SITE, weekStart + 3 * DAY + 1000, 2, '/docs'),
      pageview(REPORT_SITE, weekStart + 6 * DAY, 3, '/'),
      pageview(REPORT_SITE, weekStart + 6 * DAY + 1000, 3, '/'),
      // The week before: the comparison.
      pageview(REPORT_SITE, weekStart - 2 * DAY, 4, '/'),
      pageview(REPORT_SITE, weekStart - 2 * DAY + 1000, 4, '/pricing'),
      // After the week: not in the report.
      pageview(REPORT_SITE, sendAt - 1000, 5, '/late'),
    ]);
    clock = sendAt - DAY;
    const res = await post(b, '/api/v2/reports', {
      site: REPORT_SITE,
      period: 'weekly',
      at: '08:00',
      timezone: 'Europe/Berlin',
      channels: [
        { type: 'email', to: 'owner@example.com' },
        { type: 'webhook', url: `${hookBase}/report` },
      ],
    });
    expect(res.status).toBe(201);
    for (const step of [-55_000, 35_000, 95_000]) {
      clock = sendAt + step;
      for (const app of apps.slice(1)) await app.alerts?.tick(clock);
      for (const app of apps.slice(1)) await app.alerts?.idle();
    }
    const reports = await waitFor(
      async () => mails().filter((x) => x.includes('X-Envelope-To: owner@example.com')),
      (list) => list.length > 0,
    );
    expect(reports).toHaveLength(1);
    const text = reports[0] as string;
    expect(text).toContain('Unique visitors: 3 (+200.0 % vs 1)');
    expect(text).toContain('Pageviews: 6 (+200.0 % vs 2)');
    expect(text).toContain('Visits: 3 (+200.0 % vs 1)');
    expect(text).toMatch(/Top pages \(visitors\):\s+\/\s+3\s+\/docs\s+1\s+\/pricing\s+1/);
    expect(text).toContain('Content-Type: text/html');
    const hook = received
      .filter((r) => r.path === '/report')
      .map((r) => JSON.parse(r.body) as { numbers: { metric: string; value: number }[] });
    expect(hook).toHaveLength(1);
    expect(hook[0]?.numbers.find((n) => n.metric === 'pageviews')?.value).toBe(6);
  }, 60_000);
});

/**
 * Several instances, one registry (SPEC §11: "each service caches it and sees a change within
 * 5 s"): two dashboard-api processes and a collector process over one ClickHouse database (the
 * shared server) and Kafka. A key made on one API works on the other; revoked on one, the
 * other API and the collector refuse it within 5 s; a site registered through one API is
 * enforced by the collector within 5 s; a sign-in made on one API works on the other at once.
 */
import { migrate } from '@tidemark/ingester';
import { createClickHouse, loadConfig } from '@tidemark/shared';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { postEvents, uniqueName, waitFor } from './harness.ts';
import { freePort, type Service, startService, waitHealthy } from './processes.ts';

const TOKEN = 'instances-token-0123456789abcdef';
/** The bound SPEC §11 sets; each instance polls every second, so a change usually lands in one or two. */
const WITHIN_MS = 5_000;

describe('one registry, several instances', () => {
  const services: Service[] = [];
  const database = uniqueName('instances');
  let apiA = '';
  let apiB = '';
  let collectorUrl = '';

  beforeAll(async () => {
    const config = loadConfig({ CLICKHOUSE_URL: inject('clickhouseUrl'), CLICKHOUSE_DATABASE: database });
    const client = createClickHouse(config.clickhouse);
    await migrate(client, config.clickhouse);
    await client.close();
    const [portA, portB, collectorPort] = await Promise.all([freePort(), freePort(), freePort()]);
    const env = {
      CLICKHOUSE_URL: inject('clickhouseUrl'),
      CLICKHOUSE_DATABASE: database,
      KAFKA_BROKERS: inject('kafkaBrokers'),
      KAFKA_TOPIC: uniqueName('page_views'),
      KAFKA_PARTITIONS: '1',
      API_TOKEN: TOKEN,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
    };
    apiA = `http://127.0.0.1:${portA}`;
    apiB = `http://127.0.0.1:${portB}`;
    collectorUrl = `http://127.0.0.1:${collectorPort}`;
    const a = startService('dashboard-api', { ...env, API_PORT: String(portA) });
    const b = startService('dashboard-api', { ...env, API_PORT: String(portB) });
    const collector = startService('collector', { ...env, COLLECTOR_PORT: String(collectorPort) });
    services.push(a, b, collector);
    await Promise.all([
      waitHealthy(a, `${apiA}/healthz`),
      waitHealthy(b, `${apiB}/healthz`),
      waitHealthy(collector, `${collectorUrl}/readyz`),
    ]);
  });
  afterAll(async () => {
    const codes = await Promise.all(services.map((s) => s.stop()));
    expect(codes).toEqual(services.map(() => 0));
    const client = createClickHouse(loadConfig({ CLICKHOUSE_URL: inject('clickhouseUrl') }).clickhouse);
    await client.command({ query: `DROP DATABASE IF EXISTS ${database}` });
    await client.close();
  });

  const admin = async (api: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${api}${path}`, {
      method,
      headers: { Authorization: `Bearer ${TOKEN}`, 'Content-Type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    expect(res.status, `${method} ${path}: ${await res.clone().text()}`).toBeLessThan(300);
    return res.status === 204 ? {} : ((await res.json()) as Record<string, string>);
  };
  const status = (url: string, key: string, init: RequestInit = {}) =>
    fetch(url, { ...init, headers: { Authorization: `Bearer ${key}`, ...(init.headers as Record<string, string>) } }).then((r) => r.status);

  it('a key revoked on one API is refused by the other API process within 5 s', async () => {
    const { key, id } = await admin(apiA, 'POST', '/api/v2/keys', { name: 'shared', scopes: ['stats:read'] });
    const readB = () => status(`${apiB}/api/v1/live?site=x.example`, key as string);
    expect(await waitFor(readB, (s) => s === 200, WITHIN_MS)).toBe(200);
    await admin(apiA, 'DELETE', `/api/v2/keys/${id}`);
    expect(await waitFor(readB, (s) => s === 401, WITHIN_MS)).toBe(401);
    expect(await status(`${apiA}/api/v1/live?site=x.example`, key as string)).toBe(401); // at once where it was revoked
  });

  it('the collector enforces a site registered on an API, and its events:write keys, within 5 s', async () => {
    const other = `${uniqueName('other')}.example`;
    expect((await postEvents(collectorUrl, { site: other, name: 'pageview', url: `https://${other}/` })).status).toBe(202);
    await admin(apiB, 'POST', '/api/v2/sites', { site: 'shop.example', exclude: { paths: ['/admin/**'] } });
    const refused = () => postEvents(collectorUrl, { site: other, name: 'pageview', url: `https://${other}/` }).then((r) => r.status);
    expect(await waitFor(refused, (s) => s === 403, WITHIN_MS)).toBe(403);
    const excluded = await postEvents(collectorUrl, { site: 'shop.example', name: 'pageview', url: 'https://shop.example/admin/x' });
    expect(excluded.headers.get('x-tidemark-dropped')).toBe('excluded');

    const { key, id } = await admin(apiA, 'POST', '/api/v2/keys', { name: 'backend', scopes: ['events:write'], sites: ['shop.example'] });
    const send = () =>
      postEvents(
        collectorUrl,
        { site: 'shop.example', name: 'signup', url: 'https://shop.example/' },
        { Authorization: `Bearer ${key}` },
      ).then((r) => r.status);
    expect(await waitFor(send, (s) => s === 202, WITHIN_MS)).toBe(202);
    await admin(apiA, 'DELETE', `/api/v2/keys/${id}`);
    expect(await waitFor(send, (s) => s === 401, WITHIN_MS)).toBe(401);
  });

  it('a sign-in on one API works on the other at once, and a sign-out ends it on both', async () => {
    const signIn = await fetch(`${apiA}/api/session`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ key: TOKEN }),
    });
    const { csrf } = (await signIn.json()) as { csrf: string };
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0] as string;
    const readB = () => fetch(`${apiB}/api/v1/sites`, { headers: { Cookie: cookie } }).then((r) => r.status);
    expect(await readB()).toBe(200);
    expect((await fetch(`${apiA}/api/session`, { method: 'DELETE', headers: { Cookie: cookie, 'X-CSRF-Token': csrf } })).status).toBe(204);
    expect(await waitFor(readB, (s) => s === 401, WITHIN_MS)).toBe(401);
  });
});

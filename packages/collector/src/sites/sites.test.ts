/**
 * The collector with a sites registry (SPEC §11): which sites it takes and which events it
 * drops before anything is queued. The registry is faked here (its storage is tested against
 * ClickHouse in test/access-*.integration.test.ts); the collector is the real one.
 */

import {
  type AccessRegistry,
  type AccessSnapshot,
  emptySnapshot,
  newSite,
  type QueueProducer,
  type Site,
  type StoredEvent,
} from '@tidemark/shared';
import { describe, expect, it } from 'vitest';
import { startTestCollector } from '../app.test-support.ts';

const UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36';

const site = (name: string, fields: Partial<Site> = {}): Site => ({ ...newSite(name, '2026-01-01T00:00:00.000Z'), ...fields });

/** A registry whose sites the test sets; `set` notifies like a reload would. */
function fakeRegistry(sites: Site[] = [], loaded = true) {
  const listeners: ((s: AccessSnapshot) => void)[] = [];
  let snapshot = emptySnapshot({ loaded, sites: new Map(sites.map((s) => [s.site, s])) });
  const registry = {
    current: () => snapshot,
    onChange: (fn: (s: AccessSnapshot) => void) => listeners.push(fn),
    keyUsed: () => {},
    pendingKeyUses: () => new Map(),
  } as unknown as AccessRegistry;
  return {
    registry,
    set(next: Site[]) {
      snapshot = { ...snapshot, loaded: true, sites: new Map(next.map((s) => [s.site, s])) };
      for (const fn of listeners) fn(snapshot);
    },
  };
}

function setup(registry: AccessRegistry | null, env: Record<string, string> = {}) {
  const sent: StoredEvent[] = [];
  const producer: QueueProducer = { send: async (events) => void sent.push(...events), ready: async () => true, close: async () => {} };
  // Events go to the collector's own server, as in production.
  const { collector, url } = startTestCollector({ TRUST_PROXY: 'true', ...env }, { producer, access: registry });
  const post = async (body: unknown, ip = '198.51.100.1', headers: Record<string, string> = {}) =>
    fetch(`${await url}/api/event`, {
      method: 'POST',
      body: JSON.stringify(body),
      headers: { 'Content-Type': 'text/plain', 'User-Agent': UA, 'X-Forwarded-For': ip, ...headers },
    });
  return { sent, post, collector };
}

const pageview = (s: string, url: string) => ({ site: s, name: 'pageview', url });

describe('the sites registry in the collector', () => {
  it('accepts any site while none is registered and SITES is unset, and says so', async () => {
    const { post, sent, collector } = setup(fakeRegistry().registry);
    expect((await post(pageview('anything.example', 'https://anything.example/'))).status).toBe(202);
    expect(sent).toHaveLength(1);
    expect(collector.sites.describe()).toMatch(/any site is accepted while none is registered and SITES is unset/);
  });

  it('refuses unregistered sites with 403 once one is registered (the registry or SITES)', async () => {
    const fake = fakeRegistry();
    const { post, sent, collector } = setup(fake.registry, { SITES: 'listed.example' });
    fake.set([site('shop.example')]);
    expect(collector.sites.describe()).toMatch(/1 registered and 1 listed in SITES/);
    expect((await post(pageview('shop.example', 'https://shop.example/'))).status).toBe(202);
    expect((await post(pageview('listed.example', 'https://listed.example/'))).status).toBe(202);
    const refused = await post(pageview('other.example', 'https://other.example/'));
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({ error: 'site: other.example is not registered here', field: 'site' });
    const batch = await post([pageview('shop.example', 'https://shop.example/'), pageview('other.example', 'https://other.example/')]);
    expect([batch.status, ((await batch.json()) as { field: string }).field]).toEqual([403, '1.site']);
    expect(sent.map((e) => e.site)).toEqual(['shop.example', 'listed.example']);
    // With SITES set, removing every registered site still leaves SITES in force.
    fake.set([]);
    expect((await post(pageview('other.example', 'https://other.example/'))).status).toBe(403); // SITES still lists one
  });

  it('drops excluded addresses, paths and countries before queueing, and says so', async () => {
    const fake = fakeRegistry([
      site('shop.example', { exclude: { ips: ['203.0.113.0/24', '2001:db8::/32'], paths: ['/admin/**', '/preview'], countries: ['FR'] } }),
    ]);
    const { post, sent } = setup(fake.registry);
    const dropped = async (res: Response) => [res.status, res.headers.get('x-tidemark-dropped')];
    expect(await dropped(await post(pageview('shop.example', 'https://shop.example/'), '203.0.113.77'))).toEqual([202, 'excluded']);
    expect(await dropped(await post(pageview('shop.example', 'https://shop.example/'), '2001:db8::9'))).toEqual([202, 'excluded']);
    expect(await dropped(await post(pageview('shop.example', 'https://shop.example/admin/users/1')))).toEqual([202, 'excluded']);
    expect(await dropped(await post(pageview('shop.example', 'https://shop.example/preview?x=1')))).toEqual([202, 'excluded']);
    expect(await dropped(await post(pageview('shop.example', 'https://shop.example/'), '198.51.100.1', { 'CF-IPCountry': 'FR' }))).toEqual([
      202,
      'excluded',
    ]);
    expect(sent).toHaveLength(0);
    // Everything else passes: another address, path, country.
    expect(
      await dropped(await post(pageview('shop.example', 'https://shop.example/previews'), '203.0.114.1', { 'CF-IPCountry': 'DE' })),
    ).toEqual([202, null]);
    // In a batch, only the excluded events go.
    const batch = await post([pageview('shop.example', 'https://shop.example/a'), pageview('shop.example', 'https://shop.example/admin/')]);
    expect(await dropped(batch)).toEqual([202, 'excluded']);
    expect(sent.map((e) => e.path)).toEqual(['/previews', '/a']);
  });

  it('takes pages of the site, its subdomains and its extra hostnames only, when hostnames are listed', async () => {
    const fake = fakeRegistry([site('shop.example', { hostnames: ['shop.example.org', '*.preview.example'] }), site('open.example')]);
    const { post, sent } = setup(fake.registry);
    for (const url of [
      'https://shop.example/',
      'https://www.shop.example/x',
      'https://shop.example.org/',
      'https://pr-1.preview.example/',
    ]) {
      const res = await post(pageview('shop.example', url));
      expect([url, res.headers.get('x-tidemark-dropped')]).toEqual([url, null]);
    }
    for (const url of [
      'https://copycat.example/',
      'https://preview.example/',
      'https://shop.example.org.evil.example/',
      'https://notshop.example/',
    ]) {
      const res = await post(pageview('shop.example', url));
      expect([url, res.status, res.headers.get('x-tidemark-dropped')]).toEqual([url, 202, 'excluded']);
    }
    // No list: any host.
    expect((await post(pageview('open.example', 'https://mirror.example/'))).headers.get('x-tidemark-dropped')).toBeNull();
    expect(sent).toHaveLength(5);
  });

  it('applies exclusions to server-side events with their own ip', async () => {
    const fake = fakeRegistry([site('shop.example', { exclude: { ips: ['192.0.2.0/24'], paths: [], countries: [] } })]);
    const { post, sent } = setup(fake.registry, { API_TOKEN: 'server-token' });
    const res = await post(
      [
        { ...pageview('shop.example', 'https://shop.example/'), ip: '192.0.2.5', userAgent: UA },
        { ...pageview('shop.example', 'https://shop.example/'), ip: '198.51.100.5', userAgent: UA },
      ],
      '10.0.0.1',
      { Authorization: 'Bearer server-token' },
    );
    expect([res.status, res.headers.get('x-tidemark-dropped')]).toEqual([202, 'excluded']);
    expect(sent).toHaveLength(1);
  });

  it('without a registry, keeps to SITES and says why', async () => {
    const { post, collector } = setup(null, { SITES: 'listed.example' });
    expect((await post(pageview('other.example', 'https://other.example/'))).status).toBe(403);
    expect(collector.sites.describe()).toMatch(/listed in SITES \(no sites registry: CLICKHOUSE_URL is not set\)/);
  });

  it('says when the registry could not be read yet', () => {
    const { collector } = setup(fakeRegistry([], false).registry);
    expect(collector.sites.describe()).toMatch(/could not be read yet/);
  });
});

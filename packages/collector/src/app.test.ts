import { type KeyAuthorizer, type QueueProducer, QueueUnavailableError, type StoredEvent } from '@tidemark/shared';
import { describe, expect, it } from 'vitest';
import { startTestCollector } from './app.test-support.ts';

const UA = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15';
const event = {
  site: 'example.com',
  name: 'pageview',
  url: 'https://example.com/blog?utm_source=hn&gclid=abc',
  referrer: 'https://www.google.com/',
};

function setup(env: Record<string, string> = {}, fail = false, keys?: KeyAuthorizer) {
  const sent: StoredEvent[] = [];
  const producer: QueueProducer = {
    async send(events) {
      if (fail) throw new QueueUnavailableError('queue full');
      sent.push(...events);
    },
    ready: async () => !fail,
    close: async () => {},
  };
  // Events go to the collector's own server, as in production; other routes to its Hono app.
  const { collector, registry, url } = startTestCollector(env, { producer, ...(keys && { keys }) });
  const post = async (body: string | Uint8Array, headers: Record<string, string> = {}, path = '/api/event') =>
    fetch(`${await url}${path}`, { method: 'POST', body, headers: { 'Content-Type': 'text/plain', 'User-Agent': UA, ...headers } });
  return { app: collector.app, sent, post, metrics: () => registry.metrics() };
}

describe('collector', () => {
  it('accepts an event with 202 and produces it enriched, without IP or User-Agent', async () => {
    const { post, sent } = setup();
    const res = await post(JSON.stringify(event), { 'X-Forwarded-For': '203.0.113.9' });
    expect(res.status).toBe(202);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      site: 'example.com',
      name: 'pageview',
      host: 'example.com',
      path: '/blog',
      utm_source: 'hn',
      click_id: 'gclid:abc',
      referrer_host: 'google.com',
      referrer_source: 'search',
      browser: 'Safari',
      os: 'Mac OS',
      device: 'desktop',
    });
    expect(sent[0]?.event_id).toMatch(/^[0-9a-f-]{36}$/);
    const wire = JSON.stringify(sent);
    expect(wire).not.toContain('203.0.113.9');
    expect(wire).not.toContain('Macintosh');
  });

  it('queues no credentials from the page URL or the referrer', async () => {
    const { post, sent } = setup();
    const res = await post(
      JSON.stringify({ ...event, url: 'https://ann:s3cret@example.com/p', referrer: 'https://bob:hunter2@news.example.org/' }),
    );
    expect(res.status).toBe(202);
    expect(sent[0]).toMatchObject({
      url: 'https://example.com/p',
      referrer: 'https://news.example.org/',
      referrer_host: 'news.example.org',
    });
    expect(JSON.stringify(sent)).not.toMatch(/s3cret|hunter2|ann|bob/);
  });

  it('gives one visitor the same id for the same day and agent', async () => {
    const { post, sent } = setup();
    await post(JSON.stringify(event));
    await post(JSON.stringify(event));
    expect(sent[0]?.visitor_id).toBe(sent[1]?.visitor_id);
    expect(sent[0]?.session_id).toBe('0'); // visits are cut by the ingester
  });

  it.each([
    ['malformed JSON', '{', 400],
    ['a missing field', JSON.stringify({ site: 'example.com', url: 'https://example.com' }), 400],
    ['a wrong type', JSON.stringify({ ...event, screenWidth: 'wide' }), 400],
    [
      'a single event over 8 KiB',
      JSON.stringify({ ...event, props: { a: 'x'.repeat(200) }, referrer: `https://r.com/${'r'.repeat(2000)}`, pad: 'p'.repeat(7000) }),
      413,
    ],
    ['a body over 256 KiB', JSON.stringify(Array(100).fill({ ...event, pad: 'p'.repeat(3000) })), 413],
  ])('answers %s with %i and produces nothing', async (_, body, status) => {
    const { post, sent } = setup();
    const res = await post(body);
    expect(res.status).toBe(status);
    expect(await res.json()).toHaveProperty('error');
    expect(sent).toHaveLength(0);
  });

  it('answers other content types with 415', async () => {
    const { post } = setup();
    expect((await post(JSON.stringify(event), { 'Content-Type': 'application/x-www-form-urlencoded' })).status).toBe(415);
  });

  it('drops bots with 202 and X-Tidemark-Dropped', async () => {
    const { post, sent } = setup();
    const res = await post(JSON.stringify(event), {
      'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/130.0.0.0 Safari/537.36',
    });
    expect(res.status).toBe(202);
    expect(res.headers.get('X-Tidemark-Dropped')).toBe('bot');
    expect(sent).toHaveLength(0);
  });

  it('refuses sites outside SITES with 403', async () => {
    const { post } = setup({ SITES: 'other.org' });
    expect((await post(JSON.stringify(event))).status).toBe(403);
  });

  it('answers 503 with Retry-After when the queue cannot take events', async () => {
    const { post, app } = setup({}, true);
    const res = await post(JSON.stringify(event));
    expect(res.status).toBe(503);
    expect(res.headers.get('Retry-After')).toBeTruthy();
    expect((await app.request('/readyz')).status).toBe(503);
  });

  it('answers CORS preflight and health', async () => {
    const { app } = setup();
    const pre = await app.request('/api/event', { method: 'OPTIONS' });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('Access-Control-Allow-Origin')).toBe('*');
    expect((await app.request('/healthz')).status).toBe(200);
  });

  it('serves the tracker with ETag and 304', async () => {
    const { app } = setup();
    const first = await app.request('/script.js', { headers: { 'Accept-Encoding': 'gzip' } });
    expect(first.status).toBe(200);
    expect(first.headers.get('Content-Encoding')).toBe('gzip');
    const etag = first.headers.get('ETag') ?? '';
    expect(etag).not.toBe('');
    const again = await app.request('/script.js', { headers: { 'If-None-Match': etag } });
    expect(again.status).toBe(304);
    expect((await app.request('/script.full.js')).status).toBe(200);
  });

  it.each([
    ['text/plain', 202],
    ['text/plain;charset=UTF-8', 202],
    ['application/json', 202],
    ['Application/JSON; charset=utf-8', 202],
    ['application/x-www-form-urlencoded', 415],
    ['multipart/form-data; boundary=x', 415],
    ['text/html', 415],
    ['', 415],
  ])('Content-Type %j → %i', async (type, status) => {
    const { post } = setup();
    const res = await post(JSON.stringify(event), { 'Content-Type': type });
    expect(res.status).toBe(status);
    if (status === 415) expect(await res.json()).toMatchObject({ field: 'Content-Type' });
  });

  const one = (extra: Record<string, unknown>) => JSON.stringify({ ...event, ...extra });
  it.each([
    ['an event of exactly 8 KiB', one({ pad: 'p'.repeat(8192 - one({ pad: '' }).length) }), 202, undefined],
    ['an event of 8 KiB + 1', one({ pad: 'p'.repeat(8193 - one({ pad: '' }).length) }), 413, 'body'],
    ['100 events', JSON.stringify(Array(100).fill(event)), 202, undefined],
    ['101 events', JSON.stringify(Array(101).fill(event)), 400, 'body'],
    ['an empty array', '[]', 400, 'body'],
    ['an empty body', '', 400, 'body'],
    ['a JSON string', '"pageview"', 400, 'body'],
    ['null', 'null', 400, 'body'],
    ['an array holding a bad event', JSON.stringify([event, { ...event, url: 'ftp://x' }]), 400, '1.url'],
    ['a __proto__ key', `{"__proto__":{"polluted":1},${one({}).slice(1)}`, 400, '__proto__'],
    ['a prop named constructor', one({ props: { constructor: 'x' } }), 400, 'props.constructor'],
  ])('answers %s with %i', async (_, body, status, field) => {
    const { post, sent } = setup();
    const res = await post(body);
    expect(res.status).toBe(status);
    if (field) expect(await res.json()).toMatchObject({ field });
    expect(sent.length > 0).toBe(status === 202);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('answers invalid UTF-8 with 400', async () => {
    const { post, sent } = setup();
    const bytes = Buffer.concat([Buffer.from(one({}).slice(0, -2)), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
    const res = await post(new Uint8Array(bytes));
    expect(res.status).toBe(400);
    expect(sent).toHaveLength(0);
  });

  it('rate-limits per client IP with 429 and Retry-After', async () => {
    const { post, sent } = setup({ RATE_LIMIT_PER_MINUTE: '2', TRUST_PROXY: 'true' });
    const from = (ip: string) => post(JSON.stringify(event), { 'X-Forwarded-For': ip });
    expect((await from('198.51.100.1')).status).toBe(202);
    expect((await from('198.51.100.1')).status).toBe(202);
    const limited = await from('198.51.100.1');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('Retry-After'))).toBeGreaterThan(0);
    expect((await from('198.51.100.2')).status).toBe(202);
    expect(sent).toHaveLength(3);
  });

  it('rate-limits events, not requests: a batch of 100 uses a limit of 100', async () => {
    const { post, sent } = setup({ RATE_LIMIT_PER_MINUTE: '100', TRUST_PROXY: 'true' });
    const from = (ip: string, body: unknown) => post(JSON.stringify(body), { 'X-Forwarded-For': ip });
    expect((await from('198.51.100.1', Array(100).fill(event))).status).toBe(202);
    const limited = await from('198.51.100.1', event);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('Retry-After'))).toBeGreaterThan(0);
    // Another IP: 99 events, then a batch that crosses the limit is still taken, then 429.
    expect((await from('198.51.100.2', Array(99).fill(event))).status).toBe(202);
    expect((await from('198.51.100.2', [event, event])).status).toBe(202);
    expect((await from('198.51.100.2', event)).status).toBe(429);
    expect(sent).toHaveLength(201);
  });

  it('takes the country from a CDN header only with TRUST_PROXY', async () => {
    const trusted = setup({ TRUST_PROXY: 'true' });
    await trusted.post(JSON.stringify(event), { 'CF-IPCountry': 'NZ', 'X-Forwarded-For': '81.2.69.160' });
    await trusted.post(JSON.stringify(event), { 'X-Forwarded-For': '81.2.69.160' });
    expect(trusted.sent.map((e) => e.country)).toEqual(['NZ', 'GB']);
    const direct = setup();
    await direct.post(JSON.stringify(event), { 'CF-IPCountry': 'NZ', 'X-Forwarded-For': '81.2.69.160' });
    expect(direct.sent[0]?.country).toBe(''); // no socket here, and the headers are not trusted
  });

  it('adds the region and city of the client IP where the city database agrees with the country, unless GEO_CITY=false', async () => {
    const trusted = setup({ TRUST_PROXY: 'true' });
    await trusted.post(JSON.stringify(event), { 'X-Forwarded-For': '8.8.8.8' });
    await trusted.post(JSON.stringify(event), { 'CF-IPCountry': 'GB', 'X-Forwarded-For': '81.2.69.142' });
    await trusted.post(JSON.stringify(event), { 'CF-IPCountry': 'NZ', 'X-Forwarded-For': '81.2.69.142' });
    expect(trusted.sent.map(({ country, region, city }) => [country, region, city])).toEqual([
      ['US', 'California', 'Mountain View'],
      ['GB', 'England', 'London'],
      ['NZ', '', ''],
    ]);
    const off = setup({ TRUST_PROXY: 'true', GEO_CITY: 'false' });
    await off.post(JSON.stringify(event), { 'X-Forwarded-For': '8.8.8.8' });
    expect(off.sent[0]).toMatchObject({ country: 'US', region: '', city: '' });
  });

  it('serves EVENTS_PATH and SCRIPT_PATH instead of the defaults, with CORS preflight on both', async () => {
    const { app, post, sent } = setup({ EVENTS_PATH: '/t/e', SCRIPT_PATH: '/t/s.js' });
    expect((await post(JSON.stringify(event), {}, '/t/e')).status).toBe(202);
    expect((await post(JSON.stringify(event))).status).toBe(404);
    expect(sent).toHaveLength(1);
    const core = await app.request('/t/s.js');
    expect(core.status).toBe(200);
    const full = await app.request('/t/s.full.js');
    expect(full.status).toBe(200);
    // The served tracker sends to the renamed endpoint, not the built-in /api/event.
    for (const code of [await core.text(), await full.text()]) {
      expect(code).toContain('"/t/e"');
      expect(code).not.toContain('"/api/event"');
    }
    expect((await app.request('/script.js')).status).toBe(404);
    for (const path of ['/t/e', '/t/s.js']) {
      const pre = await app.request(path, { method: 'OPTIONS' });
      expect(pre.status).toBe(204);
      expect(pre.headers.get('Access-Control-Allow-Methods')).toContain('POST');
    }
  });

  it('counts requests, accepted and dropped events in its metrics, which the public routes do not serve', async () => {
    const { app, post, metrics } = setup();
    await post(JSON.stringify([event, event]));
    await post('{');
    await post(JSON.stringify(event), { 'User-Agent': 'curl/8.0' });
    expect((await app.request('/metrics')).status).toBe(404); // on COLLECTOR_METRICS_PORT instead
    const text = await metrics();
    expect(text).toMatch(/tidemark_collector_events_accepted_total 2/);
    expect(text).toMatch(/tidemark_collector_events_dropped_total\{reason="invalid"\} 1/);
    expect(text).toMatch(/tidemark_collector_events_dropped_total\{reason="bot"\} 1/);
    expect(text).toMatch(/tidemark_collector_requests_total\{route="\/api\/event",status="202"\} 2/);
    expect(text).toMatch(/tidemark_collector_produce_batch_events_count 1/);
    expect(text).toMatch(/tidemark_collector_produce_seconds_count\{outcome="ok"\} 1/);
    // Request counts are handed to prom-client at each scrape: they keep adding up.
    await post('{');
    const again = await metrics();
    expect(again).toMatch(/tidemark_collector_requests_total\{route="\/api\/event",status="202"\} 2$/m);
    expect(again).toMatch(/tidemark_collector_requests_total\{route="\/api\/event",status="400"\} 2$/m);
  });

  describe('server-side events (SPEC §11)', () => {
    const TOKEN = 'tok-0123456789';
    const bearer = { Authorization: `Bearer ${TOKEN}` };
    const GB_IP = '81.2.69.160';
    const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
    const SENDER_UA = 'tidemark-node/0.1.0';
    const iso = (msAgo: number) => new Date(Date.now() - msAgo).toISOString();
    const server = (env: Record<string, string> = {}, keys?: KeyAuthorizer) => setup({ API_TOKEN: TOKEN, ...env }, false, keys);

    it('stores a backdated event at its timestamp, with the country of its ip and the browser of its userAgent', async () => {
      const { post, sent } = server();
      const timestamp = iso(3 * 86_400_000);
      const res = await post(JSON.stringify({ ...event, timestamp, ip: GB_IP, userAgent: FIREFOX }), {
        ...bearer,
        'User-Agent': SENDER_UA,
      });
      expect(res.status).toBe(202);
      expect(sent).toHaveLength(1);
      expect(sent[0]).toMatchObject({
        timestamp: timestamp.replace('T', ' ').slice(0, 23),
        country: 'GB',
        browser: 'Firefox',
        os: 'Linux',
      });
      const wire = JSON.stringify(sent);
      expect(wire).not.toContain(GB_IP);
      expect(wire).not.toContain('Gecko');
    });

    it('gives each event of a batch its own visitor, and judges bots per event', async () => {
      const { post, sent } = server();
      const batch = [
        { ...event, ip: GB_IP, userAgent: FIREFOX },
        { ...event, ip: '203.0.113.7', userAgent: FIREFOX },
        { ...event, ip: GB_IP, userAgent: 'Googlebot/2.1 (+http://www.google.com/bot.html)' },
        { ...event, ip: GB_IP, userAgent: FIREFOX },
      ];
      const res = await post(JSON.stringify(batch), { ...bearer, 'User-Agent': SENDER_UA });
      expect(res.status).toBe(202);
      expect(res.headers.get('X-Tidemark-Dropped')).toBe('bot');
      expect(res.headers.get('X-Tidemark-Dropped-Events')).toBe('1');
      expect(sent).toHaveLength(3);
      expect(sent[0]?.visitor_id).toBe(sent[2]?.visitor_id);
      expect(sent[0]?.visitor_id).not.toBe(sent[1]?.visitor_id);
      const allBots = await post(JSON.stringify([batch[2]]), bearer);
      expect(allBots.status).toBe(202);
      expect(allBots.headers.get('X-Tidemark-Dropped')).toBe('bot');
      expect(sent).toHaveLength(3);
    });

    it("keeps an event without ip or userAgent: the sender's agent is neither parsed nor judged a bot", async () => {
      const { post, sent } = server({ TRUST_PROXY: 'true' });
      const res = await post(JSON.stringify({ ...event, timestamp: iso(60_000) }), {
        ...bearer,
        'User-Agent': SENDER_UA,
        'X-Forwarded-For': GB_IP,
      });
      expect(res.status).toBe(202);
      expect(res.headers.get('X-Tidemark-Dropped')).toBeNull();
      expect(sent[0]).toMatchObject({ country: 'GB', browser: '', device: '', os: '' });
      // A given ip is looked up in the database, never taken from the sender's CDN header.
      await post(JSON.stringify({ ...event, ip: GB_IP }), { ...bearer, 'CF-IPCountry': 'NZ', 'X-Forwarded-For': '203.0.113.7' });
      expect(sent[1]).toMatchObject({ country: 'GB', region: 'England', city: 'London' });
    });

    it.each(['timestamp', 'ip', 'userAgent'])('answers a browser sending %s with 400 naming it, storing nothing', async (field) => {
      const { post, sent } = server();
      const value = field === 'timestamp' ? iso(0) : field === 'ip' ? GB_IP : FIREFOX;
      const res = await post(JSON.stringify([event, { ...event, [field]: value }]));
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ field: `1.${field}` });
      expect(sent).toHaveLength(0);
    });

    it.each([
      ['a wrong key', { Authorization: 'Bearer nope' }],
      ['another scheme', { Authorization: `Basic ${TOKEN}` }],
      ['an empty bearer', { Authorization: 'Bearer ' }],
    ])('answers %s with 401 and WWW-Authenticate, storing nothing', async (_, headers) => {
      const { post, sent } = server();
      const res = await post(JSON.stringify({ ...event, timestamp: iso(0) }), headers);
      expect(res.status).toBe(401);
      expect(res.headers.get('WWW-Authenticate')).toBe('Bearer');
      expect(await res.json()).toMatchObject({ field: 'Authorization' });
      expect(sent).toHaveLength(0);
    });

    it('answers 401 to any key when no API_TOKEN is set', async () => {
      const { post } = setup();
      expect((await post(JSON.stringify(event), { Authorization: 'Bearer anything' })).status).toBe(401);
    });

    it('answers 403 for a key without events:write, and for a site outside the key', async () => {
      const keys: KeyAuthorizer = {
        async authorize(key) {
          if (key === 'reader') return { id: 'k-reader', scopes: ['stats:read'], sites: 'all' };
          if (key === 'writer') return { id: 'k-writer', scopes: ['events:write'], sites: ['example.com'] };
          return null;
        },
      };
      const { post, sent } = setup({}, false, keys);
      const reader = await post(JSON.stringify(event), { Authorization: 'Bearer reader' });
      expect(reader.status).toBe(403);
      expect(await reader.json()).toMatchObject({ field: 'Authorization' });
      const other = await post(JSON.stringify([event, { ...event, site: 'other.org' }]), { Authorization: 'Bearer writer' });
      expect(other.status).toBe(403);
      expect(await other.json()).toMatchObject({ field: '1.site', error: expect.stringContaining('other.org') });
      const single = await post(JSON.stringify({ ...event, site: 'other.org' }), { Authorization: 'Bearer writer' });
      expect(await single.json()).toMatchObject({ field: 'site' });
      expect(sent).toHaveLength(0);
      expect((await post(JSON.stringify({ ...event, timestamp: iso(0) }), { Authorization: 'Bearer writer' })).status).toBe(202);
      expect(sent).toHaveLength(1);
    });

    it('answers 503 with Retry-After when the key store fails, never a 500', async () => {
      const keys: KeyAuthorizer = {
        authorize: async () => {
          throw new Error('keys table unreachable');
        },
      };
      const { post, sent } = setup({}, false, keys);
      const res = await post(JSON.stringify(event), bearer);
      expect(res.status).toBe(503);
      expect(res.headers.get('Retry-After')).toBe('5');
      expect(sent).toHaveLength(0);
    });

    it('rate-limits server-side requests per key, not per IP; failed keys count against the IP', async () => {
      const { post, sent } = server({ RATE_LIMIT_PER_MINUTE: '2', RATE_LIMIT_PER_KEY_PER_MINUTE: '3', TRUST_PROXY: 'true' });
      const from = (ip: string, headers: Record<string, string> = bearer) =>
        post(JSON.stringify(event), { ...headers, 'X-Forwarded-For': ip });
      // One sender IP, three keyed requests: past the IP limit of 2, within the key's 3.
      expect([(await from('198.51.100.1')).status, (await from('198.51.100.1')).status, (await from('198.51.100.1')).status]).toEqual([
        202, 202, 202,
      ]);
      const limited = await from('198.51.100.2'); // another IP, the same key
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get('Retry-After'))).toBeGreaterThan(0);
      expect(sent).toHaveLength(3);
      // Guessing keys: each failure counts against the IP's limit of 2.
      const wrong = { Authorization: 'Bearer guess' };
      expect([(await from('198.51.100.3', wrong)).status, (await from('198.51.100.3', wrong)).status]).toEqual([401, 401]);
      expect((await from('198.51.100.3', wrong)).status).toBe(429);
    });
  });
});

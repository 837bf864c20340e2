import { loadConfig, plainLogger, type QueueProducer, QueueUnavailableError, type StoredEvent } from '@tidemark/shared';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createCollectorApp } from './app.ts';

const UA = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15';
const event = { site: 'example.com', name: 'pageview', url: 'https://example.com/blog?utm_source=hn&gclid=abc', referrer: 'https://www.google.com/' };

function setup(env: Record<string, string> = {}, fail = false) {
  const sent: StoredEvent[] = [];
  const producer: QueueProducer = {
    async send(events) {
      if (fail) throw new QueueUnavailableError('queue full');
      sent.push(...events);
    },
    ready: async () => !fail,
    close: async () => {},
  };
  const app = createCollectorApp({ config: loadConfig(env).collector, producer, log: plainLogger(), registry: new Registry() });
  const post = (body: string, headers: Record<string, string> = {}) =>
    app.request('/api/event', { method: 'POST', body, headers: { 'Content-Type': 'text/plain', 'User-Agent': UA, ...headers } });
  return { app, sent, post };
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

  it('gives one visitor the same id for the same day and agent', async () => {
    const { post, sent } = setup();
    await post(JSON.stringify(event));
    await post(JSON.stringify(event));
    expect(sent[0]?.visitor_id).toBe(sent[1]?.visitor_id);
    expect(sent[0]?.session_id).toBe(sent[1]?.session_id);
  });

  it.each([
    ['malformed JSON', '{', 400],
    ['a missing field', JSON.stringify({ site: 'example.com', url: 'https://example.com' }), 400],
    ['a wrong type', JSON.stringify({ ...event, screenWidth: 'wide' }), 400],
    ['a single event over 8 KiB', JSON.stringify({ ...event, props: { a: 'x'.repeat(200) }, referrer: `https://r.com/${'r'.repeat(2000)}`, pad: 'p'.repeat(7000) }), 413],
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
    const res = await post(JSON.stringify(event), { 'User-Agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 HeadlessChrome/130.0.0.0 Safari/537.36' });
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
});

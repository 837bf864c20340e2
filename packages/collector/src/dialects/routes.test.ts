/**
 * Plausible's and Umami's bodies through the collector's own server (SPEC §13): the answers
 * their senders read, and the rows produced (the queue is a fake; the browser tests use the
 * real stack).
 */
import type { QueueProducer, StoredEvent } from '@tidemark/shared';
import { describe, expect, it } from 'vitest';
import { startTestCollector } from '../app.test-support.ts';
import type { UmamiWebsites } from './umami.ts';

const UA = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';
const BOT_UA = 'Googlebot/2.1 (+http://www.google.com/bot.html)';
const WEBSITE = '0b6c1f9e-8a57-4a39-9d33-7a2f1e5b4c21';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function setup(env: Record<string, string> = {}, umamiWebsites?: UmamiWebsites) {
  const sent: StoredEvent[] = [];
  const producer: QueueProducer = { send: async (events) => void sent.push(...events), ready: async () => true, close: async () => {} };
  const { url: base } = startTestCollector(env, { producer, ...(umamiWebsites && { umamiWebsites }) });
  const request = async (path: string, init: RequestInit & { ua?: string; type?: string } = {}) =>
    fetch(`${await base}${path}`, {
      method: 'POST',
      ...init,
      headers: { 'Content-Type': init.type ?? 'text/plain', 'User-Agent': init.ua ?? UA, ...(init.headers as Record<string, string>) },
    });
  return { sent, request };
}

const websites: UmamiWebsites = { siteOf: (id) => (id === WEBSITE ? 'umami.example' : null) };

describe('Plausible on /api/event', () => {
  it('answers 202 with the text ok and produces the event, hash-routed path included', async () => {
    const { request, sent } = setup();
    const res = await request('/api/event', {
      body: JSON.stringify({ n: 'pageview', u: 'https://p.example/#/about', d: 'p.example', r: null, w: 1024, h: 1 }),
    });
    expect(res.status).toBe(202);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await res.text()).toBe('ok');
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ site: 'p.example', name: 'pageview', path: '/#/about', screen_width: 1024, referrer: '' });
  });

  it('produces one row per site of a comma list, each with its own event id', async () => {
    const { request, sent } = setup();
    const res = await request('/api/event', {
      body: JSON.stringify({ n: 'Signup', u: 'https://a.example/', d: 'a.example,b.example', p: { plan: 'pro' } }),
    });
    expect(res.status).toBe(202);
    expect(sent.map((r) => [r.site, r.name, r.props])).toEqual([
      ['a.example', 'Signup', { plan: 'pro' }],
      ['b.example', 'Signup', { plan: 'pro' }],
    ]);
    expect(sent[0]?.event_id).not.toBe(sent[1]?.event_id);
  });

  it('keeps an engagement’s time (e) and leaves its pageview to be tied later', async () => {
    const { request, sent } = setup();
    await request('/api/event', {
      body: JSON.stringify({ n: 'engagement', u: 'https://p.example/a', d: 'p.example', e: 5321, sd: 73, p: {} }),
    });
    expect(sent[0]).toMatchObject({ name: 'engagement', duration_ms: 5321, pageview_id: '00000000-0000-0000-0000-000000000000' });
  });

  it('answers a bot 202 ok with the dropped header, and malformed input 400 naming the key', async () => {
    const { request, sent } = setup();
    const bot = await request('/api/event', {
      ua: BOT_UA,
      body: JSON.stringify({ n: 'pageview', u: 'https://p.example/', d: 'p.example' }),
    });
    expect([bot.status, await bot.text(), bot.headers.get('x-tidemark-dropped')]).toEqual([202, 'ok', 'bot']);
    const bad = await request('/api/event', { body: JSON.stringify({ n: 'pageview', u: '/relative', d: 'p.example' }) });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: 'u: must be an absolute http(s) URL', field: 'u' });
    expect(sent).toHaveLength(0);
  });

  it('holds Plausible’s sites to SITES like any other (403)', async () => {
    const { request, sent } = setup({ SITES: 'a.example' });
    const res = await request('/api/event', { body: JSON.stringify({ n: 'pageview', u: 'https://a.example/', d: 'a.example,b.example' }) });
    expect(res.status).toBe(403);
    expect(sent).toHaveLength(0);
  });
});

describe('Umami on /api/send', () => {
  const event = (payload: Record<string, unknown>, type = 'event') => JSON.stringify({ type, payload: { website: WEBSITE, ...payload } });

  it('answers 200 { cache, sessionId, visitId } and produces the pageview of the mapped site', async () => {
    const { request, sent } = setup({}, websites);
    const res = await request('/api/send', {
      type: 'application/json',
      body: event({ hostname: 'umami.example', url: '/docs', referrer: 'https://duckduckgo.com/', screen: '390x844', title: 'Docs' }),
    });
    expect(res.status).toBe(200);
    const answer = (await res.json()) as { cache: string; sessionId: string; visitId: string };
    expect(Object.keys(answer).sort()).toEqual(['cache', 'sessionId', 'visitId']);
    expect(answer.sessionId).toMatch(UUID);
    expect(answer.visitId).toMatch(UUID);
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({
      site: 'umami.example',
      name: 'pageview',
      url: 'https://umami.example/docs',
      path: '/docs',
      referrer_host: 'duckduckgo.com',
      screen_width: 390,
    });
    const again = (await (
      await request('/api/send', { type: 'application/json', body: event({ name: 'click' }) })
    ).json()) as typeof answer;
    expect(again.sessionId).toBe(answer.sessionId);
  });

  it('accepts identify without storing anything', async () => {
    const { request, sent } = setup({}, websites);
    const res = await request('/api/send', { type: 'application/json', body: event({ data: { email: 'x' } }, 'identify') });
    expect(res.status).toBe(200);
    expect(await res.json()).toHaveProperty('sessionId');
    expect(sent).toHaveLength(0);
  });

  it('refuses an unknown website id with 403, a bot with beep boop, and a bad body with 400', async () => {
    const { request, sent } = setup({}, websites);
    const unknown = await request('/api/send', {
      type: 'application/json',
      body: JSON.stringify({ type: 'event', payload: { website: '11111111-2222-4333-8444-555555555555', url: '/' } }),
    });
    expect(unknown.status).toBe(403);
    expect(await unknown.json()).toMatchObject({ field: 'payload.website' });
    const bot = await request('/api/send', { type: 'application/json', ua: BOT_UA, body: event({ url: '/' }) });
    expect([bot.status, await bot.json()]).toEqual([200, { beep: 'boop' }]);
    const bad = await request('/api/send', {
      type: 'application/json',
      body: JSON.stringify({ type: 'event', payload: { website: WEBSITE, screen: 'x' } }),
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: 'payload.screen: must be WIDTHxHEIGHT, e.g. 1920x1080', field: 'payload.screen' });
    expect(sent).toHaveLength(0);
  });

  it('without a registry knows no website id', async () => {
    const { request } = setup();
    expect((await request('/api/send', { type: 'application/json', body: event({ url: '/' }) })).status).toBe(403);
  });

  it('answers the preflight of Umami’s tracker (JSON and x-umami-cache)', async () => {
    const { request } = setup({}, websites);
    const res = await request('/api/send', { method: 'OPTIONS' });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-headers')).toBe('Content-Type, x-umami-cache');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });
});

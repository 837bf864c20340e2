import { ValidationError } from '@tidemark/shared';
import { describe, expect, it } from 'vitest';
import { parseEventsBody } from './events-body.ts';
import { parseUmamiBody, type UmamiWebsites, UnknownWebsiteError } from './umami.ts';

const WEBSITE = '6f1b4a52-2d4c-4d3e-9c59-2a0f5c7e1b11';
const websites: UmamiWebsites = { siteOf: (id) => (id === WEBSITE ? 'example.com' : null) };

function error(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ValidationError) return e;
    throw e;
  }
  throw new Error('no validation error');
}

async function asyncError(fn: () => Promise<unknown>): Promise<Error> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof Error) return e;
  }
  throw new Error('no error');
}

describe('the Events API body: Tidemark or Plausible', () => {
  it('reads a Tidemark event as before', () => {
    const { batch, dialect } = parseEventsBody(JSON.stringify({ site: 'example.com', name: 'pageview', url: 'https://example.com/a' }));
    expect(dialect).toBe('tidemark');
    expect(batch[0]?.event).toEqual({ site: 'example.com', name: 'pageview', url: 'https://example.com/a' });
  });

  it('reads the new Plausible tracker’s pageview (short keys, props object, null referrer)', () => {
    const body = { n: 'pageview', v: 36, u: 'https://example.com/docs?x=1', d: 'example.com', r: null, p: { plan: 'pro', n: 2 } };
    const { batch, dialect } = parseEventsBody(JSON.stringify(body));
    expect(dialect).toBe('plausible');
    expect(batch).toHaveLength(1);
    expect(batch[0]?.event).toEqual({ site: 'example.com', name: 'pageview', url: body.u, props: { plan: 'pro', n: 2 } });
    expect(batch[0]?.path).toBeUndefined();
  });

  it('reads the older tracker’s body: props as JSON text, w, h = 1 counts the hash in the path', () => {
    const body = {
      n: 'Signup',
      u: 'https://example.com/#/pricing',
      d: 'example.com',
      r: 'https://news.ycombinator.com/',
      w: 1280,
      h: 1,
      p: '{"tier":"startup"}',
    };
    const [parsed] = parseEventsBody(JSON.stringify(body)).batch;
    expect(parsed?.event).toEqual({
      site: 'example.com',
      name: 'Signup',
      url: body.u,
      referrer: body.r,
      screenWidth: 1280,
      props: { tier: 'startup' },
    });
    expect(parsed?.path).toBe('/#/pricing');
  });

  it('reads long keys (Plausible’s Events API) and keeps revenue as two props', () => {
    const body = {
      name: 'Purchase',
      url: 'https://shop.example/checkout',
      domain: 'shop.example',
      revenue: { amount: '15.99', currency: 'USD' },
    };
    const [parsed] = parseEventsBody(JSON.stringify(body)).batch;
    expect(parsed?.event.props).toEqual({ revenue_amount: '15.99', revenue_currency: 'USD' });
  });

  it('takes an engagement without a pageview id: e → durationMs, sd → scrollDepth (clamped to 100)', () => {
    const body = { n: 'engagement', sd: 104, d: 'example.com', u: 'https://example.com/a', p: {}, e: 4210, v: 36 };
    const [parsed] = parseEventsBody(JSON.stringify(body)).batch;
    expect(parsed?.event).toEqual({ site: 'example.com', name: 'engagement', url: body.u, durationMs: 4210, scrollDepth: 100 });
    expect(parsed?.event.pageviewId).toBeUndefined();
  });

  it('stores an event with a comma list in d once for each site', () => {
    const body = { n: 'pageview', u: 'https://a.example/x', d: 'a.example, B.example,a.example' };
    const { batch } = parseEventsBody(JSON.stringify(body));
    expect(batch.map((p) => p.event.site)).toEqual(['a.example', 'b.example']);
    expect(batch[1]?.url.href).toBe('https://a.example/x');
  });

  it.each([
    [{ n: 'pageview', u: 'not a url', d: 'example.com' }, 'u'],
    [{ name: 'pageview', url: 'ftp://example.com/', domain: 'example.com' }, 'url'],
    [{ n: 'pageview', u: 'https://example.com/', d: 'not a host!' }, 'd'],
    [{ n: 'pageview', u: 'https://example.com/', d: 'example.com,bad host' }, 'd'],
    [{ n: 'pageview', u: 'https://example.com/', d: '' }, 'd'],
    [{ n: 'pageview', u: 'https://example.com/', d: 'example.com', p: '{oops' }, 'p'],
    [{ n: 'pageview', u: 'https://example.com/', d: 'example.com', p: { deep: { x: 1 } } }, 'p.deep'],
    [{ n: 'engagement', u: 'https://example.com/', d: 'example.com', e: -5 }, 'e'],
    [{ n: 'engagement', u: 'https://example.com/', d: 'example.com', e: 10, sd: 'half' }, 'sd'],
    [{ n: 'Sign up (pro)', u: 'https://example.com/', d: 'example.com' }, 'n'],
    [{ n: 'x', u: 'https://example.com/', d: 'example.com', w: 'wide' }, 'w'],
    [{ n: 'x', u: 'https://example.com/', d: 'example.com', $: 5 }, '$'],
  ])('answers a malformed Plausible event %j with the key the sender used', (body, field) => {
    const e = error(() => parseEventsBody(JSON.stringify(body)));
    expect(e.field).toBe(field);
    expect(e.message.startsWith(`${field}:`)).toBe(true);
  });

  it('refuses an object naming its site both ways, or neither', () => {
    const both = error(() =>
      parseEventsBody(JSON.stringify({ site: 'a.example', d: 'a.example', name: 'pageview', url: 'https://a.example/' })),
    );
    expect(both.field).toBe('site');
    expect(both.message).toMatch(/not both/);
    const neither = error(() => parseEventsBody(JSON.stringify({ n: 'pageview', u: 'https://a.example/' })));
    expect(neither.field).toBe('site');
    expect(neither.message).toMatch(/or d, for a Plausible event/);
  });

  it('reads an array mixing both shapes, naming a bad element by its index', () => {
    const ok = [
      { site: 'a.example', name: 'pageview', url: 'https://a.example/' },
      { n: 'pageview', u: 'https://a.example/b', d: 'a.example,b.example' },
    ];
    const { batch, dialect } = parseEventsBody(JSON.stringify(ok));
    expect(dialect).toBe('tidemark');
    expect(batch).toHaveLength(3);
    const e = error(() => parseEventsBody(JSON.stringify([ok[0], { n: 'pageview', u: 'nope', d: 'a.example' }])));
    expect(e.field).toBe('1.u');
  });

  it('still requires Tidemark’s own engagement to name its pageview', () => {
    const e = error(() =>
      parseEventsBody(JSON.stringify({ site: 'a.example', name: 'engagement', url: 'https://a.example/', durationMs: 5 })),
    );
    expect(e.field).toBe('pageviewId');
  });
});

describe('Umami’s /api/send body', () => {
  const send = (payload: Record<string, unknown>, type = 'event') => JSON.stringify({ type, payload: { website: WEBSITE, ...payload } });

  it('reads a pageview of the tracker: a path on the hostname, screen width, full referrer', async () => {
    const body = await parseUmamiBody(
      send({
        hostname: 'example.com',
        url: '/docs?utm_source=hn',
        referrer: 'https://google.com/',
        screen: '1440x900',
        language: 'en-US',
        title: 'Docs',
      }),
      websites,
    );
    expect(body.type).toBe('event');
    if (body.type !== 'event') return;
    expect(body.parsed.event).toEqual({
      site: 'example.com',
      name: 'pageview',
      url: 'https://example.com/docs?utm_source=hn',
      referrer: 'https://google.com/',
      screenWidth: 1440,
    });
  });

  it('reads a custom event of @umami/node (no url: the site’s root) with nested data flattened', async () => {
    const body = await parseUmamiBody(
      send({ name: 'signup', data: { plan: 'pro', seats: 3, meta: { via: 'ad' }, tags: ['a', 'b'], gone: null } }),
      websites,
    );
    if (body.type !== 'event') throw new Error('not an event');
    expect(body.parsed.event).toEqual({
      site: 'example.com',
      name: 'signup',
      url: 'https://example.com/',
      props: { plan: 'pro', seats: 3, 'meta.via': 'ad', tags: '["a","b"]' },
    });
  });

  it('resolves a path-only referrer on the page', async () => {
    const body = await parseUmamiBody(send({ url: '/b', referrer: '/a' }), websites);
    if (body.type !== 'event') throw new Error('not an event');
    expect(body.parsed.event.referrer).toBe('https://example.com/a');
  });

  it('accepts identify and stores nothing', async () => {
    expect(await parseUmamiBody(send({ data: { user: 'x' } }, 'identify'), websites)).toEqual({ type: 'identify', site: 'example.com' });
  });

  it('refuses an unknown website id with UnknownWebsiteError (403)', async () => {
    const e = await asyncError(() =>
      parseUmamiBody(JSON.stringify({ type: 'event', payload: { website: '00000000-0000-4000-8000-000000000000' } }), websites),
    );
    expect(e).toBeInstanceOf(UnknownWebsiteError);
    expect(e.message).toMatch(/no site has the Umami website id/);
  });

  it('reads ip, userAgent and timestamp only with a key', async () => {
    const nowMs = Date.now();
    const payload = { ip: '81.2.69.160', userAgent: 'Mozilla/5.0 Firefox/128.0', timestamp: Math.floor(nowMs / 1000) - 60 };
    const browser = await parseUmamiBody(send(payload), websites);
    if (browser.type !== 'event') throw new Error('not an event');
    expect(browser.parsed.event.ip).toBeUndefined();
    const server = await parseUmamiBody(send(payload), websites, { server: true, nowMs });
    if (server.type !== 'event') throw new Error('not an event');
    expect(server.parsed.event).toMatchObject({ ip: payload.ip, userAgent: payload.userAgent, timeMs: payload.timestamp * 1000 });
  });

  it.each([
    ['not JSON', '{', 'body'],
    ['no type', JSON.stringify({ payload: { website: WEBSITE } }), 'type'],
    ['another type', JSON.stringify({ type: 'performance', payload: { website: WEBSITE } }), 'type'],
    ['no payload', JSON.stringify({ type: 'event' }), 'payload'],
    ['a website that is no UUID', JSON.stringify({ type: 'event', payload: { website: 'abc' } }), 'payload.website'],
    ['a bad screen', send({ screen: 'big' }), 'payload.screen'],
    ['data that is no object', send({ data: 'x' }), 'payload.data'],
    ['a reserved name', send({ name: 'pageview' }), 'payload.name'],
    ['a bad url', send({ url: 'https://exa mple.com/' }), 'payload.url'],
    ['a prop too long', send({ data: { a: 'x'.repeat(300) } }), 'payload.data.a'],
  ])('answers %s with a 400 naming the field', async (_, body, field) => {
    const e = await asyncError(() => parseUmamiBody(body, websites));
    expect(e).toBeInstanceOf(ValidationError);
    expect((e as ValidationError).field).toBe(field);
  });
});

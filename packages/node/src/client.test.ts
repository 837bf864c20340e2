import { describe, expect, it } from 'vitest';
import manifest from '../package.json' with { type: 'json' };
import { parseRetryAfter, retryDelay } from './backoff.js';
import { createClient, VERSION } from './client.js';
import {
  TidemarkConfigError,
  TidemarkDeliveryError,
  TidemarkQueueFullError,
  TidemarkRejectedError,
  TidemarkValidationError,
} from './errors.js';
import type { ClientOptions, ServerEvent } from './types.js';

// The client against a scripted `fetch` (the network is the boundary faked here); the real
// collector is test/node-client.integration.test.ts and the pack test.

interface Call {
  at: number;
  url: string;
  headers: Record<string, string>;
  events: (ServerEvent & { eventId: string; timestamp?: string })[];
  bytes: number;
}

type Reply = Response | Error | Promise<Response>;

/** A fetch answering from `replies` in order (then 202), recording every request. */
function scripted(replies: Reply[] = []) {
  const calls: Call[] = [];
  const fetch = async (url: string | URL | Request, init?: RequestInit) => {
    const body = String(init?.body);
    calls.push({
      at: Date.now(),
      url: String(url),
      headers: Object.fromEntries(new Headers(init?.headers).entries()),
      events: JSON.parse(body),
      bytes: new TextEncoder().encode(body).length,
    });
    const reply = replies.shift() ?? new Response(null, { status: 202 });
    if (reply instanceof Error) throw reply;
    return reply;
  };
  return { calls, fetch: fetch as typeof globalThis.fetch };
}

const json = (status: number, body: object, headers: Record<string, string> = {}) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } });

const event = (i: number, extra: Partial<ServerEvent> = {}): ServerEvent => ({
  site: 'example.com',
  name: 'signup',
  url: `https://example.com/p/${i}`,
  ...extra,
});

function client(fetch: typeof globalThis.fetch, options: Partial<ClientOptions> = {}) {
  const errors: Error[] = [];
  const c = createClient({
    endpoint: 'https://stats.example.com/api/event',
    key: 'k-123',
    minBackoffMs: 5,
    maxBackoffMs: 20,
    onError: (error) => errors.push(error),
    fetch,
    ...options,
  });
  return Object.assign(c, { errors });
}

describe('@tidemark/node client', () => {
  it('sends batches of at most batchSize with the key, ids and ISO timestamps; flush waits for every answer', async () => {
    const { calls, fetch } = scripted();
    const c = client(fetch);
    const at = new Date('2026-03-01T12:30:00.250Z');
    for (let i = 0; i < 250; i++) c.track(event(i, { timestamp: i === 0 ? at : undefined, ip: '81.2.69.160', userAgent: 'UA' }));
    await c.flush();
    expect(calls.map((call) => call.events.length)).toEqual([100, 100, 50]);
    expect(calls[0]?.url).toBe('https://stats.example.com/api/event');
    expect(calls[0]?.headers).toMatchObject({ authorization: 'Bearer k-123', 'content-type': 'application/json' });
    expect(calls[0]?.events[0]).toMatchObject({
      site: 'example.com',
      name: 'signup',
      timestamp: '2026-03-01T12:30:00.250Z',
      ip: '81.2.69.160',
    });
    const ids = calls.flatMap((call) => call.events.map((e) => e.eventId));
    expect(new Set(ids).size).toBe(250);
    expect(calls.flatMap((call) => call.events.map((e) => e.url))).toEqual(Array.from({ length: 250 }, (_, i) => event(i).url)); // in order
    expect(c.stats()).toEqual({ queued: 0, inFlight: 0, sent: 250, rejected: 0, failed: 0, dropped: 0, retries: 0 });
  });

  it('sends a batch that is not full after flushIntervalMs, without a flush', async () => {
    const { calls, fetch } = scripted();
    const c = client(fetch, { flushIntervalMs: 30 });
    c.track(event(1));
    c.track(event(2));
    expect(calls).toHaveLength(0);
    for (let i = 0; i < 200 && c.stats().sent < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(calls.map((call) => call.events.length)).toEqual([2]);
  });

  it('keeps a batch under 256 KiB, splitting by size as well as by count', async () => {
    const { calls, fetch } = scripted();
    const c = client(fetch);
    const big = { props: Object.fromEntries(Array.from({ length: 12 }, (_, k) => [`k${k}`, 'v'.repeat(250)])) };
    for (let i = 0; i < 100; i++) c.track(event(i, big));
    await c.flush();
    expect(calls.length).toBeGreaterThan(1);
    for (const call of calls) expect(call.bytes).toBeLessThanOrEqual(256 * 1024);
    expect(calls.reduce((n, call) => n + call.events.length, 0)).toBe(100);
  });

  it('retries network errors, timeouts and 5xx with the same events and ids, until acknowledged', async () => {
    const { calls, fetch } = scripted([new TypeError('fetch failed'), json(500, {}), json(502, {}), json(408, {})]);
    const c = client(fetch);
    c.track(event(1));
    c.track(event(2));
    await c.flush();
    expect(calls).toHaveLength(5);
    const ids = calls.map((call) => call.events.map((e) => e.eventId).join());
    expect(new Set(ids).size).toBe(1);
    expect(c.stats()).toMatchObject({ sent: 2, retries: 4, failed: 0 });
    expect(c.errors).toEqual([]);
  });

  it.each([
    [429, 'seconds', () => '1'],
    [503, 'seconds', () => '1'],
    [503, 'an HTTP date', () => new Date(Date.now() + 2000).toUTCString()],
  ])('honours Retry-After on %i (%s)', async (status, _, retryAfter) => {
    const { calls, fetch } = scripted([json(status, { error: 'later' }, { 'Retry-After': retryAfter() })]);
    const c = client(fetch, { maxBackoffMs: 30_000 });
    c.track(event(1));
    await c.flush();
    expect(calls).toHaveLength(2);
    const waited = (calls[1]?.at ?? 0) - (calls[0]?.at ?? 0);
    expect(waited).toBeGreaterThanOrEqual(900); // ≥ 1 s (an HTTP date has whole seconds, so 1-2 s)
    expect(c.stats()).toMatchObject({ sent: 1, retries: 1 });
  });

  it('drops only the event a 4xx names, reports it as a typed error, and sends the rest at once', async () => {
    const { calls, fetch } = scripted([json(400, { error: '1.props.plan: must be a string, number or boolean', field: '1.props.plan' })]);
    const c = client(fetch);
    for (let i = 0; i < 3; i++) c.track(event(i));
    await c.flush();
    expect(calls.map((call) => call.events.map((e) => e.url.slice(-1)))).toEqual([
      ['0', '1', '2'],
      ['0', '2'],
    ]);
    expect(c.stats()).toMatchObject({ sent: 2, rejected: 1, retries: 0 });
    const [error] = c.errors;
    expect(error).toBeInstanceOf(TidemarkRejectedError);
    expect(error).toMatchObject({ status: 400, field: '1.props.plan', events: [expect.objectContaining({ url: event(1).url })] });
  });

  it.each([
    [401, { error: 'Authorization: unknown or revoked API key', field: 'Authorization' }],
    [403, { error: 'Authorization: the API key does not hold events:write', field: 'Authorization' }],
    [413, { error: 'body: larger than 262144 bytes', field: 'body' }],
  ])('never retries a %i: the whole batch is refused', async (status, body) => {
    const { calls, fetch } = scripted([json(status, body)]);
    const c = client(fetch);
    c.track(event(1));
    c.track(event(2));
    await c.flush();
    expect(calls).toHaveLength(1);
    expect(c.stats()).toMatchObject({ sent: 0, rejected: 2, retries: 0 });
    expect(c.errors[0]).toMatchObject({ name: 'TidemarkRejectedError', status, field: body.field });
  });

  it('gives up after maxRetries, counting and reporting the events', async () => {
    const { calls, fetch } = scripted(Array.from({ length: 10 }, () => new TypeError('fetch failed')));
    const c = client(fetch, { maxRetries: 2 });
    c.track(event(1));
    await c.flush();
    expect(calls).toHaveLength(3);
    expect(c.stats()).toMatchObject({ sent: 0, failed: 1, retries: 2 });
    expect(c.errors[0]).toBeInstanceOf(TidemarkDeliveryError);
  });

  it('drops the oldest events when the queue is full, counting them and warning once', async () => {
    let release: (response: Response) => void = () => {};
    const { calls, fetch } = scripted([new Promise<Response>((resolve) => (release = resolve))]);
    const c = client(fetch, { maxQueueSize: 5, batchSize: 1 });
    c.track(event(0)); // taken at once, in flight
    await new Promise((r) => setTimeout(r, 10));
    for (let i = 1; i <= 10; i++) c.track(event(i));
    expect(c.stats()).toMatchObject({ queued: 5, inFlight: 1, dropped: 5 });
    release(new Response(null, { status: 202 }));
    await c.flush();
    expect(calls.map((call) => call.events[0]?.url.split('/').pop())).toEqual(['0', '6', '7', '8', '9', '10']);
    expect(c.errors.filter((e) => e instanceof TidemarkQueueFullError)).toHaveLength(1);
    expect(c.stats()).toMatchObject({ sent: 6, dropped: 5 });
  });

  it('shutdown flushes, and within its time limit: what is left counts as failed; track afterwards throws', async () => {
    const ok = scripted();
    const c = client(ok.fetch);
    c.track(event(1));
    await c.shutdown();
    expect(c.stats()).toMatchObject({ sent: 1, queued: 0 });
    expect(() => c.track(event(2))).toThrow(TidemarkDeliveryError);

    const down = scripted(Array.from({ length: 100 }, () => new TypeError('fetch failed')));
    const d = client(down.fetch, { minBackoffMs: 50, maxBackoffMs: 50 });
    for (let i = 0; i < 150; i++) d.track(event(i));
    const started = Date.now();
    await d.shutdown(200);
    expect(Date.now() - started).toBeLessThan(5_000); // bounded by the time limit, not by the retries
    expect(d.stats()).toMatchObject({ sent: 0, failed: 150, queued: 0, inFlight: 0 });
    expect(d.errors.every((e) => e instanceof TidemarkDeliveryError)).toBe(true);
  });

  it('throws a typed error for a malformed event and queues nothing', () => {
    const c = client(scripted().fetch);
    expect(() => c.track({ name: 'x', url: 'https://a.com' } as ServerEvent)).toThrow(expect.objectContaining({ field: 'site' }));
    expect(() => c.track(event(1, { timestamp: new Date('nope') }))).toThrow(TidemarkValidationError);
    expect(() => c.track(null as unknown as ServerEvent)).toThrow(TidemarkValidationError);
    expect(c.stats().queued).toBe(0);
  });

  it.each([
    [{ endpoint: 'ftp://stats.example.com' }, /endpoint/],
    [{ endpoint: 'stats.example.com' }, /endpoint/],
    [{ key: '' }, /key/],
    [{ batchSize: 101 }, /batchSize/],
    [{ maxQueueSize: 0 }, /maxQueueSize/],
    [{ onError: 'log' }, /onError/],
  ])('refuses option %j with a TidemarkConfigError', (bad, message) => {
    expect(() => createClient({ endpoint: 'https://s.example.com/api/event', key: 'k', ...(bad as object) })).toThrow(TidemarkConfigError);
    expect(() => createClient({ endpoint: 'https://s.example.com/api/event', key: 'k', ...(bad as object) })).toThrow(message);
  });

  it('sends to /api/event of a bare origin', async () => {
    const { calls, fetch } = scripted();
    const c = createClient({ endpoint: 'https://stats.example.com', key: 'k', fetch });
    c.track(event(1));
    await c.flush();
    expect(calls[0]?.url).toBe('https://stats.example.com/api/event');
  });
});

it('says its own version (User-Agent) as package.json does', () => {
  expect(VERSION).toBe(manifest.version);
});

describe('backoff', () => {
  it('parses Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2026-03-01T12:00:00Z');
    expect(parseRetryAfter('5', now)).toBe(5000);
    expect(parseRetryAfter('Sun, 01 Mar 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Sun, 01 Mar 2026 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon', now)).toBeNull();
    expect(parseRetryAfter('-1', now)).toBeNull();
  });

  it('doubles from min with jitter between half and all of it, capped at max; Retry-After wins, also capped', () => {
    expect(retryDelay(0, null, 500, 30_000, 0, () => 0)).toBe(250);
    expect(retryDelay(0, null, 500, 30_000, 0, () => 1)).toBe(500);
    expect(retryDelay(3, null, 500, 30_000, 0, () => 1)).toBe(4000);
    expect(retryDelay(20, null, 500, 30_000, 0, () => 1)).toBe(30_000);
    expect(retryDelay(0, '7', 500, 30_000)).toBe(7000);
    expect(retryDelay(0, '120', 500, 30_000)).toBe(30_000);
  });
});

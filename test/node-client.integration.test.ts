/**
 * `@tidemark/node` against the real collector (embedded stack: collector → in-process queue →
 * ingester → ClickHouse engine): what it sends is stored exactly once; a 4xx is a typed error,
 * never retried, and costs only the event it names; a 503 with `Retry-After` is waited out; a
 * collector restarted mid-stream loses nothing and doubles nothing; `shutdown` is bounded.
 */
import type { KeyAuthorizer } from '@tidemark/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type ServerEvent, TidemarkRejectedError } from '../packages/node/src/index.ts';
import { type Stack, startStack, uniqueName, waitFor } from './harness.ts';
import { freePort } from './processes.ts';

const TOKEN = uniqueName('token');
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0';

/** `API_TOKEN`; a key whose check fails the first time it is asked (the key store briefly down: 503). */
function keys(): KeyAuthorizer {
  let flaky = 0;
  return {
    async authorize(key) {
      if (key === TOKEN) return { id: 'token', scopes: ['events:write'], sites: 'all' };
      if (key === 'flaky-key' && flaky++ === 0) throw new Error('keys table unreachable');
      if (key === 'flaky-key') return { id: 'flaky', scopes: ['events:write'], sites: 'all' };
      return null;
    },
  };
}

/** A fetch that is the real one, recording when each request was made and what it answered. */
function observed() {
  const calls: { at: number; status: number }[] = [];
  const fetcher: typeof fetch = async (input, init) => {
    const at = Date.now();
    try {
      const response = await fetch(input, init);
      calls.push({ at, status: response.status });
      return response;
    } catch (error) {
      calls.push({ at, status: 0 });
      throw error;
    }
  };
  return { calls, fetch: fetcher };
}

const event = (site: string, i: number, extra: Partial<ServerEvent> = {}): ServerEvent => ({
  site,
  name: 'order',
  url: `https://${site}/checkout/${i}`,
  ip: '81.2.69.160',
  userAgent: FIREFOX,
  props: { n: i },
  ...extra,
});

describe('@tidemark/node against the real collector', () => {
  let port: number;
  let stack: Stack;
  const endpoint = () => `http://127.0.0.1:${port}/api/event`;
  const start = async (database?: string) =>
    startStack(
      // LOG_LEVEL: the key store's planned failure is logged as a warning.
      {
        API_TOKEN: TOKEN,
        COLLECTOR_PORT: String(port),
        FLUSH_INTERVAL_MS: '100',
        LOG_LEVEL: 'error',
        ...(database && { CLICKHOUSE_DATABASE: database }),
      },
      { keys: keys() },
    );
  const stored = async (site: string) =>
    (
      await stack.query<{ rows: string; ids: string; countries: string }>(
        'SELECT toString(count()) AS rows, toString(uniqExact(event_id)) AS ids, groupUniqArray(country) AS countries FROM {db}.events WHERE site = {site:String}',
        { site },
      )
    )[0];

  beforeAll(async () => {
    port = await freePort();
    stack = await start();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('stores every event of its batches once; a 4xx refuses only the event it names, as a typed error, never retried', async () => {
    const site = `${uniqueName('node')}.example`;
    const errors: Error[] = [];
    const { calls, fetch } = observed();
    const client = createClient({ endpoint: endpoint(), key: TOKEN, fetch, onError: (e) => errors.push(e) });
    for (let i = 0; i < 230; i++) client.track(event(site, i, i === 150 ? { props: { nested: { no: 1 } } as never } : {}));
    await client.flush();
    expect(client.stats()).toMatchObject({ sent: 229, rejected: 1, failed: 0, retries: 0, queued: 0 });
    expect(calls.map((c) => c.status)).toEqual([202, 400, 202, 202]); // 100, 100 (one refused, 99 resent), 30
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(TidemarkRejectedError);
    expect(errors[0]).toMatchObject({
      status: 400,
      field: '50.props.nested',
      events: [expect.objectContaining({ url: `https://${site}/checkout/150` })],
    });
    const rows = await waitFor(
      () => stored(site),
      (r) => Number(r?.rows) >= 229,
    );
    expect(rows).toMatchObject({ rows: '229', ids: '229', countries: ['GB'] });

    const wrong = observed();
    const refused: Error[] = [];
    const unknown = createClient({ endpoint: endpoint(), key: 'not-a-key', fetch: wrong.fetch, onError: (e) => refused.push(e) });
    for (let i = 0; i < 3; i++) unknown.track(event(site, 1000 + i));
    await unknown.flush();
    expect(wrong.calls.map((c) => c.status)).toEqual([401]);
    expect(unknown.stats()).toMatchObject({ sent: 0, rejected: 3, retries: 0 });
    expect(refused[0]).toMatchObject({ name: 'TidemarkRejectedError', status: 401, field: 'Authorization' });
  });

  it('waits out a 503 for its Retry-After, then delivers', async () => {
    const site = `${uniqueName('flaky')}.example`;
    const { calls, fetch } = observed();
    const client = createClient({ endpoint: endpoint(), key: 'flaky-key', fetch, onError: () => {} });
    client.track(event(site, 1));
    await client.flush();
    expect(calls.map((c) => c.status)).toEqual([503, 202]);
    expect((calls[1]?.at ?? 0) - (calls[0]?.at ?? 0)).toBeGreaterThanOrEqual(4_900); // the collector's Retry-After: 5
    expect(client.stats()).toMatchObject({ sent: 1, retries: 1 });
    await waitFor(
      () => stored(site),
      (r) => Number(r?.rows) === 1,
    );
  });

  it('a collector restarted mid-stream loses nothing acknowledged and doubles nothing; shutdown is bounded', async () => {
    const site = `${uniqueName('restart')}.example`;
    const errors: Error[] = [];
    const { calls, fetch } = observed();
    const client = createClient({
      endpoint: endpoint(),
      key: TOKEN,
      fetch,
      flushIntervalMs: 20,
      batchSize: 10,
      minBackoffMs: 100,
      maxBackoffMs: 500,
      maxRetries: 100, // the restart may take a while on a busy machine
      onError: (e) => errors.push(e),
    });
    for (let i = 0; i < 100; i++) client.track(event(site, i));
    await client.flush();
    const database = stack.database;
    await stack.stop(); // what was acknowledged is in the database; the next events find no collector
    for (let i = 100; i < 200; i++) client.track(event(site, i));
    await waitFor(
      async () => client.stats().retries,
      (retries) => retries >= 2,
    );
    stack = await start(database);
    await client.flush();
    expect(client.stats()).toMatchObject({ sent: 200, failed: 0, rejected: 0 });
    expect(calls.some((c) => c.status === 0)).toBe(true); // it did meet the stopped collector
    expect(errors).toEqual([]);
    const rows = await waitFor(
      () => stored(site),
      (r) => Number(r?.rows) >= 200,
    );
    expect(rows).toMatchObject({ rows: '200', ids: '200' });

    // With no collector at all, shutdown gives up within its time limit and counts what is left.
    const nowhere = createClient({
      endpoint: `http://127.0.0.1:${await freePort()}/api/event`,
      key: TOKEN,
      minBackoffMs: 50,
      onError: () => {},
    });
    for (let i = 0; i < 5; i++) nowhere.track(event(site, 1000 + i));
    await nowhere.shutdown(300);
    expect(nowhere.stats()).toMatchObject({ sent: 0, failed: 5, queued: 0, inFlight: 0 });
  });
});

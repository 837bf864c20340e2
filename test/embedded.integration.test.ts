import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LiveAnswer, postEvents, type Stack, startStack, waitFor } from './harness.ts';

describe('embedded mode: collector → in-process queue → ingester → chdb → Stats API', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const live = async (site: string) => (await fetch(`${stack.apiUrl}/api/v1/live?site=${site}&window=5m`)).json() as Promise<LiveAnswer>;

  it('an event POSTed to the collector appears in /api/v1/live', async () => {
    const site = 'embedded.example';
    const pageviewId = randomUUID();
    const res = await postEvents(stack.collectorUrl, [
      { site, name: 'pageview', url: `https://${site}/pricing?utm_source=news`, eventId: pageviewId },
      { site, name: 'engagement', url: `https://${site}/pricing`, pageviewId, durationMs: 4200 },
    ]);
    expect(res.status).toBe(202);
    const answer = await waitFor(
      () => live(site),
      (body) => body.views === 1,
    );
    expect(answer).toMatchObject({ site, window: '5m', views: 1, visitors: 1, avgDurationMs: 4200 });
    const [row] = await stack.query<{ path: string; utm_source: string; browser: string }>(
      "SELECT path, utm_source, browser FROM {db}.events WHERE site = {site:String} AND name = 'pageview'",
      { site },
    );
    expect(row).toEqual({ path: '/pricing', utm_source: 'news', browser: 'Chrome' });
  });

  it("serves every service's metrics on the metrics port, none on the public collector port", async () => {
    expect((await fetch(`${stack.collectorUrl}/metrics`)).status).toBe(404);
    const text = await (await fetch(stack.metricsUrl)).text();
    for (const name of ['tidemark_collector_requests_total', 'tidemark_ingester_', 'tidemark_api_query_seconds'])
      expect(text).toContain(name);
    expect(new URL(stack.metricsUrl).hostname).toBe('127.0.0.1');
  });

  it('a malformed event is a 400 naming the field, and nothing is stored', async () => {
    const site = 'bad.example';
    const res = await postEvents(stack.collectorUrl, { site, name: 'pageview', url: 'ftp://nope' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ field: 'url' });
    const rows = await stack.query('SELECT count() AS n FROM {db}.events WHERE site = {site:String}', { site });
    expect(Number((rows[0] as { n: string }).n)).toBe(0);
  });

  it('an event id delivered twice is stored and counted once', async () => {
    const site = 'twice.example';
    const event = { site, name: 'pageview', url: `https://${site}/`, eventId: randomUUID() };
    expect((await postEvents(stack.collectorUrl, event)).status).toBe(202);
    expect((await postEvents(stack.collectorUrl, event)).status).toBe(202);
    // The second copy is dropped by the ingester's recent-id filter before it reaches storage.
    const seen = await waitFor(
      () => live(site),
      (body) => body.views >= 1,
    );
    expect(seen).toMatchObject({ views: 1, visitors: 1 });
    const probe = { site, name: 'pageview', url: `https://${site}/after`, eventId: randomUUID() };
    expect((await postEvents(stack.collectorUrl, probe)).status).toBe(202);
    await waitFor(
      () => live(site),
      (body) => body.views >= 2,
    );
    const stored = await stack.query<{ n: string }>('SELECT count() AS n FROM {db}.events WHERE site = {site:String}', { site });
    expect(Number(stored[0]?.n)).toBe(2); // the first event once, and the probe
    expect(await live(site)).toMatchObject({ views: 2, visitors: 1 });
  });

  it('a restart on the same data stores the new events too (batch tokens never repeat across runs)', async () => {
    const site = 'restart.example';
    const again = await startStack({ CLICKHOUSE_DATABASE: stack.database, FLUSH_INTERVAL_MS: '50' });
    const post = (target: Stack, path: string) =>
      postEvents(target.collectorUrl, { site, name: 'pageview', url: `https://${site}/${path}` });
    const liveOf = async (target: Stack) =>
      (await fetch(`${target.apiUrl}/api/v1/live?site=${site}&window=5m`)).json() as Promise<LiveAnswer>;
    try {
      // One event per batch: the first runs' batches had the same offsets as the ones below.
      for (const [i, path] of ['a', 'b', 'c'].entries()) {
        expect((await post(again, path)).status).toBe(202);
        await waitFor(
          () => liveOf(again),
          (body) => body.views >= i + 1,
        );
      }
    } finally {
      await again.stop();
    }
    const restarted = await startStack({ CLICKHOUSE_DATABASE: stack.database, FLUSH_INTERVAL_MS: '50' });
    try {
      // The same one-event batches again, at the same offsets of a new in-memory queue.
      for (const [i, path] of ['d', 'e', 'f'].entries()) {
        expect((await post(restarted, path)).status).toBe(202);
        const seen = await waitFor(
          () => liveOf(restarted),
          (body) => body.views >= 4 + i,
        );
        expect(seen.views).toBe(4 + i);
      }
    } finally {
      await restarted.stop();
    }
  });
});

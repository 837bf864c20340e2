import { type ClickHouseClient, plainLogger } from '@tidemark/shared';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createDashboardApp } from './app.ts';

// The routes' parameter checks and auth run before any query: a client that must not be
// called proves it.
const untouchable = new Proxy({} as ClickHouseClient, {
  get() {
    throw new Error('ClickHouse must not be queried');
  },
});

function app(token: string | null = null) {
  return createDashboardApp({ client: untouchable, database: 'analytics', token, log: plainLogger(), registry: new Registry() });
}

describe('dashboard API', () => {
  it.each(['/api/v1/live', '/api/v1/live?site=', '/api/v1/live?site=a.com&window=1y', '/api/v1/live?site=a.com&from=nope'])('answers %s with 400', async (path) => {
    const res = await app().request(path);
    expect(res.status).toBe(400);
    expect((await res.json()).error).toBeTruthy();
  });

  it('requires the Bearer token when API_TOKEN is set', async () => {
    expect((await app('s3cret').request('/api/v1/live?site=a.com')).status).toBe(401);
    expect((await app('s3cret').request('/api/v1/live?site=a.com', { headers: { Authorization: 'Bearer wrong' } })).status).toBe(401);
    expect((await app('s3cret').request('/healthz')).status).toBe(200);
  });
});

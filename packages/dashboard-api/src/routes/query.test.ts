import { type ClickHouseClient, createAccessRegistry, plainLogger } from '@tidemark/shared';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createDashboardApp } from '../app.ts';

/** A client whose every query fails as ClickHouse does when `max_execution_time` is exceeded. */
function slowClient(code: string): ClickHouseClient {
  const error = Object.assign(new Error('Timeout exceeded: elapsed 15.2 seconds, maximum: 15'), { name: 'ClickHouseError', code });
  return { query: async () => Promise.reject(error) } as unknown as ClickHouseClient;
}

const untouchable = new Proxy({} as ClickHouseClient, {
  get() {
    throw new Error('ClickHouse must not be queried');
  },
});

function post(client: ClickHouseClient, body: unknown, token: string | null = null, headers: Record<string, string> = {}) {
  // The access registry is never started: no key or site is known, and nothing is read.
  const access = createAccessRegistry({ client: untouchable, database: 'analytics', log: plainLogger() });
  const app = createDashboardApp({ client, database: 'analytics', token, access, log: plainLogger(), registry: new Registry() });
  return app.request('/api/v2/query', { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body), headers });
}

describe('POST /api/v2/query', () => {
  it('answers 503 with Retry-After when the server-side time limit stops a query', async () => {
    const res = await post(slowClient('159'), { site: 'example.com', metrics: ['visitors'] });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('10');
    expect(await res.json()).toEqual({ error: 'the query ran longer than 15 s: narrow the date range or the filters' });
  });

  it('refuses bad bodies before any query, with a JSON pointer', async () => {
    const cases: [unknown, string][] = [
      ['not json', ''],
      [{ site: 'example.com', metrics: ['visitors'], dimensions: ['page', 'planet'] }, '/dimensions/1'],
      [{ site: 'example.com', metrics: ['visits'], orderBy: [['pageviews', 'desc']] }, '/orderBy/0/0'],
    ];
    for (const [body, field] of cases) {
      const res = await post(untouchable, body);
      expect({ status: res.status, body: await res.json() }).toMatchObject({ status: 400, body: { field } });
    }
  });

  it('include.totals false: totals null, and no statement without the dimensions', async () => {
    // A client that records each statement and answers no rows.
    const recording = (log: string[]) =>
      ({
        query: async (p: { query: string }) => {
          log.push(p.query);
          return { json: async () => [] };
        },
      }) as unknown as ClickHouseClient;
    const body = { site: 'example.com', metrics: ['visitors', 'visits'], dimensions: ['page'], filters: [['is', 'device', ['Desktop']]] };
    const withTotals: string[] = [];
    const without: string[] = [];
    const a = await post(recording(withTotals), body);
    const b = await post(recording(without), { ...body, include: { totals: false } });
    expect([a.status, b.status]).toEqual([200, 200]);
    expect(((await a.json()) as { totals: unknown[] }).totals).toEqual([0, 0]);
    const answer = (await b.json()) as { totals: unknown[]; query: { include: unknown } };
    expect(answer.totals).toEqual([null, null]);
    expect(answer.query.include).toEqual({ imports: false, totals: false });
    expect(without.length).toBeGreaterThan(0);
    expect(without.length).toBeLessThan(withTotals.length);
  });

  it('needs the API token when one is set', async () => {
    expect((await post(untouchable, { site: 'example.com', metrics: ['visitors'] }, 'secret')).status).toBe(401);
  });
});

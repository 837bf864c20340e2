import { type ClickHouseClient, createAccessRegistry, plainLogger } from '@tidemark/shared';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createDashboardApp } from '../app.ts';
import { MAX_BATCH, MAX_BATCH_BODY } from './query-batch.ts';

const untouchable = new Proxy({} as ClickHouseClient, {
  get() {
    throw new Error('ClickHouse must not be queried');
  },
});

/** A client that answers no rows, or fails as ClickHouse does past `max_execution_time` when a statement binds the value "Timeout". */
const client = {
  query: async (p: { query: string; query_params?: Record<string, unknown> }) => {
    if (JSON.stringify(p.query_params ?? {}).includes('Timeout'))
      throw Object.assign(new Error('Timeout exceeded: elapsed 15.2 seconds, maximum: 15'), { name: 'ClickHouseError', code: '159' });
    return { json: async () => [] };
  },
} as unknown as ClickHouseClient;

function app(c: ClickHouseClient, token: string | null = null) {
  // The access registry is never started: no key or site is known, and nothing is read.
  const access = createAccessRegistry({ client: untouchable, database: 'analytics', log: plainLogger() });
  return createDashboardApp({ client: c, database: 'analytics', token, access, log: plainLogger(), registry: new Registry() });
}

type Line = { index: number; status: number; body: Record<string, unknown> };

async function batch(body: unknown, c = client, token: string | null = null) {
  const res = await app(c, token).request('/api/v2/query/batch', {
    method: 'POST',
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return {
    res,
    text,
    lines:
      res.status === 200
        ? text
            .trimEnd()
            .split('\n')
            .map((l) => JSON.parse(l) as Line)
        : [],
  };
}

const q = (extra: Record<string, unknown> = {}) => ({ site: 'example.com', metrics: ['visitors'], dateRange: '7d', ...extra });

describe('POST /api/v2/query/batch', () => {
  it('answers each query as POST /api/v2/query answers it alone, one NDJSON line each', async () => {
    const asked = [q(), q({ dimensions: ['page'] }), q({ metrics: ['visits', 'bounce_rate'], dimensions: ['time:day'] })];
    const { res, text, lines } = await batch({ queries: asked });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
    expect(text.endsWith('\n')).toBe(true);
    expect(lines.map((l) => l.index).sort()).toEqual([0, 1, 2]);
    for (const line of lines) {
      const alone = await app(client).request('/api/v2/query', { method: 'POST', body: JSON.stringify(asked[line.index]) });
      const answer = (await alone.json()) as { meta: Record<string, unknown> };
      expect(line.status).toBe(200);
      const body = line.body as { meta: Record<string, unknown> };
      expect({ ...body, meta: { ...body.meta, tookMs: 0 } }).toEqual({ ...answer, meta: { ...answer.meta, tookMs: 0 } });
    }
  });

  it('answers a query over the time limit in its own line (503) and still answers the others', async () => {
    const { res, lines } = await batch({ queries: [q(), q({ filters: [['is', 'page', ['Timeout']]] }), q({ dimensions: ['page'] })] });
    expect(res.status).toBe(200);
    const byIndex = lines.sort((a, b) => a.index - b.index);
    expect(byIndex.map((l) => l.status)).toEqual([200, 503, 200]);
    expect(byIndex[1]?.body.error).toMatch(/longer than 15 s/);
  });

  it('answers into nothing, without an error, the queries still running when the client goes away', async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow = {
      query: async () => {
        await held;
        return { json: async () => [] };
      },
    } as unknown as ClickHouseClient;
    const res = await app(slow).request('/api/v2/query/batch', {
      method: 'POST',
      body: JSON.stringify({ queries: [q(), q({ dimensions: ['page'] })] }),
    });
    expect(res.status).toBe(200);
    await res.body?.cancel();
    release();
    // The queries finish after the cancel: an enqueue then would be an unhandled rejection, which fails the run.
    await new Promise((resolve) => setTimeout(resolve, 50));
  });

  it('refuses a malformed batch, or one malformed query in it, with one 400 and a pointer, before any query', async () => {
    const cases: [unknown, string][] = [
      ['not json', ''],
      [[q()], ''],
      [{}, '/queries'],
      [{ queries: [] }, '/queries'],
      [{ queries: q() }, '/queries'],
      [{ queries: Array.from({ length: MAX_BATCH + 1 }, () => q()) }, '/queries'],
      [{ queries: [q()], extra: 1 }, '/extra'],
      [JSON.stringify({ queries: [q({ filters: [['is', 'page', ['x'.repeat(MAX_BATCH_BODY)]]] })] }), ''],
      // A malformed query fails the whole batch, pointed at within it; no query runs.
      [{ queries: [q(), q({ dimensions: ['page', 'planet'] })] }, '/queries/1/dimensions/1'],
      [{ queries: [q(), 'not a query'] }, '/queries/1'],
      [{ queries: [q({ format: 'csv' })] }, '/queries/0/format'],
    ];
    for (const [body, field] of cases) {
      const { res, text } = await batch(body, untouchable);
      expect({ status: res.status, body: JSON.parse(text) }).toMatchObject({ status: 400, body: { field } });
    }
  });

  it('needs the API token when one is set, and answers other methods 405', async () => {
    expect((await batch({ queries: [q()] }, untouchable, 'secret')).res.status).toBe(401);
    const get = await app(untouchable).request('/api/v2/query/batch');
    expect([get.status, get.headers.get('allow')]).toEqual([405, 'POST']);
  });
});

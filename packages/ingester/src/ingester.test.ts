import { Readable } from 'node:stream';
import { type ClickHouseClient, createMemoryQueue, NIL_UUID, plainLogger, type StoredEvent } from '@tidemark/shared';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createIngester } from './ingester.ts';
import { createIngesterMetrics } from './metrics.ts';

const event = (i: number, id = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`): StoredEvent => ({
  event_id: id,
  site: 'unit.example',
  name: 'pageview',
  timestamp: '2026-01-01 00:00:00.000',
  visitor_id: '1',
  session_id: '1',
  pageview_id: NIL_UUID,
  url: 'https://unit.example/',
  host: 'unit.example',
  path: '/',
  query: '',
  referrer: '',
  referrer_host: '',
  referrer_source: 'direct',
  utm_source: '',
  utm_medium: '',
  utm_campaign: '',
  utm_term: '',
  utm_content: '',
  click_id: '',
  country: '',
  device: 'desktop',
  browser: 'Chrome',
  browser_version: '130',
  os: 'Linux',
  os_version: '',
  screen_width: 0,
  duration_ms: 0,
  props: {},
});

/** A ClickHouse that fails its first `failures` inserts, and keeps what it stored by token (as dedup does). */
function flakyClickHouse(failures: number) {
  const stored = new Map<string, string[]>();
  let calls = 0;
  const client = {
    async exec(params: { values: Readable; clickhouse_settings: { insert_deduplication_token: string } }) {
      calls++;
      let body = '';
      for await (const chunk of params.values) body += String(chunk);
      if (calls <= failures) throw new Error('connect ECONNREFUSED');
      const token = params.clickhouse_settings.insert_deduplication_token;
      if (!stored.has(token)) stored.set(token, body.trim().split('\n'));
      return { stream: Readable.from([]) };
    },
  };
  return { client: client as unknown as ClickHouseClient, stored, calls: () => calls };
}

describe('ingester (embedded queue)', () => {
  it('retries a failing insert with the same token until it succeeds, then moves on; nothing lost', async () => {
    const queue = createMemoryQueue({ maxRows: 100, intervalMs: 10 });
    const fake = flakyClickHouse(3);
    const registry = new Registry();
    const metrics = createIngesterMetrics(registry);
    const ingester = createIngester({ client: fake.client, database: 'db', consumer: queue.consumer, log: plainLogger(), metrics });
    await ingester.start();
    await queue.producer.send(Array.from({ length: 250 }, (_, i) => event(i)));
    while (queue.size() > 0) await new Promise((r) => setTimeout(r, 20));
    await ingester.stop();
    expect([...fake.stored.keys()]).toEqual(['memory:0:0-99', 'memory:0:100-199', 'memory:0:200-249']);
    expect([...fake.stored.values()].flat()).toHaveLength(250);
    expect(fake.calls()).toBe(3 + 3);
    expect(await registry.getSingleMetricAsString('tidemark_ingester_insert_failures_total')).toMatch(/ 3$/);
  });

  it('stores an event id once however often it arrives, across batches', async () => {
    const queue = createMemoryQueue({ maxRows: 10, intervalMs: 10 });
    const fake = flakyClickHouse(0);
    const metrics = createIngesterMetrics(new Registry());
    const ingester = createIngester({ client: fake.client, database: 'db', consumer: queue.consumer, log: plainLogger(), metrics });
    await ingester.start();
    const twice = event(0, '11111111-1111-4111-8111-111111111111');
    await queue.producer.send([twice, twice, ...Array.from({ length: 9 }, (_, i) => event(i + 1)), twice]);
    while (queue.size() > 0) await new Promise((r) => setTimeout(r, 20));
    await ingester.stop();
    const lines = [...fake.stored.values()].flat();
    expect(lines).toHaveLength(10);
    expect(lines.filter((l) => l.includes(twice.event_id))).toHaveLength(1);
  });
});

/**
 * Visits are the same whichever collector or ingester saw the events (SPEC §10): two collector
 * processes behind a round-robin split take a workload as server-side events (each with its own
 * `timestamp`, `ip` and `userAgent`; 30 % arrive late or backdated by up to 6 hours, nearly all
 * older than the ingester's 2-hour rebuild horizon), two ingester processes of one group cut the
 * visits of their partitions, and one of them is killed with SIGKILL mid-stream and started
 * again. A third of the way in, the test waits until everything sent is committed, so the
 * partitions handed over at the kill carry visits their new owners did not write, and later
 * events join them. Afterwards `visits` equals, visit by visit, the reference cut
 * (test/reference/visits.ts) of the events as stored.
 */
import { createClickHouse, EXACT_64BIT_JSON, loadConfig, type StoredEvent } from '@tidemark/shared';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { uniqueName, waitFor } from './harness.ts';
import { groupState, ingesterEnv, rawCount, uniqueTopics } from './ingester-support.ts';
import { freePort, type Service, startService, waitHealthy } from './processes.ts';
import { cutVisits, rowSignature, SIGNATURE_COLUMNS, visitSignature } from './reference/visits.ts';
import { arrivalOrder, workload } from './reference/workload.ts';

const brokers = inject('kafkaBrokers');
const clickhouseUrl = inject('clickhouseUrl');
const client = createClickHouse(loadConfig({ CLICKHOUSE_URL: clickhouseUrl }).clickhouse);
const services: Service[] = [];
const TOKEN = 'visits-test-token';
const AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0',
];

afterAll(async () => {
  await Promise.all(services.map((s) => s.stop()));
  await client.close();
});

/** The workload's visitor as a server-side sender describes it: an address and a browser. */
function asServerEvent(e: StoredEvent, visitors: Map<string, number>): Record<string, unknown> {
  let n = visitors.get(e.visitor_id);
  if (n === undefined) {
    n = visitors.size;
    visitors.set(e.visitor_id, n);
  }
  return {
    site: e.site,
    name: e.name,
    url: e.url,
    ...(e.referrer ? { referrer: e.referrer } : {}),
    eventId: e.event_id,
    ...(e.name === 'engagement' ? { pageviewId: e.pageview_id, durationMs: e.duration_ms } : {}),
    ...(Object.keys(e.props).length > 0 ? { props: e.props } : {}),
    timestamp: `${e.timestamp.replace(' ', 'T')}Z`,
    ip: `198.51.100.${n % 250}`,
    userAgent: `${AGENTS[n % AGENTS.length]} v${Math.floor(n / 250)}`,
  };
}

describe('visits across two collectors and two ingesters, with a kill -9', () => {
  it('equal the reference cut of the stored events, visit by visit', async () => {
    const t = uniqueTopics('visits');
    const salts = uniqueName('visits_salts');
    const env = { FLUSH_MAX_ROWS: '300', FLUSH_INTERVAL_MS: '200' };
    const startIngester = async () => {
      const port = await freePort();
      const service = startService('ingester', ingesterEnv(brokers, clickhouseUrl, t, { INGESTER_PORT: String(port), ...env }));
      services.push(service);
      await waitHealthy(service, `http://127.0.0.1:${port}/healthz`);
      return service;
    };
    const collectors = await Promise.all(
      [0, 1].map(async () => {
        const port = await freePort();
        const service = startService('collector', {
          ...ingesterEnv(brokers, clickhouseUrl, t),
          COLLECTOR_PORT: String(port),
          KAFKA_SALTS_TOPIC: salts,
          API_TOKEN: TOKEN,
          RATE_LIMIT_PER_MINUTE: '0',
        });
        services.push(service);
        await waitHealthy(service, `http://127.0.0.1:${port}/healthz`);
        return `http://127.0.0.1:${port}`;
      }),
    );
    const first = await startIngester();
    await startIngester();

    const now = Date.now();
    const site = 'visits-dist.example';
    const workloadEvents = workload({ seed: 99, sites: [site], visitors: 120, start: now - 20 * 3_600_000, spanMs: 19 * 3_600_000 });
    const ordered = arrivalOrder(workloadEvents, 5, 0.3);
    const visitors = new Map<string, number>();
    const bodies: Record<string, unknown>[][] = [];
    for (let i = 0; i < ordered.length; i += 20) bodies.push(ordered.slice(i, i + 20).map((e) => asServerEvent(e, visitors)));
    let killed = false;
    for (const [i, body] of bodies.entries()) {
      const res = await fetch(`${collectors[i % 2]}/api/event`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(202);
      expect(res.headers.get('x-tidemark-dropped')).toBeNull();
      if (i === Math.floor(bodies.length / 3)) {
        // Everything so far inserted and committed: the visits handed over at the kill are in ClickHouse only.
        await waitFor(
          () => groupState(brokers, t),
          (g) => g.produced > 0 && g.lag === 0,
          120_000,
          200,
        );
      }
      if (!killed && i >= bodies.length / 2) {
        first.child.kill('SIGKILL'); // mid-stream: batches in hand are neither committed nor lost
        await new Promise((resolve) => first.child.once('exit', resolve));
        killed = true;
        await startIngester();
      }
    }
    await waitFor(
      () => groupState(brokers, t),
      (g) => g.produced > 0 && g.lag === 0,
      120_000,
      500,
    );
    expect(await rawCount(client, t.database, site)).toEqual({ rows: workloadEvents.length, ids: workloadEvents.length });

    const stored = await (
      await client.query({
        query: `SELECT * FROM ${t.database}.events WHERE site = {site:String}`,
        query_params: { site },
        format: 'JSONEachRow',
        clickhouse_settings: EXACT_64BIT_JSON, // visitor ids exact, as the ingester reads them
      })
    ).json<StoredEvent>();
    const expected = cutVisits(stored).map(visitSignature).sort();
    const found = await (
      await client.query({
        query: `SELECT ${SIGNATURE_COLUMNS} FROM ${t.database}.visits FINAL WHERE site = {site:String}`,
        query_params: { site },
        format: 'JSONEachRow',
        clickhouse_settings: EXACT_64BIT_JSON,
      })
    ).json<Record<string, string | number>>();
    const actual = found.map(rowSignature).sort();
    expect(actual.length).toBeGreaterThan(100);
    expect(actual).toEqual(expected);
    // The visit rollups, fed from every visits insert (replays after the kill included), agree.
    const counted = cutVisits(stored).filter((v) => v.counted);
    const want = { visits: counted.length, bounces: counted.filter((v) => v.bounce).length };
    for (const table of ['visits_15m', 'visits_1d']) {
      const [sums] = await (
        await client.query({
          query: `SELECT toInt64(sum(visits)) AS visits, toInt64(sum(bounces)) AS bounces FROM ${t.database}.${table}
                  WHERE site = {site:String} AND dimension = ''`,
          query_params: { site },
          format: 'JSONEachRow',
          clickhouse_settings: { output_format_json_quote_64bit_integers: 0 },
        })
      ).json<{ visits: number; bounces: number }>();
      expect({ table, ...sums }).toEqual({ table, ...want });
    }
    await client.command({ query: `DROP DATABASE IF EXISTS ${t.database}` });
    // A hang guard, not a duration: five processes start on a shared machine, the killed ingester's
    // partitions wait for its 30-second session to expire, and the checkpoint waits for commits.
  }, 300_000);
});

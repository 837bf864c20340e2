/**
 * Query benchmark (SPEC §9: `/live`, `/top-pages`, `/timeseries` at p95 under 50 ms over
 * 10 million stored events). Seeds N synthetic events over the last 7 days straight into the
 * embedded engine (`INSERT … SELECT … FROM numbers(N)`; the materialized views fill the
 * rollups), then times the routes through the real Hono app, and the same answers computed
 * from the raw table alone for comparison. Runs alone: `npx tsx bench/queries.ts [--quick]`.
 * The work runs in a child process with its own data directory, since the embedded engine
 * holds one data directory per process.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createDashboardApp } from '@tidemark/dashboard-api';
import { migrate } from '@tidemark/ingester';
import { type ClickHouseClient, createAccessRegistry, createClickHouse, loadConfig, plainLogger } from '@tidemark/shared';
import { Registry } from 'prom-client';
import { childFigures } from './lib.ts';

const SITE = 'bench.example';
const SPAN_MS = 7 * 86_400_000;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** 80% of events for SITE, the rest over 20 other sites; 1 in 10 an engagement, 1 in 50 custom. */
async function seed(client: ClickHouseClient, database: string, rows: number, now: number): Promise<void> {
  const pick = (list: string[], salt: number) =>
    `arrayElement([${list.map((v) => `'${v}'`).join(',')}], (cityHash64(number, ${salt}) % ${list.length}) + 1)`;
  await client.command({
    query: `
      INSERT INTO ${database}.events
        (event_id, site, name, timestamp, visitor_id, session_id, url, host, path, referrer_source, referrer_host,
         utm_source, country, device, browser, os, duration_ms)
      SELECT
        generateUUIDv4(number),
        if(number % 5 = 0, concat('site', toString(number % 20), '.example'), '${SITE}'),
        multiIf(number % 10 = 7, 'engagement', number % 50 = 3, 'signup', 'pageview'),
        fromUnixTimestamp64Milli(toInt64({now:UInt64} - intDiv(number * {span:UInt64}, {rows:UInt64})), 'UTC'),
        cityHash64(number % 200000),
        cityHash64(number % 200000, intDiv(number, 1000000)),
        '', '${SITE}',
        concat('/page/', toString(cityHash64(number, 2) % 500)),
        ${pick(['direct', 'search', 'social', 'email', 'other'], 3)},
        ${pick(['', 'www.google.com', 'news.ycombinator.com', 't.co'], 4)},
        ${pick(['', '', '', 'newsletter', 'twitter'], 5)},
        ${pick(['US', 'DE', 'FR', 'GB', 'IN', 'BR', 'JP', 'CA', 'NL', 'ES'], 6)},
        ${pick(['desktop', 'desktop', 'mobile', 'tablet'], 7)},
        ${pick(['Chrome', 'Firefox', 'Safari', 'Edge'], 8)},
        ${pick(['Windows', 'macOS', 'Linux', 'iOS', 'Android'], 9)},
        if(number % 10 = 7, toUInt32(number % 120000), 0)
      FROM numbers({rows:UInt64})`,
    query_params: { now, span: SPAN_MS, rows },
    clickhouse_settings: { max_insert_block_size: '1000000', max_threads: 2 },
  });
}

async function time(run: () => Promise<unknown>, iterations: number): Promise<number[]> {
  for (let i = 0; i < 3; i += 1) await run(); // warm-up
  const ms: number[] = [];
  for (let i = 0; i < iterations; i += 1) {
    const started = performance.now();
    await run();
    ms.push(performance.now() - started);
  }
  return ms;
}

/** The raw-table answers of /live and /top-pages (what the API did before the rollups). */
const RAW_LIVE = (db: string) => `
  SELECT countIf(name = 'pageview') AS views, uniqIf(visitor_id, name = 'pageview') AS visitors,
         ifNotFinite(round(avgIf(duration_ms, name = 'engagement')), 0) AS avgDurationMs
  FROM (SELECT name, visitor_id, duration_ms FROM ${db}.events
        WHERE site = {site:String} AND timestamp >= {from:DateTime64(3, 'UTC')} AND timestamp <= {to:DateTime64(3, 'UTC')}
        LIMIT 1 BY event_id)`;
const RAW_TOP_PAGES = (db: string) => `
  SELECT path, countIf(name = 'pageview') AS views FROM (
    SELECT name, path FROM ${db}.events
    WHERE site = {site:String} AND timestamp >= {from:DateTime64(3, 'UTC')} AND timestamp <= {to:DateTime64(3, 'UTC')}
    LIMIT 1 BY event_id)
  GROUP BY path HAVING views > 0 ORDER BY views DESC, path LIMIT 20`;

async function run(rows: number, quick: boolean): Promise<Record<string, number | string>> {
  const iterations = quick ? 20 : 100;
  const dir = join(fileURLToPath(new URL('..', import.meta.url)), '.tmp', `bench-queries-${process.pid}-${randomBytes(3).toString('hex')}`);
  mkdirSync(dir, { recursive: true });
  const database = 'bench_queries';
  const config = loadConfig({ DATA_DIR: dir, CLICKHOUSE_DATABASE: database });
  const client = createClickHouse(config.clickhouse);
  const results: Record<string, number | string> = {};
  try {
    // BENCH_MIGRATIONS_DIR: try a schema variant (e.g. other rollup settings) against the same load.
    await migrate(client, config.clickhouse, process.env.BENCH_MIGRATIONS_DIR);
    const now = Date.now();
    const seeding = performance.now();
    await seed(client, database, rows, now);
    results['queries: stored events'] = rows;
    results['queries: seed s (insert + rollups)'] = Number(((performance.now() - seeding) / 1000).toFixed(1));

    const log = plainLogger();
    const access = createAccessRegistry({ client, database, log });
    const app = createDashboardApp({ client, database, token: null, access, log, registry: new Registry() });
    const get = async (path: string) => {
      const res = await app.request(path);
      if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
      return res.json() as Promise<Record<string, unknown>>;
    };
    const routes: [string, string][] = [
      ['/live 5m', `/api/v1/live?site=${SITE}&window=5m`],
      ['/live 24h', `/api/v1/live?site=${SITE}&window=24h`],
      ['/top-pages 10m', `/api/v1/top-pages?site=${SITE}&window=10m`],
      ['/top-pages 24h', `/api/v1/top-pages?site=${SITE}&window=24h`],
      ['/timeseries 1h by minute', `/api/v1/timeseries?site=${SITE}&window=1h&interval=minute`],
      ['/timeseries 24h by hour', `/api/v1/timeseries?site=${SITE}&window=24h&interval=hour`],
      ['/timeseries 1h by minute, by country', `/api/v1/timeseries?site=${SITE}&window=1h&interval=minute&breakdown=country`],
    ];
    for (const [name, path] of routes) {
      const ms = await time(() => get(path), iterations);
      results[`${name} p50/p95 ms`] = `${percentile(ms, 50).toFixed(1)} / ${percentile(ms, 95).toFixed(1)}`;
    }

    // The Query API over the same events (7 days; the SQL seed writes no visits, so these are the
    // event metrics: quarter-hour rollups with raw edges, or raw events where a query needs them).
    const post = async (body: Record<string, unknown>) => {
      const res = await app.request('/api/v2/query', { method: 'POST', body: JSON.stringify({ site: SITE, ...body }) });
      if (res.status !== 200) throw new Error(`v2 ${JSON.stringify(body)}: ${res.status} ${await res.text()}`);
      return res.json();
    };
    const v2: [string, Record<string, unknown>][] = [
      ['v2 7d totals + previous period', { metrics: ['visitors', 'pageviews', 'events'], dateRange: '7d', compare: 'previous_period' }],
      [
        'v2 7d daily, Asia/Kolkata',
        { metrics: ['visitors', 'pageviews'], dateRange: '7d', timezone: 'Asia/Kolkata', dimensions: ['time:day'] },
      ],
      ['v2 7d top pages', { metrics: ['visitors', 'pageviews'], dateRange: '7d', dimensions: ['page'], limit: 20 }],
      ['v2 7d page contains', { metrics: ['visitors', 'pageviews'], dateRange: '7d', filters: [['contains', 'page', ['/page/1']]] }],
      ['v2 24h window by hour', { metrics: ['visitors', 'pageviews'], dateRange: '24h', dimensions: ['time:hour'] }],
      ['v2 7d countries (raw)', { metrics: ['visitors', 'pageviews'], dateRange: '7d', dimensions: ['event:country'] }],
    ];
    for (const [name, body] of v2) {
      const ms = await time(() => post(body), Math.min(iterations, 30));
      results[`${name} p50/p95 ms`] = `${percentile(ms, 50).toFixed(1)} / ${percentile(ms, 95).toFixed(1)}`;
    }

    // The same 24 h answers from the raw table alone: identical numbers, slower.
    const live = await get(`/api/v1/live?site=${SITE}&from=${new Date(now - 86_400_000).toISOString()}&to=${new Date(now).toISOString()}`);
    const params = {
      site: SITE,
      from: new Date(now - 86_400_000).toISOString().slice(0, 23).replace('T', ' '),
      to: new Date(now).toISOString().slice(0, 23).replace('T', ' '),
    };
    const raw = async (query: string) =>
      (await client.query({ query, query_params: params, format: 'JSONEachRow' })).json<Record<string, string | number>>();
    const [rawLive] = await raw(RAW_LIVE(database));
    results['/live 24h rollup = raw (views, visitors, avg ms)'] =
      `${live.views}=${rawLive?.views}, ${live.visitors}=${rawLive?.visitors}, ${live.avgDurationMs}=${rawLive?.avgDurationMs}`;
    for (const [name, query] of [
      ['raw /live 24h', RAW_LIVE(database)],
      ['raw /top-pages 24h', RAW_TOP_PAGES(database)],
    ] as const) {
      const ms = await time(() => raw(query), Math.min(iterations, 30));
      results[`${name} p50/p95 ms`] = `${percentile(ms, 50).toFixed(1)} / ${percentile(ms, 95).toFixed(1)}`;
    }
    app.close();
    return results;
  } finally {
    await client.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Seeds and measures in a child process; resolves with its table of figures. */
export function benchQueries(opts: { quick: boolean; rows?: number }): Promise<Record<string, number | string>> {
  const rows = opts.rows ?? (opts.quick ? 300_000 : 10_000_000);
  return childFigures(import.meta.url, [String(rows), ...(opts.quick ? ['--quick'] : [])]);
}

if (import.meta.url === `file://${process.argv[1]}` && process.argv[2] === '--child') {
  process.stdout.write(`${JSON.stringify(await run(Number(process.argv[3]), process.argv.includes('--quick')))}\n`);
  process.exit(0);
} else if (import.meta.url === `file://${process.argv[1]}`) {
  const results = await benchQueries({ quick: process.argv.includes('--quick') });
  const width = Math.max(...Object.keys(results).map((k) => k.length));
  for (const [k, v] of Object.entries(results)) process.stdout.write(`${k.padEnd(width)}  ${v}\n`);
  process.exit(0);
}

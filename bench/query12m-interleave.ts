/**
 * Two engines, one data directory, one process: the 12-month dashboard's queries asked of a
 * baseline checkout's dashboard app and of this checkout's, alternately, on a kept data directory
 * of `pnpm bench --only query12m` (`BENCH_QUERY12M_DIR`), so both see the same data at the same
 * moment — on a shared machine the fairest comparison (README, Performance, sessions 5–8).
 * Checks that both answer the same, then prints p50 / p95 of process CPU and wall per query.
 *
 *   flock /tmp/tidemark-bench.lock npx tsx bench/query12m-interleave.ts <data dir> <baseline checkout> [runs] [queries]
 *
 * `<baseline checkout>`: e.g. a worktree of main (`git worktree add --detach <dir> main`, then
 * `pnpm install --offline` there). `queries`: names below, comma-separated (default: all).
 * `INTERLEAVE_MIGRATE=1` applies this checkout's pending migrations to the data first — on a copy
 * (`cp -a`) of the kept directory, so the baseline's own runs keep their schema.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { migrate } from '@tidemark/ingester';
import { createAccessRegistry, createClickHouse, loadConfig, plainLogger } from '@tidemark/shared';
import { Registry } from 'prom-client';
import { percentile, ROOT, wallAndCpu } from './lib.ts';
import { SITE } from './seed-12m.ts';

const QUERIES: Record<string, Record<string, unknown>> = {
  totals: { metrics: ['visitors', 'visits', 'pageviews', 'bounce_rate', 'visit_duration'], compare: 'previous_period' },
  daily: { metrics: ['visitors', 'visits', 'pageviews', 'bounce_rate'], dimensions: ['time:day'] },
  kolkata: { metrics: ['visitors', 'visits', 'pageviews', 'bounce_rate'], dimensions: ['time:day'], timezone: 'Asia/Kolkata' },
  pages: { metrics: ['visitors', 'pageviews'], dimensions: ['page'], limit: 10 },
  entry: { metrics: ['visits', 'bounce_rate', 'visit_duration'], dimensions: ['entry_page'], limit: 10 },
  sources: { metrics: ['visits', 'bounce_rate', 'visit_duration'], dimensions: ['source'], limit: 10 },
  contains: {
    dateRange: '30d',
    metrics: ['visitors', 'pageviews', 'visits', 'bounce_rate'],
    filters: [['contains', 'page', ['/page/1']]],
  },
  'sources-by-visitors': { metrics: ['visitors'], dimensions: ['source'], limit: 10 },
};

const [dir, baseline, runsArg, only] = process.argv.slice(2);
if (!dir || !baseline) {
  process.stderr.write('usage: tsx bench/query12m-interleave.ts <data dir> <baseline checkout> [runs] [queries]\n');
  process.exit(2);
}
const runs = Number(runsArg ?? 20);
const { end } = JSON.parse(readFileSync(join(dir, 'seeded.json'), 'utf8')) as { end: number };
const config = loadConfig({ DATA_DIR: dir, CLICKHOUSE_DATABASE: 'bench_q12m' });
const client = createClickHouse(config.clickhouse);
if (process.env.INTERLEAVE_MIGRATE === '1') await migrate(client, config.clickhouse);
const log = plainLogger('warn');

type App = { request: (path: string, init: RequestInit) => Response | Promise<Response> };
async function appOf(checkout: string): Promise<App> {
  const mod = (await import(join(checkout, 'packages/dashboard-api/src/index.ts'))) as typeof import('@tidemark/dashboard-api');
  const access = createAccessRegistry({ client, database: config.clickhouse.database, log });
  return mod.createDashboardApp({
    client,
    database: config.clickhouse.database,
    token: null,
    access,
    log,
    registry: new Registry(),
    now: () => end,
  });
}

async function ask(app: App, body: Record<string, unknown>): Promise<{ results: unknown; totals: unknown }> {
  const res = await app.request('/api/v2/query', { method: 'POST', body: JSON.stringify({ site: SITE, dateRange: '12mo', ...body }) });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${res.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as { results: unknown; totals: unknown };
}

const timed = (app: App, body: Record<string, unknown>) => wallAndCpu(() => ask(app, body));

const p = (xs: number[]) => `${percentile(xs, 50).toFixed(0)} / ${percentile(xs, 95).toFixed(0)}`;
const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b);
const base = await appOf(baseline);
const mine = await appOf(ROOT);
for (const name of only ? only.split(',') : Object.keys(QUERIES)) {
  const body = QUERIES[name];
  if (!body) throw new Error(`unknown query ${name}: ${Object.keys(QUERIES).join(', ')}`);
  const [a, b] = [await ask(base, body), await ask(mine, body)];
  const same = JSON.stringify([a.results, a.totals]) === JSON.stringify([b.results, b.totals]);
  for (let i = 0; i < 5; i++) for (const app of [base, mine]) await ask(app, body); // warm-up
  const figures = { base: { cpu: [] as number[], wall: [] as number[] }, mine: { cpu: [] as number[], wall: [] as number[] } };
  for (let i = 0; i < runs; i++) {
    // Alternating which goes first, so neither always runs right after the other.
    const order = i % 2 === 0 ? (['base', 'mine'] as const) : (['mine', 'base'] as const);
    for (const side of order) {
      const t = await timed(side === 'base' ? base : mine, body);
      figures[side].cpu.push(t.cpu);
      figures[side].wall.push(t.wall);
    }
  }
  const f = (side: 'base' | 'mine') => `CPU ${p(sorted(figures[side].cpu))}, wall ${p(sorted(figures[side].wall))}`;
  process.stdout.write(`${name}: same answers ${same} | baseline ${f('base')} | this checkout ${f('mine')}\n`);
}
await client.close();
process.exit(0);

/**
 * Dashboard benchmark (issue 18): N synthetic events over the last 30 days (and visits to go
 * with them) in the embedded engine, the real dashboard-api serving the built UI, and real
 * headless Chromium. Measures the 30-day view's first complete render (navigation start until
 * every query of the page has answered and been drawn) and a filter click until the page has
 * settled again, plus the JavaScript the first view ships. Both are timed by the page's own clock
 * (navigation or the press, to the frame drawn once no query is pending: `PAGE_CLOCK`); the
 * harness-timed figures (Playwright's round trips and checks included) are printed beside them. Runs in a child process with its own
 * data directory: `npx tsx bench/dashboard.ts [--quick]` (`BENCH_DASHBOARD_ROWS=n` for another size).
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { serve } from '@hono/node-server';
import type { Goal } from '@tidemark/dashboard-api';
import { DIST } from '@tidemark/dashboard-ui';
import { ensureUiBuilt } from '@tidemark/dashboard-ui/build';
import { countVisitors, migrate } from '@tidemark/ingester';
import { createAccessRegistry, createClickHouse, listening, loadConfig, plainLogger } from '@tidemark/shared';
import type { Page } from 'playwright-core';
import { Registry } from 'prom-client';
import { launchBrowser } from '../test/browser.ts';
import { settled } from '../test/dashboard-page.ts';
import { CLICKS, filteredUrl, kindName, prepareClick } from './click-kinds.ts';
import { childFigures, childMain, percentile, round } from './lib.ts';
import { seedEvents, seedVisits } from './seed-events.ts';

const SITE = 'bench.example';
// BENCH_DASHBOARD_TZ=<IANA zone>: the view in that time zone (`tz=` in the URL), e.g. a site's own.
const VIEW = `period=30d${process.env.BENCH_DASHBOARD_TZ ? `&tz=${encodeURIComponent(process.env.BENCH_DASHBOARD_TZ)}` : ''}`;
const SPAN_MS = 30 * 86_400_000;

async function run(rows: number, quick: boolean): Promise<Record<string, number | string>> {
  await ensureUiBuilt();
  // Imported after the build: the dashboard-api reads the UI's files when it is loaded.
  const { createDashboardApp } = await import('@tidemark/dashboard-api');
  // BENCH_DASHBOARD_CLICKHOUSE_URL=<url>: a ClickHouse server instead (queries side by side, not in
  // turn), in a database of this run's own, dropped at the end.
  const clickhouseUrl = process.env.BENCH_DASHBOARD_CLICKHOUSE_URL || null;
  // BENCH_DASHBOARD_DATA=<dir>: seeded once there and kept, read again by the next runs of the same
  // size (10M events take minutes to seed; the data's last 30 days end when it was seeded).
  const kept = (!clickhouseUrl && process.env.BENCH_DASHBOARD_DATA) || null;
  const dir =
    kept ?? join(fileURLToPath(new URL('..', import.meta.url)), '.tmp', `bench-dashboard-${process.pid}-${randomBytes(3).toString('hex')}`);
  const seeded = kept !== null && existsSync(join(dir, `seeded-${rows}-v3`));
  mkdirSync(dir, { recursive: true });
  const database = clickhouseUrl ? `bench_dashboard_${randomBytes(4).toString('hex')}` : 'bench_dashboard';
  const config = loadConfig({ DATA_DIR: dir, CLICKHOUSE_DATABASE: database, ...(clickhouseUrl ? { CLICKHOUSE_URL: clickhouseUrl } : {}) });
  const client = createClickHouse(config.clickhouse);
  const results: Record<string, number | string> = {};
  const js = readFileSync(join(DIST, 'app.js'));
  results['dashboard: first-view JS gzip -9 KB'] = round(gzipSync(js, { level: 9 }).length / 1024);
  try {
    await migrate(client, config.clickhouse);
    const now = Date.now();
    const seeding = performance.now();
    if (!seeded) {
      await seedEvents(client, database, { site: SITE, rows, now, spanMs: SPAN_MS, visits: true });
      await seedVisits(client, database, { now, spanMs: SPAN_MS });
      if (kept) writeFileSync(join(dir, `seeded-${rows}-v3`), new Date(now).toISOString());
      results['dashboard: seed s'] = round((performance.now() - seeding) / 1000);
    } else results['dashboard: seeded at'] = readFileSync(join(dir, `seeded-${rows}-v3`), 'utf8');
    // The ingester counts each complete UTC day's visitors at start-up and every 10 minutes
    // (`countVisitors`): a site that has run a while has every past day counted.
    const counting = performance.now();
    await countVisitors(client, database);
    results['dashboard: visitor counts s'] = round((performance.now() - counting) / 1000);
    results['dashboard: stored events'] = rows;
    results['dashboard: engine'] = clickhouseUrl ? `ClickHouse server ${clickhouseUrl}` : 'embedded (chdb)';
    if (process.env.BENCH_DASHBOARD_TZ) results['dashboard: time zone'] = process.env.BENCH_DASHBOARD_TZ;

    const log = plainLogger('warn');
    const access = createAccessRegistry({ client, database, log });
    // The bench site's goals: none (every custom event name a goal), or those of the kind measured (`click-kinds.ts`).
    let goals: Goal[] | null = null;
    const siteGoals = (site: string) => (site === SITE ? goals : null);
    const app = createDashboardApp({ client, database, token: null, access, log, registry: new Registry(), siteGoals });
    const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
    await listening(server);
    const address = server.address();
    const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const browser = await launchBrowser();
    try {
      const page = await (await browser.newContext({ viewport: { width: 1400, height: 1000 } })).newPage();
      await page.addInitScript(PAGE_CLOCK);
      const renders: number[] = [];
      const clicks: Record<string, number[]> = Object.fromEntries(CLICKS.map((k) => [kindName(k), []]));
      // The same, timed by the harness around Playwright's calls (its round trips, its checks
      // before a click, and settled()'s pause included): the figures before session 15.
      const harness = { renders: [] as number[], clicks: [] as number[] };
      const rounds = quick ? 3 : 7;
      const limitMs = 60_000;
      // Each request of the last first render (the page, its assets, the API): when it started after navigation, how long it took.
      let requests: { label: string; start: number; ms: number }[] = [];
      let navigated = 0;
      // Times from the events Playwright sends as the page issues a request and as it finishes (the
      // browser's own request timing starts when a request leaves its queue of six per host).
      const issued = new Map<object, number>();
      page.on('request', (r) => issued.set(r, Date.now()));
      // What went wrong, when the page does not settle: its errors, and the requests still open.
      const problems: string[] = [];
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('console', (m) => m.type() === 'error' && problems.push(`console: ${m.text()}`));
      page.on('requestfailed', (r) => problems.push(`failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
      // An answer the page shows as an error (a 503: a statement over its time limit), with what it said.
      page.on('response', async (r) => {
        if (r.status() < 500) return;
        const text = await r.text().catch(() => '');
        problems.push(`${r.status()}: ${requestLabel(new URL(r.url()).pathname, r.request().postData())}: ${text.slice(0, 200)}`);
      });
      const open = new Set<{ url(): string }>();
      page.on('request', (r) => open.add(r));
      page.on('requestfinished', (r) => open.delete(r));
      page.on('requestfailed', (r) => open.delete(r));
      page.on('requestfinished', (r) => {
        const path = new URL(r.url()).pathname;
        const start = issued.get(r);
        if (path.endsWith('/stream') || start === undefined || start < navigated) return;
        requests.push({ label: requestLabel(path, r.postData()), start, ms: Date.now() - start });
      });
      const breakdown = (what: string) => {
        for (const r of requests.sort((a, b) => a.start - b.start))
          results[`dashboard: ${what}: ${r.label} start / duration ms`] = `${Math.round(r.start - navigated)} / ${Math.round(r.ms)}`;
      };
      let stage = '';
      try {
        // The first round of each warms the engine's caches (and the browser's): not counted.
        for (let i = 0; i < rounds + 1; i++) {
          stage = `render ${i}`;
          requests = [];
          const started = performance.now();
          navigated = Date.now();
          await page.goto(`${url}/?site=${SITE}&${VIEW}`);
          await settled(page, limitMs);
          if (i > 0) {
            harness.renders.push(performance.now() - started);
            renders.push((await pageClock(page)).settledAt);
          }
          if (i === rounds) breakdown('first render');
        }
        // A filter click of each kind a user clicks (a visit attribute from two panels, an event
        // dimension): one of the first rows of its tab, from the settled 30-day view.
        for (const kind of CLICKS) {
          goals = kind.goals ?? null;
          for (let i = 0; i < rounds + 1; i++) {
            stage = `filter click (${kindName(kind)}) ${i}`;
            await page.goto(`${url}/?site=${SITE}&${VIEW}`);
            await settled(page, limitMs);
            // The user sees the panel whose row they click: below the fold, a panel asks its rows
            // once scrolled into view (and so do the panels seen on the way); not measured.
            await page.locator(kind.panel).scrollIntoViewIfNeeded();
            await settled(page, limitMs);
            // A tab other than the panel's first asks its rows first (not measured).
            if (kind.tab) {
              await page.locator(`${kind.panel} [data-tab="${kind.tab}"]`).click();
              await settled(page, limitMs);
            }
            requests = [];
            // One of the first three rows (a panel may list fewer: the goals, the custom events).
            const rows = await page.locator(`${kind.panel} tbody tr`).count();
            const row = await prepareClick(page, kind, i % Math.max(1, Math.min(3, rows)));
            await page.evaluate('delete document.documentElement.dataset.settledAt');
            const clicked = performance.now();
            navigated = Date.now();
            await row.click();
            await page.waitForURL(filteredUrl(kind));
            await settled(page, limitMs);
            if (i > 0) {
              harness.clicks.push(performance.now() - clicked);
              const clock = await pageClock(page);
              clicks[kindName(kind)]?.push(clock.settledAt - clock.pressedAt);
            }
            if (i === rounds) breakdown(`filter click (${kindName(kind)})`);
          }
        }
        goals = null;
      } catch (error) {
        // A page that does not settle within the limit is a figure too, not a crash.
        results['dashboard: did not settle'] = `${stage}: within ${limitMs / 1000} s (${(error as Error).name})`;
        const still = [...open].map((r) => `open: ${new URL(r.url()).pathname}`);
        results['dashboard: did not settle: open requests, problems'] = [...still, ...problems].slice(0, 12).join('; ') || 'none';
        breakdown(`${stage} (did not settle)`);
        await page.close();
      }
      const fmt = (ms: number[]) =>
        ms.length === 0 ? `> ${limitMs}` : `${Math.round(percentile(ms, 50))} / ${Math.round(Math.max(...ms))}`;
      renders.sort((a, b) => a - b);
      results['dashboard: 30d first complete render p50 / max ms'] = fmt(renders);
      const all = Object.values(clicks).flat();
      for (const [dimension, ms] of Object.entries(clicks))
        results[`dashboard: filter click (${dimension}) to settled p50 / max ms`] = fmt(ms.sort((a, b) => a - b));
      // Only when every kind was measured: a figure over some kinds is not the click's.
      results['dashboard: filter click (every kind) to settled p50 / max ms'] =
        all.length < CLICKS.length * rounds ? `> ${limitMs}` : fmt(all.sort((a, b) => a - b));
      results['dashboard: harness-timed: 30d first complete render, filter click (every kind) p50 ms'] =
        `${Math.round(percentile(harness.renders, 50))}, ${Math.round(percentile(harness.clicks, 50))}`;
    } finally {
      await browser.close();
      app.close();
      await new Promise((resolve) => server.close(resolve));
    }
    return results;
  } finally {
    // The embedded engine runs parameterized queries one after another: one more returns once the
    // page's last queries have (closing the engine under a running query crashes the process).
    await client.query({ query: 'SELECT {x:UInt8} AS x', query_params: { x: 1 }, format: 'JSONEachRow' }).catch(() => {});
    await client.close();
    if (clickhouseUrl) await client.command({ query: `DROP DATABASE IF EXISTS ${database}` }).catch(() => {});
    if (!kept) rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The page's own clock (performance.now(), from navigation start), installed before the page's
 * scripts: when the last press (pointerdown) began, and when the page last settled (no query
 * pending) and drew it — a task after the animation frame that followed, as a frame is painted.
 * A filter click is press to settled; a first render is navigation to settled.
 */
const PAGE_CLOCK = `(() => {
  const mark = (name, ms) => { document.documentElement.dataset[name] = String(ms); };
  addEventListener('pointerdown', (e) => mark('pressedAt', e.timeStamp), true);
  new MutationObserver(() => {
    if (document.body?.dataset.pending !== '0') return;
    requestAnimationFrame(() => setTimeout(() => {
      if (document.body?.dataset.pending === '0') mark('settledAt', performance.now());
    }));
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-pending'] });
})();`;

async function pageClock(page: Page): Promise<{ pressedAt: number; settledAt: number }> {
  const [pressedAt, settledAt] = (await page.evaluate(
    'new Promise((r) => requestAnimationFrame(() => setTimeout(() => r([document.documentElement.dataset.pressedAt, document.documentElement.dataset.settledAt]))))',
  )) as [string | undefined, string | undefined];
  if (settledAt === undefined) throw new Error('the page did not say when it settled');
  return { pressedAt: Number(pressedAt ?? Number.NaN), settledAt: Number(settledAt) };
}

/** A request as a figure's name: the path, and a Query API body's metrics and dimensions. */
function requestLabel(path: string, body: string | null): string {
  if (path !== '/api/v2/query' || body === null) return path;
  const q = JSON.parse(body) as { metrics: string[]; dimensions?: string[]; compare?: string };
  return `query ${q.metrics.join(',')}${q.dimensions?.length ? ` by ${q.dimensions.join(',')}` : ''}${q.compare ? ' (compare)' : ''}`;
}

/** Seeds and measures in a child process; resolves with its table of figures. */
export function benchDashboard(opts: { quick: boolean; rows?: number }): Promise<Record<string, number | string>> {
  const rows = opts.rows ?? (Number(process.env.BENCH_DASHBOARD_ROWS) || (opts.quick ? 300_000 : 10_000_000));
  return childFigures(import.meta.url, [String(rows), ...(opts.quick ? ['--quick'] : [])]);
}

await childMain(import.meta.url, run, (quick) => benchDashboard({ quick }));

/**
 * Where a dashboard filter click's CPU goes (issue 18), on data the dashboard bench kept
 * (`BENCH_DASHBOARD_DATA=<dir>`, `BENCH_DASHBOARD_ROWS=n`): the real UI in headless Chromium
 * records the Query API bodies each kind of row click asks (`click-kinds.ts`), then each body is run
 * alone through the dashboard-api in this process (the embedded engine runs here, so process CPU
 * is the engine's), `CLICK_RUNS` times (default 3), and the click's bodies all at once.
 * Prints one JSON line per body: `npx tsx bench/dashboard-clicks.ts` (under the bench lock).
 * `CLICK_BODIES=<file>`: replay bodies recorded before (written next to the data) instead.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { serve } from '@hono/node-server';
import { listening } from '@tidemark/shared';
import { launchBrowser } from '../test/browser.ts';
import { settled } from '../test/dashboard-page.ts';
import { CLICKS, filteredUrl, kindName, prepareClick } from './click-kinds.ts';
import { keptDashboard, SITE } from './kept-dashboard.ts';
import { wallAndCpu } from './lib.ts';

// BENCH_DASHBOARD_TZ=<IANA zone>: the view in that time zone, as bench/dashboard.ts.
const VIEW = `period=30d${process.env.BENCH_DASHBOARD_TZ ? `&tz=${encodeURIComponent(process.env.BENCH_DASHBOARD_TZ)}` : ''}`;
const runs = Number(process.env.CLICK_RUNS) || 3;

const { dir, app, useGoals, close } = await keptDashboard();
// The bench site's goals: none, or those of the kind asked (`click-kinds.ts`).
const goalsOf = (name: string) => CLICKS.find((k) => kindName(k) === name)?.goals ?? null;
const bodiesFile = process.env.CLICK_BODIES || join(dir, 'click-bodies.json');

let bodies: Record<string, string[]>;
if (existsSync(bodiesFile) && process.env.CLICK_BODIES) bodies = JSON.parse(readFileSync(bodiesFile, 'utf8'));
else {
  bodies = {};
  const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 });
  await listening(server);
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const browser = await launchBrowser();
  try {
    const page = await (await browser.newContext({ viewport: { width: 1400, height: 1000 } })).newPage();
    let recording: string[] | null = null;
    page.on('request', (r) => {
      if (recording && new URL(r.url()).pathname === '/api/v2/query' && r.postData()) recording.push(r.postData() as string);
    });
    for (const kind of CLICKS) {
      useGoals(kind.goals ?? null);
      await page.goto(`${url}/?site=${SITE}&${VIEW}`);
      await settled(page, 60_000);
      await page.locator(kind.panel).scrollIntoViewIfNeeded();
      await settled(page, 60_000);
      if (kind.tab) {
        await page.locator(`${kind.panel} [data-tab="${kind.tab}"]`).click();
        await settled(page, 60_000);
      }
      recording = [];
      await (await prepareClick(page, kind, 0)).click();
      await page.waitForURL(filteredUrl(kind));
      await settled(page, 60_000);
      bodies[kindName(kind)] = recording;
      recording = null;
    }
  } finally {
    await browser.close();
    await new Promise((resolve) => server.close(resolve));
  }
  writeFileSync(bodiesFile, JSON.stringify(bodies, null, 1));
}

async function ask(body: string): Promise<unknown> {
  const res = await app.fetch(
    new Request('http://127.0.0.1/api/v2/query', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body }),
  );
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

function label(body: string): string {
  const q = JSON.parse(body) as { metrics: string[]; dimensions?: string[]; compare?: string; filters?: unknown[] };
  return `${q.metrics.join(',')}${q.dimensions?.length ? ` by ${q.dimensions.join(',')}` : ''}${q.compare ? ' (compare)' : ''}`;
}

async function measure(f: () => Promise<unknown>) {
  const { wall, cpu } = await wallAndCpu(f);
  return { cpuMs: Math.round(cpu), wallMs: Math.round(wall) };
}

// Warm-up: each body once.
for (const [kind, list] of Object.entries(bodies)) {
  useGoals(goalsOf(kind));
  for (const b of list) await ask(b);
}
const answers: Record<string, unknown> = {};
for (const [kind, list] of Object.entries(bodies)) {
  useGoals(goalsOf(kind));
  for (const b of list) {
    const figures = [];
    for (let i = 0; i < runs; i++) figures.push(await measure(() => ask(b)));
    answers[`${kind}: ${label(b)}`] = await ask(b);
    console.log(JSON.stringify({ kind, query: label(b), cpuMs: figures.map((f) => f.cpuMs), wallMs: figures.map((f) => f.wallMs) }));
  }
  const all = [];
  for (let i = 0; i < runs; i++) all.push(await measure(() => Promise.all(list.map(ask))));
  console.log(
    JSON.stringify({ kind, query: `ALL ${list.length} at once`, cpuMs: all.map((f) => f.cpuMs), wallMs: all.map((f) => f.wallMs) }),
  );
}
if (process.env.CLICK_ANSWERS)
  writeFileSync(
    process.env.CLICK_ANSWERS,
    JSON.stringify(answers, (k, v) => (k === 'tookMs' ? undefined : v), 1),
  );
await close();
process.exit(0);

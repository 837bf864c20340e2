/**
 * Where a dashboard filter click's milliseconds go (issue 18), on data the dashboard bench kept
 * (`BENCH_DASHBOARD_DATA=<dir>`): the real UI in headless Chromium, a Chrome trace of each measured
 * click (main thread tasks, each Query API request's send / response / finish) beside the server's
 * own time of each request, all relative to the click's dispatch in the page. Kinds as
 * `click-kinds.ts` (`BENCH_DASHBOARD_CLICKS=device,page`), `TRACE_ROUNDS` clicks each (default 3).
 * `npx tsx bench/dashboard-trace.ts` (under the bench lock). `TRACE_FILE=<path>`: the last click's trace too.
 */
import { writeFileSync } from 'node:fs';
import { serve } from '@hono/node-server';
import { listening } from '@tidemark/shared';
import { launchBrowser } from '../test/browser.ts';
import { settled } from '../test/dashboard-page.ts';
import { CLICKS, filteredUrl, kindName, prepareClick } from './click-kinds.ts';
import { keptDashboard, SITE } from './kept-dashboard.ts';

const VIEW = 'period=30d';
const rounds = Number(process.env.TRACE_ROUNDS) || 3;

const { app, useGoals, close } = await keptDashboard();
// The server's own time of each Query API request (wall clock, ms): arrived, answered.
const served: { label: string; arrived: number; answered: number }[] = [];
const server = serve({
  fetch: async (req: Request) => {
    const arrived = performance.timeOrigin + performance.now();
    const path = new URL(req.url).pathname;
    const body = path === '/api/v2/query' ? await req.clone().text() : null;
    const res = await app.fetch(req);
    served.push({ label: body ? label(body) : path, arrived, answered: performance.timeOrigin + performance.now() });
    return res;
  },
  hostname: '127.0.0.1',
  port: 0,
});
await listening(server);
const address = server.address();
const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

function label(body: string): string {
  const q = JSON.parse(body) as { metrics: string[]; dimensions?: string[] };
  return `${q.metrics.join(',')}${q.dimensions?.length ? ` by ${q.dimensions.join(',')}` : ''}`;
}

/** The main thread's events a task's line sums (ms each). */
const KINDS = new Set([
  'FunctionCall',
  'EventDispatch',
  'TimerFire',
  'FireAnimationFrame',
  'RunMicrotasks',
  'UpdateLayoutTree',
  'Layout',
  'PrePaint',
  'Paint',
  'Layerize',
  'HitTest',
  'IntersectionObserverController::computeIntersections',
]);

interface TraceEvent {
  name: string;
  cat: string;
  ph: string;
  ts: number;
  dur?: number;
  tid: number;
  pid: number;
  args?: { data?: Record<string, unknown> };
}

const browser = await launchBrowser();
try {
  const context = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  for (const kind of CLICKS) {
    useGoals(kind.goals ?? null);
    for (let i = 0; i < rounds + 1; i++) {
      await page.goto(`${url}/?site=${SITE}&${VIEW}`);
      await settled(page, 60_000);
      await page.locator(kind.panel).scrollIntoViewIfNeeded();
      await settled(page, 60_000);
      if (kind.tab) {
        await page.locator(`${kind.panel} [data-tab="${kind.tab}"]`).click();
        await settled(page, 60_000);
      }
      const rows = await page.locator(`${kind.panel} tbody tr`).count();
      const row = await prepareClick(page, kind, i % Math.max(1, Math.min(3, rows)));
      const events: TraceEvent[] = [];
      const onData = (e: { value: object[] }) => events.push(...(e.value as TraceEvent[]));
      const collected = new Promise<void>((resolve) => {
        cdp.on('Tracing.dataCollected', onData);
        cdp.once('Tracing.tracingComplete', () => resolve());
      });
      await cdp.send('Tracing.start', {
        traceConfig: {
          includedCategories: [
            'devtools.timeline',
            'disabled-by-default-devtools.timeline',
            'blink.user_timing',
            'loading',
            'toplevel',
            'v8.execute',
          ],
        },
        transferMode: 'ReportEvents',
      });
      // A wall clock mark in the trace: its ts and the wall time it was made.
      const wallAtMark = (await page.evaluate(
        "performance.mark('probe'), performance.timeOrigin + performance.getEntriesByName('probe').at(-1).startTime",
      )) as number;
      served.length = 0;
      const clickedWall = Date.now();
      await row.click();
      await page.waitForURL(filteredUrl(kind));
      await settled(page, 60_000);
      const settledWall = Date.now();
      await cdp.send('Tracing.end');
      await collected;
      cdp.off('Tracing.dataCollected', onData);
      if (i === 0) continue;
      const mark = events.find((e) => e.name === 'probe' && e.cat.includes('user_timing'));
      if (!mark) throw new Error('no mark in the trace');
      const toWall = (ts: number) => wallAtMark + (ts - mark.ts) / 1000;
      const click = events.find((e) => e.name === 'EventDispatch' && e.args?.data?.type === 'click');
      const clickWall = click ? toWall(click.ts) : clickedWall;
      const rel = (wall: number) => Math.round(wall - clickWall);
      // The renderer's main thread: the thread of the click's dispatch.
      const main = click ? { pid: click.pid, tid: click.tid } : null;
      const tasks = events
        .filter((e) => main && e.pid === main.pid && e.tid === main.tid && e.ph === 'X' && e.name === 'RunTask' && (e.dur ?? 0) > 3000)
        .filter((e) => toWall(e.ts) >= clickWall - 5);
      const kids = (t: TraceEvent) => {
        const inside = events.filter(
          (e) =>
            e.pid === t.pid && e.tid === t.tid && e.ph === 'X' && e.ts >= t.ts && e.ts + (e.dur ?? 0) <= t.ts + (t.dur ?? 0) && e !== t,
        );
        const by = new Map<string, number>();
        for (const e of inside) {
          if (KINDS.has(e.name)) by.set(e.name, (by.get(e.name) ?? 0) + (e.dur ?? 0) / 1000);
        }
        return [...by].map(([n, ms]) => `${n} ${ms.toFixed(1)}`).join(', ');
      };
      const requests = new Map<string, { url: string; send?: number; response?: number; finish?: number }>();
      for (const e of events) {
        const d = e.args?.data as { requestId?: string; url?: string; finishTime?: number } | undefined;
        if (!d?.requestId) continue;
        const r = requests.get(d.requestId) ?? { url: '' };
        if (e.name === 'ResourceWillSendRequest' || e.name === 'ResourceSendRequest') {
          r.send ??= toWall(e.ts);
          if (d.url) r.url = d.url;
        }
        if (e.name === 'ResourceReceiveResponse') r.response = toWall(e.ts);
        if (e.name === 'ResourceFinish') r.finish = toWall(e.ts);
        requests.set(d.requestId, r);
      }
      console.log(
        `\n== ${kindName(kind)} round ${i}: click → settled ${settledWall - clickedWall} ms (dispatch at +${Math.round(clickWall - clickedWall)} after row.click() began; settled at +${rel(settledWall)})`,
      );
      for (const s of served.sort((a, b) => a.arrived - b.arrived))
        console.log(
          `  server ${s.label.padEnd(70)} arrived +${rel(s.arrived)} answered +${rel(s.answered)} (${Math.round(s.answered - s.arrived)} ms)`,
        );
      for (const r of [...requests.values()].filter((r) => r.send !== undefined).sort((a, b) => (a.send ?? 0) - (b.send ?? 0)))
        console.log(
          `  browser ${new URL(r.url || 'http://x/?').pathname.padEnd(20)} sent +${rel(r.send ?? 0)} response +${r.response ? rel(r.response) : '-'} finished +${r.finish ? rel(r.finish) : '-'}`,
        );
      for (const t of tasks) console.log(`  task +${rel(toWall(t.ts))} ${((t.dur ?? 0) / 1000).toFixed(1)} ms: ${kids(t)}`);
      if (process.env.TRACE_FILE && i === rounds)
        writeFileSync(`${process.env.TRACE_FILE}-${kindName(kind)}.json`, JSON.stringify({ traceEvents: events }));
    }
  }
} finally {
  await browser.close();
  await new Promise((resolve) => server.close(resolve));
  await close();
}
process.exit(0);

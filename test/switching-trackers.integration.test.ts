/**
 * Switching in (SPEC §13): the other products' own trackers, unmodified from npm, pointed at
 * Tidemark by the one line each guide names, against the real embedded stack. Plausible's two
 * trackers run in real Chromium; Umami's `@umami/node` runs here, as on a server. Every assertion
 * reads the `events` table the ingester wrote. Each site is registered first through the admin API
 * (SPEC §11; the Umami site with its website id), as a user switching would.
 */
import { Umami } from '@umami/node';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser } from './browser.ts';
import { type Stack, startStack, waitFor } from './harness.ts';
import { startThirdPartyPages, type ThirdPartySite } from './third-party-pages.ts';

const NIL = '00000000-0000-0000-0000-000000000000';
const UMAMI_WEBSITE = '2f4b3c1d-9e8a-4b7c-8d6e-5f4a3b2c1d0e';
const UMAMI_SITE = 'umami-node.example';

interface Row {
  site: string;
  name: string;
  url: string;
  path: string;
  referrer_host: string;
  event_id: string;
  pageview_id: string;
  duration_ms: number;
  scroll_depth: number;
  screen_width: number;
  props: Record<string, string>;
  device: string;
}

let stack: Stack;
let pages: Awaited<ReturnType<typeof startThirdPartyPages>>;
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  stack = await startStack();
  await register(UMAMI_SITE, { umamiWebsiteId: UMAMI_WEBSITE });
  pages = await startThirdPartyPages(stack.collectorUrl);
  browser = await launchBrowser();
});

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => {});
  await browser?.close();
  await pages?.stop();
  await stack?.stop();
});

/** Registers `site` through the admin API (the open mode: no token) and waits until the collector takes it. */
async function register(site: string, fields: Record<string, unknown> = {}): Promise<void> {
  const res = await fetch(`${stack.apiUrl}/api/v2/sites`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ site, ...fields }),
  });
  expect(res.status, await res.text()).toBe(201);
  await waitFor(
    async () => stack.collector.sites.check(site),
    (rules) => rules !== null,
  );
}

async function rows(site: string): Promise<Row[]> {
  const found = await stack.query<Row>(
    `SELECT site, name, url, path, referrer_host, toString(event_id) AS event_id, toString(pageview_id) AS pageview_id,
       duration_ms, scroll_depth, screen_width, props, device
     FROM {db}.events WHERE site = {site:String} ORDER BY timestamp, name`,
    { site },
  );
  return found.map((r) => ({
    ...r,
    duration_ms: Number(r.duration_ms),
    scroll_depth: Number(r.scroll_depth),
    screen_width: Number(r.screen_width),
  }));
}

/** Waits until `count` rows of the site are stored and asserts there are exactly that many. */
async function stored(site: string, count: number): Promise<Row[]> {
  const found = await waitFor(
    () => rows(site),
    (r) => r.length >= count,
  );
  expect(found, `rows of ${site}: ${JSON.stringify(found.map((r) => [r.name, r.path]))}`).toHaveLength(count);
  return found;
}

/** Every Plausible body a context's pages sent to the collector, in send order. */
function recordBodies(context: BrowserContext): Record<string, unknown>[] {
  const bodies: Record<string, unknown>[] = [];
  context.on('request', (request) => {
    if (request.method() === 'POST' && new URL(request.url()).pathname === '/api/event') {
      const body = request.postData();
      if (body) bodies.push(JSON.parse(body) as Record<string, unknown>);
    }
  });
  return bodies;
}

/**
 * Headless Chromium never hides a page, so visibility is emulated (as the tracker's own tests do):
 * `window.__hide()` makes the document hidden and fires visibilitychange, as leaving a tab does.
 * Page code is given as text: this project's Node typings have no DOM.
 */
const VISIBILITY = `(() => {
  let state = 'visible';
  Object.defineProperty(Document.prototype, 'visibilityState', { configurable: true, get: () => state });
  Object.defineProperty(Document.prototype, 'hidden', { configurable: true, get: () => state === 'hidden' });
  window.__hide = () => { state = 'hidden'; document.dispatchEvent(new Event('visibilitychange')); };
})()`;

async function open(site: ThirdPartySite, path = '/'): Promise<{ page: Page; bodies: Record<string, unknown>[] }> {
  await register(site.name);
  const context = await browser.newContext();
  contexts.push(context);
  const bodies = recordBodies(context);
  const page = await context.newPage();
  await page.addInitScript(VISIBILITY);
  await page.goto(site.url(path), { referer: 'https://news.ycombinator.com/' });
  return { page, bodies };
}

describe('@plausible-analytics/tracker in Chromium → /api/event', () => {
  // The one line of the guide: `endpoint` names Tidemark's collector. `window.__plausible` is the
  // tracker's own switch for running under browser automation (navigator.webdriver).
  const script = `window.__plausible = true;
    import { init, track } from '/_/plausible/plausible.js';
    init({ domain: SITE, endpoint: COLLECTOR + '/api/event', customProperties: { layout: 'wide' } });
    window.track = track;`;

  it('stores pageviews (load and SPA navigation), a custom event with props, and engagement with time', async () => {
    const site = pages.site(script);
    const { page, bodies } = await open(site, '/start?utm_source=newsletter');
    await waitFor(
      async () => bodies.length,
      (n) => n >= 1,
    );
    await page.evaluate('window.scrollTo(0, document.body.scrollHeight)');
    await page.waitForTimeout(300); // some engaged time on the first page
    await page.evaluate("history.pushState({}, '', '/next')");
    await page.evaluate("window.track('Signup', { props: { plan: 'pro' } })");
    await page.evaluate('window.__hide()'); // leaving the second page: its engagement

    const found = await stored(site.name, 5);
    const pageviews = found.filter((r) => r.name === 'pageview');
    expect(pageviews.map((r) => r.path)).toEqual(['/start', '/next']);
    expect(pageviews[0]).toMatchObject({
      url: site.url('/start?utm_source=newsletter'),
      referrer_host: 'news.ycombinator.com',
      props: { layout: 'wide' },
    });
    expect(pageviews.every((r) => r.device === 'desktop')).toBe(true);
    const signup = found.find((r) => r.name === 'Signup');
    expect(signup).toMatchObject({ path: '/next', props: { plan: 'pro', layout: 'wide' } });
    const engagements = found.filter((r) => r.name === 'engagement');
    expect(engagements.map((r) => r.path).sort()).toEqual(['/next', '/start']);
    expect(engagements.every((r) => r.duration_ms > 0)).toBe(true);

    // What the tracker sent: Plausible's own short keys, engagement with e and sd.
    const first = bodies.find((b) => b.n === 'engagement' && String(b.u).includes('/start'));
    expect(first).toMatchObject({ d: site.name, e: expect.any(Number), sd: expect.any(Number) });
    expect(first?.sd as number).toBeGreaterThan(50);
    // Stored as sent (at most 100), and the Query API's scroll_depth of the page is its mean.
    const depth = Math.min(100, first?.sd as number);
    expect(engagements.find((r) => r.path === '/start')?.scroll_depth).toBe(depth);
    const res = await fetch(`${stack.apiUrl}/api/v2/query`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ site: site.name, metrics: ['scroll_depth'], dimensions: ['page'], dateRange: 'today' }),
    });
    const answer = (await res.json()) as { results: { dimensions: string[]; metrics: number[] }[] };
    expect(answer.results.find((r) => r.dimensions[0] === '/start')?.metrics).toEqual([depth]);
  });

  it('answers the tracker’s callback with 202', async () => {
    const site = pages.site(script);
    const { page } = await open(site);
    const status = await page.evaluate("new Promise((resolve) => window.track('Ping', { callback: (r) => resolve(r.status) }))");
    expect(status).toBe(202);
    await stored(site.name, 2);
  });
});

describe('plausible-tracker (the older npm package) in Chromium → /api/event', () => {
  // The one line: `apiHost` names Tidemark's collector.
  const script = `import Plausible from '/_/plausible-tracker/index.js';
    const plausible = Plausible({ domain: SITE, apiHost: COLLECTOR });
    plausible.enableAutoPageviews();
    window.plausible = plausible;`;

  it('stores pageviews (load and SPA navigation) and a custom event whose props came as JSON text', async () => {
    const site = pages.site(script);
    const { page, bodies } = await open(site, '/a');
    await waitFor(
      async () => bodies.length,
      (n) => n >= 1,
    );
    await page.evaluate("history.pushState({}, '', '/b')");
    await page.evaluate("window.plausible.trackEvent('Download', { props: { file: 'report.pdf', size: 3 } })");
    const found = await stored(site.name, 3);
    expect(found.map((r) => [r.name, r.path])).toEqual([
      ['pageview', '/a'],
      ['pageview', '/b'],
      ['Download', '/b'],
    ]);
    expect(found[2]?.props).toEqual({ file: 'report.pdf', size: '3' });
    expect(found[0]?.screen_width).toBeGreaterThan(0); // `w`, the window's width
    expect(typeof bodies[2]?.p).toBe('string'); // this tracker sends props as JSON text
    expect(found.every((r) => r.pageview_id === NIL)).toBe(true);
  });
});

describe('@umami/node → /api/send', () => {
  it('stores a pageview and a custom event with data for the site of the website id, and ignores identify', async () => {
    // The one line: `hostUrl` names Tidemark's collector.
    const umami = new Umami({ websiteId: UMAMI_WEBSITE, hostUrl: stack.collectorUrl });
    const view = await umami.track({
      hostname: UMAMI_SITE,
      url: '/pricing?utm_source=mail',
      title: 'Pricing',
      referrer: 'https://duckduckgo.com/',
    });
    expect(view.status).toBe(200);
    expect(Object.keys((await view.json()) as object).sort()).toEqual(['cache', 'sessionId', 'visitId']);
    const event = await umami.track('signup', { plan: 'pro', seats: 3 });
    expect(event.status).toBe(200);
    const identify = await umami.identify({ userId: 'u-1' });
    expect(identify.status).toBe(200);

    const found = await stored(UMAMI_SITE, 2);
    expect(found.map((r) => [r.name, r.url, r.path])).toEqual([
      ['pageview', `https://${UMAMI_SITE}/pricing?utm_source=mail`, '/pricing'],
      ['signup', `https://${UMAMI_SITE}/`, '/'],
    ]);
    expect(found[0]?.referrer_host).toBe('duckduckgo.com');
    expect(found[1]?.props).toEqual({ plan: 'pro', seats: '3' });
  });

  it('is refused with 403 for a website id no site has; an id moved to another site follows the registry', async () => {
    const umami = new Umami({ websiteId: '9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d', hostUrl: stack.collectorUrl });
    const res = await umami.track({ url: '/' });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ field: 'payload.website' });
    // The id is the registry's, followed within seconds: the first site gives it up, a second one takes it.
    const other = 'umami-moved.example';
    const headers = { 'Content-Type': 'application/json' };
    const patch = { method: 'PATCH', headers, body: JSON.stringify({ umamiWebsiteId: null }) };
    expect((await fetch(`${stack.apiUrl}/api/v2/sites/${UMAMI_SITE}`, patch)).status).toBe(200);
    await register(other, { umamiWebsiteId: UMAMI_WEBSITE });
    const moved = new Umami({ websiteId: UMAMI_WEBSITE, hostUrl: stack.collectorUrl });
    expect((await moved.track({ hostname: other, url: '/moved' })).status).toBe(200);
    const [row] = await stored(other, 1);
    expect(row?.path).toBe('/moved');
  });
});

/**
 * The tracker in real headless Chromium, against the real embedded stack: every assertion on
 * stored events reads the `events` table the ingester wrote. Each test has its own site (its own
 * origin and `site` value) and browser context, so tests share nothing but the stack. Every test
 * runs against both forms of the one source: the script tag and the npm module (`init` with the
 * same options, `window.tidemark` calling its `track`; see pages.ts).
 *
 * Two views of one test: `sent` is what the page handed to the network, in the order the tracker
 * sent it (order and transport are asserted there; Playwright does not see what a page sends while
 * it unloads); `stored` is what the collector accepted and the ingester stored (fields, and the
 * events sent on pagehide, are asserted there). "Zero requests" is asserted on both.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../../test/harness.ts';
import { type Backend, NIL_UUID, type StoredRow, startBackend } from './backend.ts';
import { emulateVisibility, launchBrowser, recordSent, type SentEvent, setVisibility } from './browser.ts';
import { type Form, type SiteOptions, startPages, type TestSite } from './pages.ts';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The queue snippet of the README, then two calls made before the tracker loaded. */
const QUEUE_SNIPPET = `<script>
window.tidemark = window.tidemark || function () { (window.tidemark.q = window.tidemark.q || []).push(arguments) };
tidemark('early-1', { props: { n: 1 } });
tidemark('early-2');
</script>`;

let backend: Backend;
let pages: Awaited<ReturnType<typeof startPages>>;
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  backend = await startBackend();
  pages = await startPages(backend.collectorUrl);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  await pages?.stop();
  await backend?.stop();
});

interface Session {
  site: TestSite;
  context: BrowserContext;
  page: Page;
  /** Every event request of the context, all sites, in send order. */
  sent: SentEvent[];
  /** The events this test's site sent, in send order. */
  ours(): SentEvent[];
}

/** A new site (or `options.site`), a new browser context recording what it sends, and a page in it (not navigated yet). */
async function session(form: Form, options: SiteOptions & { browser?: Browser; site?: TestSite } = {}): Promise<Session> {
  const site = options.site ?? pages.site({ form, ...options });
  const context = await (options.browser ?? browser).newContext();
  contexts.push(context);
  const sent = recordSent(context);
  const page = await context.newPage();
  return { site, context, page, sent, ours: () => sent.filter((event) => event.site === site.name) };
}

/** Waits until the site has sent events matching `done`. */
async function sentUntil(s: Session, done: (events: SentEvent[]) => boolean): Promise<SentEvent[]> {
  const events = await waitFor(async () => s.ours(), done);
  if (!done(events)) throw new Error(`sent: condition not met; sent ${JSON.stringify(events.map((e) => e.name))}`);
  return events;
}

const names = (events: { name: string }[]) => events.map((event) => event.name);

/** Waits until `count` rows of the site are stored, asserts there are exactly that many, and returns them. */
async function stored(site: TestSite, count: number): Promise<StoredRow[]> {
  const rows = await waitFor(
    () => backend.rows(site.name),
    (rows) => rows.length >= count,
  );
  expect(rows, `stored rows of ${site.name}`).toHaveLength(count);
  return rows;
}

/** Sends a custom `marker` event and waits for it: everything sent before it has been sent too. */
async function mark(s: Session): Promise<SentEvent[]> {
  await s.page.evaluate(() => window.tidemark?.('marker'));
  return sentUntil(s, (events) => names(events).includes('marker'));
}

const by = (rows: StoredRow[], name: string) => rows.filter((row) => row.name === name);
const path = (url: string) => {
  const { pathname, search, hash } = new URL(url);
  return pathname + search + hash;
};

describe.each(['script', 'module'] as const)('tracker (%s) in Chromium → collector → ClickHouse', (form) => {
  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => {});
  });

  it('stores a pageview on load with the fields of SPEC §4, sent as a text/plain beacon', async () => {
    const s = await session(form);
    await s.page.goto(s.site.url('/pricing?plan=pro'), { referer: 'https://www.google.com/' });
    const [sent] = await sentUntil(s, (events) => events.length === 1);
    const [row] = await stored(s.site, 1);
    expect(row).toMatchObject({
      site: s.site.name,
      name: 'pageview',
      url: s.site.url('/pricing?plan=pro'),
      path: '/pricing',
      referrer: 'https://www.google.com/',
      pageview_id: NIL_UUID,
      duration_ms: 0,
      screen_width: await s.page.evaluate(() => screen.width),
      props: {},
    });
    expect(row?.event_id).toMatch(UUID_V4);
    expect(row?.event_id).toBe(sent?.eventId);
    expect(sent?.request.resourceType()).toBe('ping');
    expect(sent?.request.url()).toBe(`${backend.collectorUrl}/api/event`);
    expect(sent?.request.headers()['content-type']).toBe('text/plain;charset=UTF-8');
    // http://<id>.test is not a secure context, where crypto.randomUUID does not exist: the id is a blob URL's, which does.
    expect(await s.page.evaluate(() => [isSecureContext, typeof crypto.randomUUID])).toEqual([false, 'undefined']);
  });

  it('cuts a URL over 2048 characters rather than losing the pageview', async () => {
    const s = await session(form);
    await s.page.goto(s.site.url(`/search?q=${'x'.repeat(3000)}`));
    const [row] = await stored(s.site, 1);
    expect(row?.url).toHaveLength(2048);
    expect(row?.path).toBe('/search');
  });

  it('counts pushState, replaceState, back and forward, and a same-URL navigation once', async () => {
    const s = await session(form);
    await s.page.goto(s.site.url('/'));
    await sentUntil(s, (events) => events.length === 1);
    await s.page.evaluate(() => {
      history.pushState({}, '', '/a');
      history.replaceState({}, '', '/b');
      history.pushState({}, '', '/b'); // same URL: not a new view
      history.replaceState({ state: 1 }, ''); // no URL: not a new view
      history.pushState({}, '', '/b#top'); // only the hash: not a new view in the core build
    });
    await s.page.goBack(); // /b#top → /b
    await s.page.goBack(); // /b → /b
    await s.page.goBack(); // /b → / (popstate)
    await s.page.goForward(); // / → /b (popstate)
    const sent = await mark(s);

    const views = sent.filter((event) => event.name === 'pageview');
    expect(views.map((view) => path(view.url))).toEqual(['/', '/a', '/b', '/', '/b']);
    // Each navigation first closes the view it replaces: one engagement per replaced view, in order.
    const engagements = sent.filter((event) => event.name === 'engagement');
    expect(engagements.map((e) => e.pageviewId)).toEqual(views.slice(0, -1).map((view) => view.eventId));
    // After an SPA navigation the previous page is the referrer, as after a full page load.
    expect(views.map((view) => view.referrer)).toEqual([undefined, ...views.slice(0, -1).map((view) => view.url)]);

    const rows = await stored(s.site, sent.length);
    expect(by(rows, 'pageview').map((row) => row.path)).toEqual(['/', '/a', '/b', '/', '/b']);
    expect(by(rows, 'engagement').map((row) => row.pageview_id)).toEqual(views.slice(0, -1).map((view) => view.eventId));
  });

  it('counts a back-forward-cache restore as a new pageview', async () => {
    const s = await session(form);
    await s.page.addInitScript(() => {
      addEventListener('pageshow', (event) => {
        if (event.persisted) document.documentElement.dataset.restored = 'yes';
      });
    });
    await s.page.goto(s.site.url('/one'));
    await sentUntil(s, (events) => events.length === 1);
    await s.page.goto(s.site.url('/two'));
    await s.page.goBack({ waitUntil: 'commit' }); // a bfcache restore fires pageshow, not load
    await s.page.waitForFunction(() => document.documentElement.dataset.restored === 'yes'); // it was the bfcache
    const sent = await mark(s);
    expect(sent.map((event) => `${event.name} ${path(event.url)}`)).toEqual([
      'pageview /one',
      'pageview /two',
      'pageview /one', // pageshow with persisted
      'marker /one',
    ]);
    // Plus the engagement of each page left (pagehide, persisted or not).
    const rows = await stored(s.site, 6);
    const engaged = by(rows, 'engagement').map((row) => row.pageview_id);
    expect(engaged.sort()).toEqual(
      sent
        .slice(0, 2)
        .map((event) => event.eventId)
        .sort(),
    );
  });

  it('measures engagement as visible time only, and sends it once per pageview', async () => {
    const s = await session(form);
    await emulateVisibility(s.page, 'hidden'); // e.g. opened in a background tab
    await s.page.goto(s.site.url('/article'));
    const [view] = await sentUntil(s, (events) => events.length === 1);
    await new Promise((resolve) => setTimeout(resolve, 700)); // hidden: must not count
    const shownAt = await setVisibility(s.page, 'visible');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const hiddenAt = await setVisibility(s.page, 'hidden');
    const [, engagement] = await sentUntil(s, (events) => events.length === 2);
    expect(engagement?.name).toBe('engagement');
    expect(engagement?.pageviewId).toBe(view?.eventId);
    expect(Number.isInteger(engagement?.durationMs)).toBe(true);
    expect(Math.abs((engagement?.durationMs ?? 0) - (hiddenAt - shownAt))).toBeLessThanOrEqual(20);

    // Back to the tab, more reading, hidden again, then leaving: no second engagement.
    await setVisibility(s.page, 'visible');
    await new Promise((resolve) => setTimeout(resolve, 300));
    await setVisibility(s.page, 'hidden');
    expect(names(await mark(s))).toEqual(['pageview', 'engagement', 'marker']);
    await s.page.goto('about:blank'); // pagehide
    await s.page.goto(s.site.url('/next')); // its pageview is sent after anything pagehide sent
    const rows = await stored(s.site, 4);
    expect(names(rows).sort()).toEqual(['engagement', 'marker', 'pageview', 'pageview']);
    expect(by(rows, 'engagement')[0]).toMatchObject({ pageview_id: view?.eventId, duration_ms: engagement?.durationMs, path: '/article' });
  });

  it('sends the engagement of a page on pagehide when the visitor leaves', async () => {
    const s = await session(form);
    await s.page.goto(s.site.url('/first'));
    const [view] = await sentUntil(s, (events) => events.length === 1);
    const started = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 500));
    await s.page.goto(s.site.url('/second'));
    const left = Date.now();
    const rows = await stored(s.site, 3);
    const [engagement] = by(rows, 'engagement');
    expect(engagement).toMatchObject({ pageview_id: view?.eventId, path: '/first' });
    expect(engagement?.duration_ms).toBeGreaterThanOrEqual(500);
    expect(engagement?.duration_ms).toBeLessThanOrEqual(left - started + 500); // + time from script run to `started`
  });

  it('replays calls queued before load in order, after the initial pageview', async () => {
    const s = await session(form, { head: QUEUE_SNIPPET });
    await s.page.goto(s.site.url('/signup'));
    await s.page.evaluate(() => window.tidemark?.('signup', { props: { plan: 'pro', seats: 3, trial: true } }));
    const sent = await sentUntil(s, (events) => events.length === 4);
    expect(names(sent)).toEqual(['pageview', 'early-1', 'early-2', 'signup']);
    const rows = await stored(s.site, 4);
    expect(by(rows, 'early-1')[0]?.props).toEqual({ n: '1' });
    expect(by(rows, 'signup')[0]).toMatchObject({ path: '/signup', props: { plan: 'pro', seats: '3', trial: 'true' } });
  });

  describe('opt-outs: zero requests', () => {
    const cases: [string, SiteOptions, ((page: Page) => Promise<unknown>) | undefined][] = [
      ['a loopback host without data-allow-localhost', { host: 'loopback' }, undefined],
      ["localStorage.tidemark_ignore === 'true'", {}, (page) => page.addInitScript(() => localStorage.setItem('tidemark_ignore', 'true'))],
      [
        'Do Not Track with data-respect-dnt',
        { attrs: { 'respect-dnt': true } },
        (page) => page.addInitScript(() => Object.defineProperty(Navigator.prototype, 'doNotTrack', { get: () => '1' })),
      ],
      [
        'Global Privacy Control with data-respect-dnt',
        { attrs: { 'respect-dnt': true } },
        (page) => page.addInitScript(() => Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true })),
      ],
    ];

    it.each(cases)('%s', async (_, options, setup) => {
      const s = await session(form, { ...options, head: QUEUE_SNIPPET });
      await emulateVisibility(s.page);
      await setup?.(s.page);
      await s.page.goto(s.site.url('/'));
      await s.page.waitForFunction(() => typeof window.tidemark === 'function' && !window.tidemark.q); // the tracker ran
      await s.page.evaluate(() => {
        window.tidemark?.('signup');
        history.pushState({}, '', 'next');
        window.__setVisibility?.('hidden');
      });
      await s.page.goto('about:blank'); // pagehide
      // A tracked page in the same browser context: once its pageview is stored, anything the
      // opted-out page had sent would have been sent (and stored) before it.
      const control = pages.site();
      const controlPage = await s.context.newPage();
      await controlPage.goto(control.url('/'));
      await stored(control, 1);
      expect(s.sent.filter((event) => event.site !== control.name)).toEqual([]);
      expect(await backend.rows(s.site.name)).toEqual([]);
    });

    it('tracks a loopback host with data-allow-localhost (a secure context: v4 ids there too)', async () => {
      const s = await session(form, { host: 'loopback', attrs: { 'allow-localhost': true } });
      await s.page.goto(s.site.url('/local'));
      const [row] = await stored(s.site, 1);
      expect(row).toMatchObject({ name: 'pageview', url: s.site.url('/local') });
      expect(row?.event_id).toMatch(UUID_V4);
      expect(await s.page.evaluate(() => [isSecureContext, typeof crypto.randomUUID])).toEqual([true, 'function']);
    });

    it('tracks Do Not Track visitors when data-respect-dnt is absent', async () => {
      const s = await session(form);
      await s.page.addInitScript(() => Object.defineProperty(Navigator.prototype, 'doNotTrack', { get: () => '1' }));
      await s.page.goto(s.site.url('/'));
      await stored(s.site, 1);
    });

    it('tracks when localStorage throws (storage blocked)', async () => {
      const s = await session(form);
      await s.page.addInitScript(() =>
        Object.defineProperty(window, 'localStorage', {
          get: () => {
            throw new DOMException('blocked', 'SecurityError');
          },
        }),
      );
      await s.page.goto(s.site.url('/'));
      await stored(s.site, 1);
    });
  });

  describe('transport and endpoint', () => {
    it.each([
      ['returns false', () => Object.defineProperty(Navigator.prototype, 'sendBeacon', { value: () => false })],
      ['is missing', () => Reflect.deleteProperty(Navigator.prototype, 'sendBeacon')],
    ])('falls back to fetch keepalive when sendBeacon %s', async (_, setup) => {
      const s = await session(form);
      await s.page.addInitScript(setup);
      await s.page.goto(s.site.url('/'));
      const [sent] = await sentUntil(s, (events) => events.length === 1);
      expect(sent?.request.resourceType()).toBe('fetch');
      expect(sent?.request.headers()['content-type']).toBe('text/plain;charset=UTF-8');
      await stored(s.site, 1);
    });

    it('sends to data-api instead of the script origin', async () => {
      // The script comes from the page's own origin; data-api names the collector's full events URL.
      const s = await session(form, { scriptFrom: 'page', attrs: { api: `${backend.collectorUrl}/api/event` } });
      await s.page.goto(s.site.url('/'));
      const [sent] = await sentUntil(s, (events) => events.length === 1);
      expect(sent?.request.url()).toBe(`${backend.collectorUrl}/api/event`);
      if (form === 'script')
        expect(await s.page.evaluate(() => document.querySelector('script[data-site]')?.getAttribute('src'))).toBe(
          s.site.url('/_/script.js'),
        );
      await stored(s.site, 1);
    });
  });

  describe('full build', () => {
    const LINKS = (port: number) => `
      <a id="download" href="/files/report.pdf">report</a>
      <a id="middle" href="http://elsewhere.test:${port}/middle"><span>middle</span></a>
      <a id="internal" href="/about">about</a>
      <a id="outbound" href="http://elsewhere.test:${port}/landing">elsewhere</a>`;

    it('sends download and outbound events on click and middle click, without blocking navigation', async () => {
      const s = await session(form, { build: 'full', body: LINKS(pages.port) });
      await s.page.goto(s.site.url('/links'));
      await sentUntil(s, (events) => events.length === 1);
      const download = s.page.waitForEvent('download');
      await s.page.click('#download');
      await download;
      const popup = s.context.waitForEvent('page');
      await s.page.click('#middle span', { button: 'middle' });
      await popup;
      await s.page.click('#outbound');
      await s.page.waitForURL(`http://elsewhere.test:${pages.port}/landing`);

      const sent = await sentUntil(s, (events) => events.length === 4);
      expect(sent.map((event) => [event.name, event.props?.url])).toEqual([
        ['pageview', undefined],
        ['download', s.site.url('/files/report.pdf')],
        ['outbound', `http://elsewhere.test:${pages.port}/middle`],
        ['outbound', `http://elsewhere.test:${pages.port}/landing`],
      ]);
      const rows = await stored(s.site, 5); // + the engagement sent on pagehide
      expect(by(rows, 'download')[0]).toMatchObject({ path: '/links', props: { url: s.site.url('/files/report.pdf') } });
      expect(
        by(rows, 'outbound')
          .map((row) => row.props.url)
          .sort(),
      ).toEqual([`http://elsewhere.test:${pages.port}/landing`, `http://elsewhere.test:${pages.port}/middle`]);
      expect(by(rows, 'engagement')).toHaveLength(1);
    });

    it('sends no click events for internal links, nor in the core build', async () => {
      for (const build of ['full', 'core'] as const) {
        const s = await session(form, { build, body: LINKS(pages.port) });
        await s.page.goto(s.site.url('/links'));
        await sentUntil(s, (events) => events.length === 1);
        if (build === 'core') {
          const download = s.page.waitForEvent('download');
          await s.page.click('#download');
          await download;
          await s.page.click('#outbound');
          await s.page.waitForURL(`http://elsewhere.test:${pages.port}/landing`);
        } else {
          await s.page.click('#internal');
          await s.page.waitForURL(s.site.url('/about'));
        }
        const rows = await stored(s.site, build === 'core' ? 2 : 3);
        expect(names(rows).sort(), build).toEqual(build === 'core' ? ['engagement', 'pageview'] : ['engagement', 'pageview', 'pageview']);
      }
    });

    it('counts hash changes with data-hash, including the hash in the URL comparison', async () => {
      const s = await session(form, { build: 'full', attrs: { hash: true } });
      await s.page.goto(s.site.url('/docs#intro'));
      await sentUntil(s, (events) => events.length === 1);
      await s.page.evaluate(() => {
        location.hash = '#/guide'; // hashchange (and popstate): one view
      });
      await sentUntil(s, (events) => names(events).filter((name) => name === 'pageview').length === 2);
      await s.page.evaluate(() => {
        history.pushState({}, '', '#/api');
        location.hash = '#/api'; // unchanged: not a new view
      });
      const sent = await mark(s);
      expect(sent.filter((event) => event.name === 'pageview').map((event) => path(event.url))).toEqual([
        '/docs#intro',
        '/docs#/guide',
        '/docs#/api',
      ]);
      const rows = await stored(s.site, sent.length);
      expect(by(rows, 'pageview').map((row) => path(row.url))).toEqual(['/docs#intro', '/docs#/guide', '/docs#/api']);
    });

    it.each([
      ['the full build without data-hash', { build: 'full' }],
      ['the core build, even with data-hash', { build: 'core', attrs: { hash: true } }],
    ] as [string, SiteOptions][])('ignores hash changes in %s', async (_, options) => {
      const s = await session(form, options);
      await s.page.goto(s.site.url('/docs'));
      await sentUntil(s, (events) => events.length === 1);
      await s.page.evaluate(() => {
        location.hash = '#/guide';
        history.pushState({}, '', '#/api');
      });
      const sent = await mark(s);
      expect(names(sent)).toEqual(['pageview', 'marker']);
    });
  });

  it('is dropped as a bot with the HeadlessChrome User-Agent, stored with a desktop one', async () => {
    const headlessBrowser = await launchBrowser('headless');
    try {
      const headless = await session(form, { browser: headlessBrowser });
      await headless.page.goto(headless.site.url('/'));
      expect(await headless.page.evaluate(() => navigator.userAgent)).toContain('HeadlessChrome');
      const [sent] = await sentUntil(headless, (events) => events.length === 1);
      const response = await sent?.request.response();
      expect(response?.status()).toBe(202);
      expect(response?.headers()['x-tidemark-dropped']).toBe('bot');

      // The same site from an ordinary desktop browser is stored, and only that.
      const desktop = await session(form, { site: headless.site });
      await desktop.page.goto(headless.site.url('/'));
      const [view] = await sentUntil(desktop, (events) => events.length === 1);
      const [row] = await stored(headless.site, 1);
      expect(row?.event_id).toBe(view?.eventId);
    } finally {
      await headlessBrowser.close();
    }
  });
});

describe('the npm module only: beforeSend, trackPageview, bad input', () => {
  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => {});
  });

  it('beforeSend rewrites events and drops some (a dropped pageview has no engagement)', async () => {
    const s = await session('module', {
      moduleScript: ({ site, module, endpoint }) => `
        import { init, track } from '${module}';
        window.tidemark = (name, options) => track(name, options);
        init({
          site: '${site}', endpoint: '${endpoint}',
          beforeSend: (event) => event.url.includes('/admin') ? null : { ...event, url: event.url.replace(/\\/users\\/\\d+/, '/users/:id') },
        });`,
    });
    await s.page.goto(s.site.url('/users/42'));
    await sentUntil(s, (events) => events.length === 1);
    await s.page.evaluate(() => history.pushState({}, '', '/admin/settings'));
    await s.page.evaluate(() => history.pushState({}, '', '/docs'));
    const sent = await mark(s);
    expect(sent.map((event) => `${event.name} ${path(event.url)}`)).toEqual([
      'pageview /users/:id',
      'engagement /users/:id', // sent when the visitor left for /admin: about the page it measured
      'pageview /docs',
      'marker /docs',
    ]);
    expect(sent[1]?.pageviewId).toBe(sent[0]?.eventId);
    const rows = await stored(s.site, 4);
    expect(rows.map((row) => row.path)).toEqual(['/users/:id', '/users/:id', '/docs', '/docs']);
  });

  it("trackPageview() counts the router's own pageviews, with props and a URL of its choice", async () => {
    const s = await session('module', {
      moduleScript: ({ site, module, endpoint }) => `
        import { init, track, trackPageview } from '${module}';
        window.tidemark = (name, options) => track(name, options);
        window.pageview = trackPageview;
        trackPageview({ props: { section: 'home' } }); // before init: queued
        init({ site: '${site}', endpoint: '${endpoint}', autoPageviews: false });`,
    });
    await s.page.goto(s.site.url('/'));
    await sentUntil(s, (events) => events.length === 1);
    await s.page.evaluate(() => {
      const { pageview } = window as unknown as { pageview: (options?: object) => void };
      history.pushState({}, '', '/next'); // not counted: the router reports its own
      pageview({ url: `${location.origin}/canonical`, props: { n: 2 } });
      pageview(); // forced: counted though the URL did not change
    });
    const sent = await mark(s);
    expect(sent.map((event) => [event.name, path(event.url), event.props])).toEqual([
      ['pageview', '/', { section: 'home' }],
      ['engagement', '/', undefined],
      ['pageview', '/canonical', { n: 2 }],
      ['engagement', '/canonical', undefined],
      ['pageview', '/next', undefined],
      ['marker', '/next', undefined],
    ]);
    const rows = await stored(s.site, 6);
    expect(by(rows, 'pageview').map((row) => [row.path, row.props])).toEqual([
      ['/', { section: 'home' }],
      ['/canonical', { n: '2' }],
      ['/next', {}],
    ]);
  });

  it('counts a file on another host as one download, whatever order the click features are given in', async () => {
    const file = `http://elsewhere.test:${pages.port}/files/report.pdf`;
    const s = await session('module', {
      body: `<a id="file" href="${file}">report</a>`,
      moduleScript: ({ site, module, endpoint }) => `
        import { init, outboundLinks, fileDownloads } from '${module}';
        init({ site: '${site}', endpoint: '${endpoint}', outboundLinks, fileDownloads });`,
    });
    await s.page.goto(s.site.url('/'));
    await sentUntil(s, (events) => events.length === 1);
    await s.page.click('#file');
    // Both features hear the click in one dispatch: the download marks it, the outbound link skips it.
    const sent = await sentUntil(s, (events) => events.length === 2);
    expect(sent.map((event) => [event.name, event.props?.url])).toEqual([
      ['pageview', undefined],
      ['download', file],
    ]);
  });

  /** Bad calls of `track` (through `window.tidemark`), then a good one. */
  const BAD_EVENTS = (reservedName: boolean) => {
    const tidemark = window.tidemark as (name: unknown, options?: unknown) => void;
    tidemark('sign<up>');
    tidemark('x'.repeat(65));
    if (reservedName) tidemark('pageview');
    tidemark('signup', { props: { nested: { a: 1 } } });
    tidemark('signup', { props: { long: 'v'.repeat(257) } });
    tidemark('signup', { props: Object.fromEntries(Array.from({ length: 31 }, (_, i) => [`k${i}`, i])) });
    tidemark('signup', { props: { plan: 'pro', seats: 3, trial: true } }); // fine
  };

  /** A module page importing the production or the development build, `window.tidemark` calling its `track`. */
  const moduleBuild =
    (build: 'production' | 'development'): SiteOptions['moduleScript'] =>
    ({ site, module, devModule, endpoint }) =>
      `
      import { init, track } from '${build === 'production' ? module : devModule}';
      window.tidemark = (name, options) => track(name, options);
      init({ site: '${site}', endpoint: '${endpoint}' });`;

  it('track in the development build drops a bad name or props with one console warning each, and sends nothing for them', async () => {
    const s = await session('module', { moduleScript: moduleBuild('development') });
    const warnings: string[] = [];
    s.page.on('console', (message) => {
      if (message.type() === 'warning') warnings.push(message.text());
    });
    await s.page.goto(s.site.url('/'));
    await sentUntil(s, (events) => events.length === 1);
    await s.page.evaluate(BAD_EVENTS, true);
    const sent = await mark(s);
    expect(names(sent)).toEqual(['pageview', 'signup', 'marker']);
    expect(warnings).toHaveLength(6);
    for (const warning of warnings) expect(warning).toMatch(/^tidemark: event dropped:/);
    expect(warnings[2]).toContain('"pageview" is sent by the tracker itself');
    await stored(s.site, 3);
  });

  it('track in the production build leaves bad events to the collector, which stores none of them; it never throws', async () => {
    const s = await session('module', { moduleScript: moduleBuild('production') });
    await s.page.goto(s.site.url('/'));
    await sentUntil(s, (events) => events.length === 1);
    await s.page.evaluate(BAD_EVENTS, false);
    // Props JSON cannot hold make the call throw nowhere: the event is dropped before it is sent.
    await s.page.evaluate(() => {
      const cycle: Record<string, unknown> = {};
      cycle.self = cycle;
      window.tidemark?.('signup', { props: cycle as never });
      window.tidemark?.('signup', { props: { big: 10n } as never });
    });
    const sent = await mark(s);
    // Sent without checks (5 bad, 1 good), each answered 400 by the collector except the good one.
    expect(names(sent)).toEqual(['pageview', 'sign<up>', 'x'.repeat(65), 'signup', 'signup', 'signup', 'signup', 'marker']);
    const rows = await stored(s.site, 3);
    expect(rows.map((row) => [row.name, row.props])).toEqual([
      ['pageview', {}],
      ['signup', { plan: 'pro', seats: '3', trial: 'true' }],
      ['marker', {}],
    ]);
  });

  it('init: the development build throws a clear TypeError; the production build warns and tracks nothing', async () => {
    const s = await session('module', {
      moduleScript: ({ module, devModule }) => `
        const dev = await import('${devModule}');
        const prod = await import('${module}');
        const errors = [];
        for (const bad of [{}, { site: 'a.test', endpoint: 'ftp://a.test/e' }, { site: 'a.test', outboundLinks: true }, { site: 'a.test', respectDnt: true }, { site: 'a.test', colour: 'blue' }]) {
          try { dev.init(bad); errors.push('no error'); } catch (error) { errors.push(error.name + ': ' + error.message); }
        }
        window.devErrors = errors;
        prod.init({ endpoint: 'ftp://a.test/e' });
        window.prodReturned = true;`,
    });
    const warnings: string[] = [];
    s.page.on('console', (message) => {
      if (message.type() === 'warning') warnings.push(message.text());
    });
    await s.page.goto(s.site.url('/'));
    await s.page.waitForFunction(() => (window as unknown as { prodReturned?: boolean }).prodReturned === true);
    const errors = await s.page.evaluate(() => (window as unknown as { devErrors: string[] }).devErrors);
    expect(errors).toEqual([
      expect.stringMatching(/^TypeError: Tidemark init: site is required/),
      expect.stringMatching(/^TypeError: Tidemark init: endpoint must be an http\(s\) URL/),
      expect.stringMatching(/^TypeError: Tidemark init: outboundLinks takes the feature itself: import \{ outboundLinks \}/),
      expect.stringMatching(/^TypeError: Tidemark init: respectDnt takes the feature itself: import \{ respectDnt \}/),
      expect.stringMatching(/^TypeError: Tidemark init: unknown option "colour"/),
    ]);
    expect(warnings).toEqual([expect.stringMatching(/^tidemark: bad init options/)]);
    // Nothing was sent: a tracked page of another site in the same context is stored, and only it.
    const control = pages.site();
    await (await s.context.newPage()).goto(control.url('/'));
    await stored(control, 1);
    expect(s.sent.filter((event) => event.site !== control.name)).toEqual([]);
  });
});
